"""The shell's own pages: home and health."""

from __future__ import annotations

from litestar import MediaType, Request, Response, get
from litestar.response import Template

from pengaduan import database
from pengaduan.agency.services import active_categories
from pengaduan.archive.services import recent_public
from pengaduan.complaints.services import public_status_counts
from pengaduan.web.templating import render


@get("/", name="home", opt={"access": "anyone"})
async def home(request: Request) -> Template:
    categories = await active_categories()
    counts = await public_status_counts()
    return render(
        request,
        "home/index.html",
        {
            "categories": categories,
            "counts": counts,
            "total": sum(counts.values()),
            "recent": await recent_public(5),
        },
    )


@get("/healthz", name="health", opt={"access": "anyone"}, media_type=MediaType.JSON)
async def healthz() -> Response:
    """200 when the database answers, 503 otherwise (for load balancers and containers)."""
    if await database.ping():
        return Response({"status": "ok", "database": "up"}, headers={"Cache-Control": "no-store"})
    return Response(
        {"status": "unavailable", "database": "down"},
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "5"},
    )
