"""Admin pages for complaints of every unit: the filtered list, bulk and single (re)assignment."""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.complaints.statuses import STATUSES
from pengaduan.complaints.tables import PRIORITIES
from pengaduan.errors import INVALID, NOT_FOUND, Refused
from pengaduan.handling import admin_list, assignment, queue
from pengaduan.i18n import _, ngettext
from pengaduan.settings import Settings
from pengaduan.web.input import Form, FormInput, read_form
from pengaduan.web.kit import SettingsDep, client_ip, redirect
from pengaduan.web.templating import render
from pengaduan.web.values import record_id

ADMIN = {"access": "admin"}
LIST = "/admin/pengaduan"


async def _list_page(
    request: Request,
    filters: queue.QueueFilters,
    *,
    selected: set[int] | None = None,
    officer: str = "",
    error: str = "",
    status_code: int = 200,
) -> Template:
    # The page, its count and (unless kept for this version) the choices in one statement.
    version = request.user.queue_version
    choices = admin_list.CHOICES.get(version)
    page = await queue.page_records(
        filters,
        officer_id=request.user.id,
        unit_id=None,
        also="" if choices else assignment.LIST_CHOICES_SQL,
        also_columns=() if choices else assignment.LIST_CHOICES,
        packed=True,
    )
    if choices is None:
        choices = admin_list.CHOICES.keep(version, (), page.also)
    total = page.total
    return render(
        request,
        "handling/admin_complaints.html",
        {
            "rows": page.rows,
            "admin_rows": admin_list.admin_rows,
            "admin_menu": admin_list.admin_menu,
            # The choices as JSON text: the menus are kept per text (handling.admin_list).
            "choices": choices,
            "total": total,
            "pages": queue.page_count(total),
            "capped": queue.is_capped(filters, total),
            "filters": filters,
            "statuses": STATUSES,
            "priorities": PRIORITIES,
            "selected": selected or set(),
            "officer": officer,
            "error": error,
        },
        fragment="handling/admin_complaints_results.html",
        status_code=status_code,
    )


async def _assign(
    request: Request, form: FormInput, ids: list[int], form_field: str, settings: Settings
) -> int:
    """Assign the complaints to the form's officer (`assignment.assign`); what is wrong with
    the form itself is refused beside `form_field`."""
    if form.errors:
        raise Refused(form.errors["form"], INVALID, field=form_field)
    officer_id = record_id(form.get("officer"))
    if officer_id is None:
        raise Refused(_("Choose an officer."), INVALID, field="officer")
    return await assignment.assign(
        ids, officer_id, admin_id=request.user.id, ip=client_ip(request), settings=settings
    )


@get(LIST, name="admin:complaints", opt=ADMIN)
async def complaints_list(request: Request) -> Template:
    filters = queue.QueueFilters.from_query(dict(request.query_params), default_view="all")
    return await _list_page(request, filters)


@post(f"{LIST}/tugaskan", name="admin:complaints.assign", opt=ADMIN)
async def complaints_bulk_assign(request: Request, data: Form, settings: SettingsDep) -> Response:
    """Assign the ticked complaints to one officer; all or none, back to the same list."""
    form = read_form(data)
    filters = queue.QueueFilters.from_query(
        dict(parse_qsl(form.get("back")[:1000])), default_view="all"
    )
    # Ticked boxes that cannot be complaints are not complaints to assign.
    ids = [i for i in map(record_id, form.getall("complaint")) if i is not None]
    officer = form.get("officer")
    try:
        count = await _assign(request, form, ids, "form", settings)
    except Refused as refused:
        if refused.field is None:
            raise
        return await _list_page(
            request,
            filters,
            selected=set(ids),
            officer=officer,
            error=refused.message,
            status_code=422,
        )
    query = filters.query_string(page=filters.page)
    back = request.app.route_reverse("admin:complaints")
    return redirect(request, f"{back}?{query}" if query else back, _assigned_message(count))


def _assigned_message(count: int) -> str:
    if not count:
        return _("The selected complaints were already assigned to this officer.")
    return ngettext("%(num)d complaint assigned.", "%(num)d complaints assigned.", count)


async def _assign_page(
    request: Request,
    complaint_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    complaint = await assignment.complaint_summary(complaint_id)
    if complaint is None:
        raise NotFoundException()
    return render(
        request,
        "handling/admin_assign.html",
        {
            "complaint": complaint,
            "officers": await assignment.officers_by_unit([complaint["unit_id"]]),
            "values": values or {"officer": str(complaint["officer_id"] or "")},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@get(f"{LIST}/{{complaint_id:int}}/tugaskan", name="admin:complaints.assign_one", opt=ADMIN)
async def complaint_assign_page(request: Request, complaint_id: FromPath[int]) -> Template:
    return await _assign_page(request, complaint_id)


@post(f"{LIST}/{{complaint_id:int}}/tugaskan", name="admin:complaints.assign_one.submit", opt=ADMIN)
async def complaint_assign(
    request: Request, complaint_id: FromPath[int], data: Form, settings: SettingsDep
) -> Response:
    form = read_form(data)
    officer = form.get("officer")
    try:
        count = await _assign(request, form, [complaint_id], "officer", settings)
    except Refused as refused:
        if refused.reason == NOT_FOUND:
            raise NotFoundException() from None
        if refused.field is None:
            raise
        return await _assign_page(
            request,
            complaint_id,
            values={"officer": officer},
            errors={"officer": refused.message},
            status_code=422,
        )
    return redirect(
        request, request.app.route_reverse("admin:complaints"), _assigned_message(count)
    )


ROUTES = [complaints_list, complaints_bulk_assign, complaint_assign_page, complaint_assign]
