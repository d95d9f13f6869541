"""What the reporter's route modules share: who may use them, the asker as a lifecycle
actor, their own complaint (404 for anybody else's), its detail page (also shown again with
the values and errors of a form on it: message, rating, reopening), and refusals as pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from litestar.response import Template

from pengaduan import db
from pengaduan.complaints import reading, statuses
from pengaduan.complaints.lifecycle import Actor
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.web.kit import client_ip
from pengaduan.web.templating import render

ANYONE = {"access": "anyone"}
USER = {"access": "user"}
CITIZEN = {"access": "citizen"}


def actor_of(request: Request) -> Actor:
    user = request.user
    return Actor(user_id=user.id, role=user.role, unit_id=user.unit_id, ip=client_ip(request))


async def own(request: Request, complaint_id: int) -> dict[str, Any]:
    """The complaint if the person asking reported it; 404 for everybody else (staff have
    their own handling pages)."""
    complaint = await reading.complaint_for_reporter(complaint_id, request.user.id)
    if complaint is None:
        raise NotFoundException()
    return complaint


async def detail_page(
    request: Request,
    complaint_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    async with db.one_connection():  # the page's reads: one pool connection
        complaint = await own(request, complaint_id)
        timeline = await reading.public_timeline(complaint_id, request.user.id)
        files = await reading.evidence_of(complaint_id)
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
