"""Admin pages for response templates: list (by category), create, edit, (de)activate."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency import response_templates as templates
from pengaduan.agency.categories import all_categories
from pengaduan.agency.pages import ADMIN, act, form_page, path, save, who
from pengaduan.complaints.forms import idempotency_key
from pengaduan.i18n import _
from pengaduan.web.input import Form
from pengaduan.web.templating import render
from pengaduan.web.values import record_id


def _category_filter(request: Request) -> int | None:
    return record_id(request.query_params.get("kategori"))


@get("/admin/templat-tanggapan", name="agency:templates", opt=ADMIN)
async def templates_list(request: Request) -> Template:
    category_id = _category_filter(request)
    return render(
        request,
        "agency/response_templates.html",
        {
            "templates": await templates.list_response_templates(category_id),
            "categories": await all_categories(),
            "category_id": category_id,
        },
    )


async def _template_form(
    request: Request,
    template: dict[str, Any] | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    # An inactive category is offered only to the template that has it already.
    choices = [
        c
        for c in await all_categories()
        if c["is_active"] or (template is not None and c["id"] == template["category"])
    ]
    return await form_page(
        request,
        "agency/response_template_form.html",
        subject="template",
        row=template,
        values=values,
        errors=errors or {},
        status_code=status_code,
        categories=choices,
        audit=[],
    )


async def _existing(template_id: int) -> dict[str, Any]:
    template = await templates.response_template_detail(template_id)
    if template is None:
        raise NotFoundException()
    return template


@get("/admin/templat-tanggapan/baru", name="agency:templates.new", opt=ADMIN)
async def template_new_page(request: Request) -> Template:
    category_id = _category_filter(request)
    return await _template_form(request, None, {"category": str(category_id or "")})


@post("/admin/templat-tanggapan/baru", name="agency:templates.create", opt=ADMIN)
async def template_create(request: Request, data: Form) -> Response:
    return await save(
        request,
        data,
        lambda values: templates.create_response_template(
            values,
            **who(request),
            idempotency_key=idempotency_key(values.get("idempotency_key")),
        ),
        again=lambda result: _template_form(request, None, result.values, result.errors, 422),
        back=path(request, "agency:templates"),
        done=lambda values: _("Response template %(title)s created.", title=values["title"]),
    )


@get("/admin/templat-tanggapan/{template_id:int}", name="agency:templates.detail", opt=ADMIN)
async def template_detail(request: Request, template_id: FromPath[int]) -> Template:
    template = await _existing(template_id)
    return await _template_form(
        request, template, templates.response_template_form_values(template)
    )


@post("/admin/templat-tanggapan/{template_id:int}", name="agency:templates.update", opt=ADMIN)
async def template_update(request: Request, template_id: FromPath[int], data: Form) -> Response:
    template = await _existing(template_id)
    return await save(
        request,
        data,
        lambda values: templates.update_response_template(template_id, values, **who(request)),
        again=lambda result: _template_form(request, template, result.values, result.errors, 422),
        back=path(request, "agency:templates"),
        done=lambda values: _("Response template %(title)s saved.", title=values["title"]),
    )


@post(
    "/admin/templat-tanggapan/{template_id:int}/nonaktifkan",
    name="agency:templates.deactivate",
    opt=ADMIN,
)
async def template_deactivate(request: Request, template_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:templates.detail", template_id=template_id),
        lambda: templates.set_response_template_active(template_id, False, **who(request)),
        _("The response template is deactivated: officers no longer see it."),
    )


@post(
    "/admin/templat-tanggapan/{template_id:int}/aktifkan",
    name="agency:templates.reactivate",
    opt=ADMIN,
)
async def template_reactivate(request: Request, template_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:templates.detail", template_id=template_id),
        lambda: templates.set_response_template_active(template_id, True, **who(request)),
        _("The response template is active again."),
    )


ROUTES = [
    templates_list,
    template_new_page,
    template_create,
    template_detail,
    template_update,
    template_deactivate,
    template_reactivate,
]
