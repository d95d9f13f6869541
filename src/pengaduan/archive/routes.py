"""Public archive pages and the similar-complaint fragment (open to anyone)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from pengaduan.archive import services
from pengaduan.archive.filters import ARCHIVE_STATUSES, ArchiveFilters
from pengaduan.web import publiccache
from pengaduan.web.templating import is_partial, render

ANYONE = {"access": "anyone"}


@get("/arsip", name="archive:list", opt=ANYONE)
async def archive_list(request: Request) -> Response:
    filters = ArchiveFilters.from_query(dict(request.query_params))
    partial = is_partial(request)
    query = filters.query_string()

    async def build() -> tuple[dict[str, Any], int]:
        found = await services.search_archive(filters)
        context = {
            "complaints": found.rows,
            "found": found,
            "filters": filters,
            "errors": filters.errors,
            # The form is outside the swapped region: an htmx request needs no categories.
            "categories": [] if partial else await services.archive_categories(),
            "statuses": ARCHIVE_STATUSES,
        }
        # The ignored values stay in the form with a message beside them.
        return context, 422 if filters.errors else 200

    # Searched once per address, language and public version (web.publiccache).
    return await publiccache.respond(
        request,
        "archive/list.html",
        build,
        fragment="archive/_results.html",
        # The address htmx shows is the short one, without the form's empty fields.
        headers={
            "HX-Push-Url": request.app.route_reverse("archive:list")
            + ("?" + query if query else "")
        }
        if partial
        else None,
    )


@get("/arsip/{number:str}", name="archive:detail", opt=ANYONE)
async def archive_detail(request: Request, number: FromPath[str]) -> Template:
    complaint = await services.public_complaint(number)
    if complaint is None:
        # Private, withdrawn and missing complaints all look the same from outside.
        raise NotFoundException()
    timeline = await services.public_timeline(complaint["id"])
    responses = [item for item in timeline if item["is_official_response"]]
    return render(
        request,
        "archive/detail.html",
        {
            "complaint": complaint,
            "timeline": timeline,
            "response": responses[-1] if responses else None,
        },
    )


@get("/pengaduan/serupa", name="archive:similar", opt=ANYONE)
async def similar_complaints(request: Request, title: FromQuery[str] = "") -> Template:
    """A small fragment for the new-complaint form (empty when there is nothing to show)."""
    similar = await services.similar_open(title)
    return render(request, "archive/_similar.html", {"similar": similar})


ROUTES = [archive_list, archive_detail, similar_complaints]
