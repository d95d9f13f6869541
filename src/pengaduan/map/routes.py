"""The map pages (the public archive's, the officers' queue's) and their clusters (JSON).

A map page carries the list's filters in its address and links to the list with the same
ones: without JavaScript the list is the map. The clusters endpoint answers one view
(`bbox=west,south,east,north&zoom=z` plus the filters) with what map.clusters counts.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from pengaduan.archive.filters import ArchiveFilters
from pengaduan.complaints.statuses import label
from pengaduan.handling.queue import QueueFilters, scoped
from pengaduan.map import clusters, grid
from pengaduan.web.kit import SettingsDep
from pengaduan.web.templating import render

ANYONE = {"access": "anyone"}
STAFF = {"access": "staff"}


def _map_context(settings: SettingsDep, clusters_url: str, list_url: str) -> dict[str, Any]:
    lat, lon, zoom = settings.map_view
    return {
        "clusters_url": clusters_url,
        "list_url": list_url,
        "tile_url": settings.map_tile_url,
        "attribution": settings.map_attribution,
        "view": f"{lat},{lon},{zoom}",
    }


def _with_query(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def _answer(request: Request, found: clusters.Clusters, detail: str) -> Response:
    """The clusters as JSON; a complaint read itself gets its status label and address."""
    for item in found.clusters:
        if "id" in item:
            item["status_label"] = label(item["status"])
            item["url"] = (
                request.app.route_reverse(detail, number=item["number"])
                if detail == "archive:detail"
                else request.app.route_reverse(detail, complaint_id=item["id"])
            )
            if detail == "archive:detail":
                del item["id"]  # the public knows complaints by number
    body = {"clusters": found.clusters, "capped": found.capped, "source": found.source}
    return Response(body, headers={"Cache-Control": "private, max-age=5"})


def _view(request: Request) -> grid.View:
    params = request.query_params
    return grid.View.parse(params.get("bbox", ""), params.get("zoom", ""))


@get("/arsip/peta", name="map:archive", opt=ANYONE)
async def archive_map(request: Request, settings: SettingsDep) -> Template:
    query = ArchiveFilters.from_query(dict(request.query_params)).query_string()
    context = _map_context(
        settings,
        _with_query(request.app.route_reverse("map:archive-clusters"), query),
        _with_query(request.app.route_reverse("archive:list"), query),
    )
    return render(request, "map/archive.html", context)


@get("/arsip/peta/titik", name="map:archive-clusters", opt=ANYONE)
async def archive_map_clusters(request: Request) -> Response:
    """Public complaints only; anonymous ones at their rounded position (map.clusters)."""
    try:
        view = _view(request)
    except grid.BadView as error:
        return Response({"error": str(error)}, status_code=400)
    filters = ArchiveFilters.from_query(dict(request.query_params))
    return _answer(request, await clusters.archive_clusters(view, filters), "archive:detail")


def _queue_filters(request: Request) -> tuple[QueueFilters, int | None]:
    user = request.user
    is_admin = user.role == "admin"
    filters = QueueFilters.from_query(
        dict(request.query_params), default_view="all" if is_admin else "unit"
    )
    return scoped(filters, is_admin=is_admin, unit_id=user.unit_id)


@get("/petugas/antrean/peta", name="map:queue", opt=STAFF)
async def queue_map(request: Request, settings: SettingsDep) -> Template:
    filters, _unit = _queue_filters(request)
    query = filters.query_string(page=1)
    context = _map_context(
        settings,
        _with_query(request.app.route_reverse("map:queue-clusters"), query),
        _with_query(request.app.route_reverse("handling:queue"), query),
    )
    return render(request, "map/queue.html", context)


@get("/petugas/antrean/peta/titik", name="map:queue-clusters", opt=STAFF)
async def queue_map_clusters(request: Request) -> Response:
    """What the queue with these filters lists, as the viewer may see it (their unit)."""
    try:
        view = _view(request)
    except grid.BadView as error:
        return Response({"error": str(error)}, status_code=400)
    filters, unit_id = _queue_filters(request)
    found = await clusters.queue_clusters(
        view, filters, officer_id=request.user.id, unit_id=unit_id
    )
    return _answer(request, found, "handling:detail")


ROUTES = [archive_map, archive_map_clusters, queue_map, queue_map_clusters]
