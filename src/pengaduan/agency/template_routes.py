"""Admin pages for response templates: the list (by category), new, edit, (de)activate
(agency.pages)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from pengaduan.agency import response_templates as templates
from pengaduan.agency.categories import all_categories
from pengaduan.agency.pages import ADMIN, Subject, who
from pengaduan.complaints.forms import idempotency_key
from pengaduan.i18n import _
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


async def _choices(template: dict[str, Any] | None) -> dict[str, Any]:
    # An inactive category is offered only to the template that has it already.
    choices = [
        c
        for c in await all_categories()
        if c["is_active"] or (template is not None and c["id"] == template["category"])
    ]
    return {"categories": choices, "audit": []}


TEMPLATES = Subject(
    name="templates",
    path="/admin/templat-tanggapan",
    param="template_id",
    key="template",
    target_type="response_template",
    page="agency/response_template_form.html",
    detail=templates.response_template_detail,
    form_values=templates.response_template_form_values,
    create=lambda request, values: templates.create_response_template(
        values, **who(request), idempotency_key=idempotency_key(values.get("idempotency_key"))
    ),
    update=lambda template_id, values, admin: templates.update_response_template(
        template_id, values, **admin
    ),
    set_active=templates.set_response_template_active,
    created=lambda values: _("Response template %(title)s created.", title=values["title"]),
    saved=lambda values: _("Response template %(title)s saved.", title=values["title"]),
    deactivated=lambda: _("The response template is deactivated: officers no longer see it."),
    reactivated=lambda: _("The response template is active again."),
    extra=_choices,
    new_values=lambda request: {"category": str(_category_filter(request) or "")},
)

ROUTES = [templates_list, *TEMPLATES.routes()]
