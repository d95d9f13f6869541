"""The officers' home and the queue page (officers: their unit; admins: every unit)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template
from markupsafe import Markup

from pengaduan import i18n
from pengaduan.agency.categories import category_choices
from pengaduan.agency.units import active_units
from pengaduan.complaints.statuses import STATUSES
from pengaduan.complaints.tables import PRIORITIES
from pengaduan.handling import services
from pengaduan.handling.queue import QueueFilters, is_capped, page_count, page_records, scoped
from pengaduan.handling.queue_rows import queue_rows
from pengaduan.i18n import _
from pengaduan.web import pagecache
from pengaduan.web.pagecache import ByVersion
from pengaduan.web.templating import is_partial, render

STAFF = {"access": "staff"}


@get("/petugas", name="officer:home", opt={"access": "officer"})
async def officer_home(request: Request) -> Template:
    summary = await services.unit_summary(request.user.unit_id, request.user.id)
    return render(request, "handling/home.html", {"summary": summary})


def _tabs(is_admin: bool) -> list[tuple[str, str]]:
    if is_admin:
        return [("all", _("All units")), ("unassigned", _("Unassigned"))]
    return [
        ("mine", _("Assigned to me")),
        ("unassigned", _("Unassigned")),
        ("unit", _("All of my unit")),
    ]


# The filter form (its menus: the categories and, for admins, the units) kept rendered per
# staff queue version (raised by any change to them), per filters and language, as the admin
# list keeps its menus: for every officer of the version, with the page cache on or off.
FORMS = ByVersion(versions=4, entries=256)


async def _filter_form(request: Request, context: dict[str, Any], is_admin: bool) -> str:
    version = request.user.queue_version
    part = (is_admin, context["filters"], i18n.get_locale())
    html = FORMS.get(version, part)
    if html is None:
        form_context = {
            **context,
            "categories": await category_choices(),
            "units": await active_units() if is_admin else [],
            "statuses": STATUSES,
            "priorities": PRIORITIES,
        }
        html = pagecache.render_html(request, "handling/_queue_filters.html", form_context)
        FORMS.keep(version, part, html)
    return html


@get("/petugas/antrean", name="handling:queue", opt=STAFF)
async def queue_page(request: Request) -> Template | Response:
    """Officers see their unit (three views); admins every unit, narrowed by a unit filter.

    Officers keep this page open all day and it refreshes itself: while nothing it shows has
    changed, the page rendered last time is given again (web.pagecache)."""
    key = pagecache.page_key(request, "queue")
    if (page := pagecache.cached(request, key)) is not None:
        return page
    user = request.user
    is_admin = user.role == "admin"
    filters = QueueFilters.from_query(
        dict(request.query_params), default_view="all" if is_admin else "unit"
    )
    filters, unit_id = scoped(filters, is_admin=is_admin, unit_id=user.unit_id)
    partial = is_partial(request)
    context: dict[str, Any] = {
        "filters": filters,
        "show_unit": is_admin,
        "queue_path": request.app.route_reverse("handling:queue"),
        "tabs": _tabs(is_admin),
        # The tabs outside the list carry the filters: an htmx swap brings them along.
        "tabs_out_of_band": partial,
        "is_admin": is_admin,
    }
    # Officers of a unit on the same view see the same list (but "mine"): rendered once per
    # queue version for all of them (web.pagecache); their filter form too (FORMS).
    mine = user.id if filters.view == "mine" else None
    list_key = pagecache.shared_key(
        request, "queue-list", unit_id, is_admin, filters, mine, partial
    )
    queue_list = pagecache.shared(list_key)
    if queue_list is None:
        # Read with other requests' (db.fetch_together), the rows kept rendered per text.
        page = await page_records(filters, officer_id=user.id, unit_id=unit_id, packed=True)
        list_context = {
            **context,
            "rows": page.rows,
            "queue_rows": queue_rows,
            "total": page.total,
            "pages": page_count(page.total),
            "capped": is_capped(filters, page.total),
        }
        html = pagecache.render_html(request, "handling/_queue_list.html", list_context)
        queue_list = pagecache.keep_shared(request, list_key, html)
    if partial:  # the list refresh: the list alone
        return pagecache.html_response(queue_list)
    form = Markup(await _filter_form(request, context, is_admin))
    context.update(queue_list=queue_list, queue_filters=form)
    return pagecache.render_and_keep(request, key, "handling/queue.html", context)


ROUTES = [officer_home, queue_page]
