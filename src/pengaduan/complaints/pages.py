"""What the reporter's route modules share: who may use them, the asker as a lifecycle
actor, their own complaint (404 for anybody else's), its detail page (also shown again with
the values and errors of a form on it: message, rating, reopening), My complaints' rows kept
rendered, refusals as pages, and an evidence file streamed from storage (the website's and
the app's download)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from jinja2 import pass_context
from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.response import Stream, Template
from markupsafe import Markup

from pengaduan import i18n
from pengaduan.complaints import reading, statuses
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.storage import InvalidKey, Storage
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.memo import keep
from pengaduan.web.kit import client_ip
from pengaduan.web.templating import render

log = logging.getLogger(__name__)

ANYONE = {"access": "anyone"}
USER = {"access": "user"}
CITIZEN = {"access": "citizen"}


def actor_of(request: Request) -> Actor:
    user = request.user
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, ip=client_ip(request))


async def own(
    request: Request, complaint_id: int, *, with_files: bool = False, with_timeline: bool = False
) -> dict[str, Any]:
    """The complaint if the person asking reported it; 404 for everybody else (staff have
    their own handling pages)."""
    complaint = await reading.complaint_for_reporter(
        complaint_id, request.user.id, with_files=with_files, with_timeline=with_timeline
    )
    if complaint is None:
        raise NotFoundException()
    return complaint


# My complaints' rows kept rendered (see `mine_rows`).
MINE_ROW = "complaints/_mine_row.html"
_MINE_ROWS: dict[tuple[Any, ...], Markup] = {}
_MINE_ROWS_MAX = 4096


@pass_context
def mine_rows(context: Any, rows: list[tuple[Any, ...]]) -> Markup:
    """`{{ mine_rows(complaints) }}`: the `packed` rows of `reading.my_complaints_values`,
    each rendered (complaints/_mine_row.html) once per process for its text, the language and
    whether it is overdue now. As handling.admin_list does for its rows: the key is the row's
    JSON text, read only for a row rendered anew. Keyed by each row's dict items
    (web.templating's cached_fragment), the page cost 0.77 ms of CPU a visit in-process; by
    its columns' tuple, 0.70 ms."""
    code = i18n.get_locale()
    html = []
    for complaint_id, packed, overdue in rows:
        key = (code, overdue, packed)
        item = _MINE_ROWS.get(key)
        if item is None:
            complaint = reading.unpacked(packed)
            complaint["overdue_since"] = complaint["due_at"] if overdue else None
            href = context["request"].app.route_reverse(
                "complaints:detail", complaint_id=complaint_id
            )
            template = context.environment.get_template(MINE_ROW)
            item = keep(
                _MINE_ROWS, key, Markup(template.render(c=complaint, href=href)), _MINE_ROWS_MAX
            )
        html.append(item)
    return Markup("\n  ".join(html))


async def detail_page(
    request: Request,
    complaint_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    complaint = await own(request, complaint_id, with_files=True, with_timeline=True)
    files, timeline = complaint.pop("files"), complaint.pop("timeline")
    return render(
        request,
        "complaints/detail.html",
        {
            "complaint": complaint,
            "timeline": timeline,
            "audience": "reporter",
            "files": files,
            "values": values or {},
            "errors": errors or {},
            "reopen_days": statuses.REOPEN_DAYS,
        },
        status_code=status_code,
    )


@contextmanager
def plain_not_found() -> Iterator[None]:
    """A refusal because there is no such complaint (or not the asker's) becomes the plain
    404 page, which says no more; any other refusal goes on to the error handler, which shows
    its message."""
    try:
        yield
    except Refused as refused:
        if refused.reason == NOT_FOUND:
            raise NotFoundException() from None
        raise


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


async def evidence_stream(
    storage: Storage, row: dict[str, Any], complaint_id: int, *, small: bool = False
) -> Stream:
    """An evidence file the viewer may see (`reading.evidence_for_viewer`'s row), or its
    thumbnail, streamed from storage; 404 when the blob is missing."""
    key = row["thumbnail_key"] if small else row["storage_key"]
    mime = "image/jpeg" if small else row["mime_type"]
    if not key:
        raise NotFoundException()
    try:
        blob = await storage.open(key)
    except (FileNotFoundError, InvalidKey):
        log.error("evidence %s of complaint %s is missing from storage", row["id"], complaint_id)
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
