"""The reporter's complaint pages that read: "My complaints", one complaint, its live parts
(status badge, timeline) and its evidence files. `ROUTES` lists every complaints route, of
this module and of filing_routes, change_routes and tracking_routes."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.complaints import (
    change_routes,
    filing_routes,
    reading,
    statuses,
    tracking_routes,
)
from pengaduan.complaints.pages import CITIZEN, USER, detail_page, evidence_stream, mine_rows
from pengaduan.web.kit import StorageDep
from pengaduan.web.templating import HX_VARY, render
from pengaduan.web.values import page_number


@get("/pengaduan-saya", name="complaints:mine", opt=CITIZEN)
async def my_complaints(request: Request) -> Template:
    status = request.query_params.get("status", "")
    status = status if status in statuses.STATUSES else ""
    page = page_number(request.query_params.get("halaman"), last=99_999)
    _names, rows, total, capped = await reading.my_complaints_values(
        request.user.id, status=status, page=page, packed=True
    )
    return render(
        request,
        "complaints/mine.html",
        {
            "complaints": rows,
            "mine_rows": mine_rows,
            "total": total,
            "capped": capped,
            "page": page,
            "pages": max(1, -(-total // reading.PAGE_SIZE)),
            "status": status,
            "statuses": statuses.STATUSES,
        },
        fragment="complaints/_mine_results.html",
    )


@get("/pengaduan/{complaint_id:int}", name="complaints:detail", opt=USER)
async def complaint_detail(request: Request, complaint_id: FromPath[int]) -> Template:
    return await detail_page(request, complaint_id)


def _fragment(name: str, context: dict[str, Any]) -> Template:
    return Template(
        template_name=name,
        context=context,
        headers={"Vary": HX_VARY, "Cache-Control": "no-store"},
    )


@get("/pengaduan/{complaint_id:int}/status", name="complaints:status", opt=USER)
async def complaint_status(request: Request, complaint_id: FromPath[int]) -> Template:
    """Only the status badge (for live updates)."""
    status = await reading.complaint_status(complaint_id, request.user.id)
    if status is None:
        raise NotFoundException()
    return _fragment(
        "complaints/_status_badge.html", {"status": status, "badge_id": "complaint-status"}
    )


@get("/pengaduan/{complaint_id:int}/linimasa", name="complaints:timeline", opt=USER)
async def complaint_timeline(request: Request, complaint_id: FromPath[int]) -> Template:
    """Only the timeline (for live updates)."""
    if await reading.complaint_status(complaint_id, request.user.id) is None:
        raise NotFoundException()
    timeline = await reading.public_timeline(complaint_id, request.user.id)
    return _fragment("complaints/_timeline.html", {"timeline": timeline, "audience": "reporter"})


@get(
    "/pengaduan/{complaint_id:int}/bukti/{file_id:int}",
    name="complaints:evidence",
    # Photos and PDFs are compressed already; a known length lets the body stream as it is.
    opt={**USER, "skip_compression": True},
)
async def evidence_file(
    request: Request, storage: StorageDep, complaint_id: FromPath[int], file_id: FromPath[int]
) -> Response:
    """An evidence file (or `?ukuran=kecil`: its thumbnail) for the reporter and the staff
    handling it; never for the public. Streamed from storage (the disk or the bucket)."""
    user = request.user
    row = await reading.evidence_for_viewer(
        complaint_id, file_id, user_id=user.id, role=user.role, unit_id=user.unit_id
    )
    if row is None:
        raise NotFoundException()
    return await evidence_stream(
        storage, row, complaint_id, small=request.query_params.get("ukuran") == "kecil"
    )


ROUTES = [
    *filing_routes.ROUTES,
    my_complaints,
    complaint_detail,
    complaint_status,
    complaint_timeline,
    evidence_file,
    *change_routes.ROUTES,
    *tracking_routes.ROUTES,
]
