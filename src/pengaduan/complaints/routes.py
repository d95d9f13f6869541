"""The reporter's complaint pages that read: "My complaints", one complaint, its live parts
(status badge, timeline) and its evidence files. `ROUTES` lists every complaints route, of
this module and of filing_routes, change_routes and tracking_routes."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream, Template

from pengaduan.complaints import (
    change_routes,
    filing_routes,
    reading,
    statuses,
    tracking_routes,
)
from pengaduan.complaints.pages import CITIZEN, USER, detail_page
from pengaduan.complaints.storage import InvalidKey
from pengaduan.web.kit import StorageDep
from pengaduan.web.templating import HX_VARY, render
from pengaduan.web.values import page_number

log = logging.getLogger(__name__)


@get("/pengaduan-saya", name="complaints:mine", opt=CITIZEN)
async def my_complaints(request: Request) -> Template:
    status = request.query_params.get("status", "")
    status = status if status in statuses.STATUSES else ""
    page = page_number(request.query_params.get("halaman"), last=99_999)
    rows, total, capped = await reading.my_complaints(request.user.id, status=status, page=page)
    return render(
        request,
        "complaints/mine.html",
        {
            "complaints": rows,
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


def _download_name(original: str, mime: str) -> tuple[str, str]:
    """An ASCII fallback and the UTF-8 name, with the extension of what we actually serve."""
    stem = original.rsplit(".", 1)[0] if "." in original else original
    extension = {
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "image/webp": ".webp",
        "application/pdf": ".pdf",
    }.get(mime, "")
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "bukti"
    return ascii_stem[:100] + extension, (stem[:100] or "bukti") + extension


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
    small = request.query_params.get("ukuran") == "kecil"
    key = row["thumbnail_key"] if small else row["storage_key"]
    mime = "image/jpeg" if small else row["mime_type"]
    if not key:
        raise NotFoundException()
    try:
        blob = await storage.open(key)
    except (FileNotFoundError, InvalidKey):
        log.error("evidence %s of complaint %s is missing from storage", file_id, complaint_id)
        raise NotFoundException() from None
    fallback, full = _download_name(row["original_name"], mime)
    disposition = "inline" if mime.startswith("image/") else "attachment"
    return Stream(
        blob.chunks,
        media_type=mime,
        headers={
            "Content-Length": str(blob.size),
            "Content-Disposition": f'{disposition}; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(full)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
        },
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
