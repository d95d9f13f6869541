"""The shell's own pages: home and health."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get

from pengaduan import db
from pengaduan.agency.categories import active_categories
from pengaduan.archive.services import recent_public
from pengaduan.statistics.public import public_status_counts
from pengaduan.web import publiccache


@get("/", name="home", opt={"access": "anyone"})
async def home(request: Request) -> Response:
    async def build() -> tuple[dict[str, Any], int]:
        counts = await public_status_counts()
        context = {
            "categories": await active_categories(),
            "counts": counts,
            "total": sum(counts.values()),
            "recent": await recent_public(5),
        }
        return context, 200

    # Counted once per public version (web.publiccache), not per request, from the tallies
    # (complaints.tallies): the same numbers as the transparency page's.
    return await publiccache.respond(request, "home/index.html", build)


@get("/healthz", name="health", opt={"access": "anyone"}, media_type=MediaType.JSON)
async def healthz() -> Response:
    """200 when the database answers, 503 otherwise (for load balancers and containers)."""
    if await db.ping():
        return Response({"status": "ok", "database": "up"}, headers={"Cache-Control": "no-store"})
    return Response(
        {"status": "unavailable", "database": "down"},
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": "5"},
    )
