"""Admin pages for units, categories and response templates: list, create, edit, (de)activate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency import services
from pengaduan.audit import services as audit
from pengaduan.complaints.forms import idempotency_key
from pengaduan.i18n import _
from pengaduan.web.errors import user_error
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import client_ip, redirect
from pengaduan.web.templating import render
from pengaduan.web.values import record_id

ADMIN = {"access": "admin"}


async def _act(
    request: Request, back: str, action: Callable[[], Awaitable[Any]], done: str
) -> Response:
    """Run a state change; a refusal is a 409 (a toast for htmx), success goes back with a
    message."""
    try:
        await action()
    except services.AgencyError as error:
        if error.status_code == 404:
            raise NotFoundException() from None
        raise user_error(error.status_code, error.message) from None
    return redirect(request, back, done)


def _who(request: Request) -> dict[str, Any]:
    return {"admin_id": request.user.id, "ip": client_ip(request)}


# --- units -----------------------------------------------------------------------------------


@get("/admin/unit", name="agency:units", opt=ADMIN)
async def units_list(request: Request) -> Template:
    return render(request, "agency/units.html", {"units": await services.list_units()})


@get("/admin/unit/baru", name="agency:units.new", opt=ADMIN)
async def unit_new_page(request: Request) -> Template:
    return render(request, "agency/unit_form.html", {"unit": None, "values": {}, "errors": {}})


@post("/admin/unit/baru", name="agency:units.create", opt=ADMIN)
async def unit_create(request: Request, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or await services.create_unit(form.values, **_who(request))
    if not result.ok:
        return render(
            request,
            "agency/unit_form.html",
            {"unit": None, "values": result.values, "errors": result.errors},
            status_code=422,
        )
    return redirect(request, "/admin/unit", _("Unit %(name)s created.", name=result.values["name"]))


async def _unit_page(
    request: Request,
    unit_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    unit = await services.unit_detail(unit_id)
    if unit is None:
        raise NotFoundException()
    return render(
        request,
        "agency/unit_form.html",
        {
            "unit": unit,
            "values": values if values is not None else services.unit_form_values(unit),
            "errors": errors or {},
            "audit": await audit.entries_for_target("unit", unit_id),
        },
        status_code=status_code,
    )


@get("/admin/unit/{unit_id:int}", name="agency:units.detail", opt=ADMIN)
async def unit_detail(request: Request, unit_id: FromPath[int]) -> Template:
    return await _unit_page(request, unit_id)


@post("/admin/unit/{unit_id:int}", name="agency:units.update", opt=ADMIN)
async def unit_update(request: Request, unit_id: FromPath[int], data: Form) -> Response:
    try:
        form = read_form(data)
        result = form.refused() or await services.update_unit(unit_id, form.values, **_who(request))
    except services.AgencyError:
        raise NotFoundException() from None
    if not result.ok:
        return await _unit_page(request, unit_id, result.values, result.errors, 422)
    return redirect(request, "/admin/unit", _("Unit %(name)s saved.", name=result.values["name"]))


@post("/admin/unit/{unit_id:int}/nonaktifkan", name="agency:units.deactivate", opt=ADMIN)
async def unit_deactivate(request: Request, unit_id: FromPath[int]) -> Response:
    return await _act(
        request,
        f"/admin/unit/{unit_id}",
        lambda: services.set_unit_active(unit_id, False, **_who(request)),
        _("The unit is deactivated."),
    )


@post("/admin/unit/{unit_id:int}/aktifkan", name="agency:units.reactivate", opt=ADMIN)
async def unit_reactivate(request: Request, unit_id: FromPath[int]) -> Response:
    return await _act(
        request,
        f"/admin/unit/{unit_id}",
        lambda: services.set_unit_active(unit_id, True, **_who(request)),
        _("The unit is active again."),
    )


# --- categories ------------------------------------------------------------------------------


@get("/admin/kategori", name="agency:categories", opt=ADMIN)
async def categories_list(request: Request) -> Template:
    return render(
        request, "agency/categories.html", {"categories": await services.list_categories()}
    )


@get("/admin/kategori/baru", name="agency:categories.new", opt=ADMIN)
async def category_new_page(request: Request) -> Template:
    return render(
        request,
        "agency/category_form.html",
        {
            "category": None,
            "values": {"deadline_days": "14"},
            "errors": {},
            "units": await services.active_units(),
        },
    )


@post("/admin/kategori/baru", name="agency:categories.create", opt=ADMIN)
async def category_create(request: Request, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or await services.create_category(form.values, **_who(request))
    if not result.ok:
        return render(
            request,
            "agency/category_form.html",
            {
                "category": None,
                "values": result.values,
                "errors": result.errors,
                "units": await services.active_units(),
            },
            status_code=422,
        )
    return redirect(
        request, "/admin/kategori", _("Category %(name)s created.", name=result.values["name"])
    )


async def _category_page(
    request: Request,
    category_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    category = await services.category_detail(category_id)
    if category is None:
        raise NotFoundException()
    return render(
        request,
        "agency/category_form.html",
        {
            "category": category,
            "values": values if values is not None else services.category_form_values(category),
            "errors": errors or {},
            "units": await services.active_units(),
            "audit": await audit.entries_for_target("category", category_id),
        },
        status_code=status_code,
    )


@get("/admin/kategori/{category_id:int}", name="agency:categories.detail", opt=ADMIN)
async def category_detail(request: Request, category_id: FromPath[int]) -> Template:
    return await _category_page(request, category_id)


@post("/admin/kategori/{category_id:int}", name="agency:categories.update", opt=ADMIN)
async def category_update(request: Request, category_id: FromPath[int], data: Form) -> Response:
    try:
        form = read_form(data)
        result = form.refused() or await services.update_category(
            category_id, form.values, **_who(request)
        )
    except services.AgencyError:
        raise NotFoundException() from None
    if not result.ok:
        return await _category_page(request, category_id, result.values, result.errors, 422)
    return redirect(
        request, "/admin/kategori", _("Category %(name)s saved.", name=result.values["name"])
    )


@post(
    "/admin/kategori/{category_id:int}/nonaktifkan",
    name="agency:categories.deactivate",
    opt=ADMIN,
)
async def category_deactivate(request: Request, category_id: FromPath[int]) -> Response:
    return await _act(
        request,
        f"/admin/kategori/{category_id}",
        lambda: services.set_category_active(category_id, False, **_who(request)),
        _("The category is deactivated: it no longer appears in the new-complaint form."),
    )


@post("/admin/kategori/{category_id:int}/aktifkan", name="agency:categories.reactivate", opt=ADMIN)
async def category_reactivate(request: Request, category_id: FromPath[int]) -> Response:
    return await _act(
        request,
        f"/admin/kategori/{category_id}",
        lambda: services.set_category_active(category_id, True, **_who(request)),
        _("The category is active again."),
    )


@post("/admin/kategori/{category_id:int}/hapus", name="agency:categories.delete", opt=ADMIN)
async def category_delete(request: Request, category_id: FromPath[int]) -> Response:
    return await _act(
        request,
        "/admin/kategori",
        lambda: services.delete_category(category_id, **_who(request)),
        _("The category is deleted."),
    )


# --- response templates ----------------------------------------------------------------------


def _category_filter(request: Request) -> int | None:
    return record_id(request.query_params.get("kategori"))


@get("/admin/templat-tanggapan", name="agency:templates", opt=ADMIN)
async def templates_list(request: Request) -> Template:
    category_id = _category_filter(request)
    return render(
        request,
        "agency/response_templates.html",
        {
            "templates": await services.list_response_templates(category_id),
            "categories": await services.all_categories(),
            "category_id": category_id,
        },
    )


async def _template_form(
    request: Request,
    template: dict[str, Any] | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Template:
    categories = [
        c
        for c in await services.all_categories()
        if c["is_active"] or (template is not None and c["id"] == template["category"])
    ]
    return render(
        request,
        "agency/response_template_form.html",
        {
            "template": template,
            "values": values,
            "errors": errors,
            "categories": categories,
            "audit": (
                await audit.entries_for_target("response_template", template["id"])
                if template
                else []
            ),
        },
        status_code=status_code,
    )


@get("/admin/templat-tanggapan/baru", name="agency:templates.new", opt=ADMIN)
async def template_new_page(request: Request) -> Template:
    category_id = _category_filter(request)
    return await _template_form(request, None, {"category": str(category_id or "")}, {})


@post("/admin/templat-tanggapan/baru", name="agency:templates.create", opt=ADMIN)
async def template_create(request: Request, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or await services.create_response_template(
        form.values,
        **_who(request),
        idempotency_key=idempotency_key(form.values.get("idempotency_key")),
    )
    if not result.ok:
        return await _template_form(request, None, result.values, result.errors, 422)
    return redirect(
        request,
        "/admin/templat-tanggapan",
        _("Response template %(title)s created.", title=result.values["title"]),
    )


async def _existing_template(template_id: int) -> dict[str, Any]:
    template = await services.response_template_detail(template_id)
    if template is None:
        raise NotFoundException()
    return template


@get("/admin/templat-tanggapan/{template_id:int}", name="agency:templates.detail", opt=ADMIN)
async def template_detail(request: Request, template_id: FromPath[int]) -> Template:
    template = await _existing_template(template_id)
    return await _template_form(
        request, template, services.response_template_form_values(template), {}
    )


@post("/admin/templat-tanggapan/{template_id:int}", name="agency:templates.update", opt=ADMIN)
async def template_update(request: Request, template_id: FromPath[int], data: Form) -> Response:
    template = await _existing_template(template_id)
    try:
        form = read_form(data)
        result = form.refused() or await services.update_response_template(
            template_id, form.values, **_who(request)
        )
    except services.AgencyError:
        raise NotFoundException() from None
    if not result.ok:
        return await _template_form(request, template, result.values, result.errors, 422)
    return redirect(
        request,
        "/admin/templat-tanggapan",
        _("Response template %(title)s saved.", title=result.values["title"]),
    )


@post(
    "/admin/templat-tanggapan/{template_id:int}/nonaktifkan",
    name="agency:templates.deactivate",
    opt=ADMIN,
)
async def template_deactivate(request: Request, template_id: FromPath[int]) -> Response:
    return await _act(
        request,
        f"/admin/templat-tanggapan/{template_id}",
        lambda: services.set_response_template_active(template_id, False, **_who(request)),
        _("The response template is deactivated: officers no longer see it."),
    )


@post(
    "/admin/templat-tanggapan/{template_id:int}/aktifkan",
    name="agency:templates.reactivate",
    opt=ADMIN,
)
async def template_reactivate(request: Request, template_id: FromPath[int]) -> Response:
    return await _act(
        request,
        f"/admin/templat-tanggapan/{template_id}",
        lambda: services.set_response_template_active(template_id, True, **_who(request)),
        _("The response template is active again."),
    )


ROUTES = [
    units_list,
    unit_new_page,
    unit_create,
    unit_detail,
    unit_update,
    unit_deactivate,
    unit_reactivate,
    categories_list,
    category_new_page,
    category_create,
    category_detail,
    category_update,
    category_deactivate,
    category_reactivate,
    category_delete,
    templates_list,
    template_new_page,
    template_create,
    template_detail,
    template_update,
    template_deactivate,
    template_reactivate,
]
