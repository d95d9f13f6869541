"""Admin pages for complaint categories: the list, new, edit, (de)activate (agency.pages)
and delete."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency import categories
from pengaduan.agency.pages import ADMIN, Subject, path, who
from pengaduan.agency.units import active_units
from pengaduan.i18n import _
from pengaduan.web.templating import render


@get("/admin/kategori", name="agency:categories", opt=ADMIN)
async def categories_list(request: Request) -> Template:
    return render(
        request, "agency/categories.html", {"categories": await categories.list_categories()}
    )


async def _choices(category: dict[str, Any] | None) -> dict[str, Any]:
    return {"units": await active_units()}


CATEGORIES = Subject(
    name="categories",
    path="/admin/kategori",
    param="category_id",
    key="category",
    target_type="category",
    page="agency/category_form.html",
    detail=categories.category_detail,
    form_values=categories.category_form_values,
    create=lambda request, values: categories.create_category(values, **who(request)),
    update=lambda category_id, values, admin: categories.update_category(
        category_id, values, **admin
    ),
    set_active=categories.set_category_active,
    created=lambda values: _("Category %(name)s created.", name=values["name"]),
    saved=lambda values: _("Category %(name)s saved.", name=values["name"]),
    deactivated=lambda: _(
        "The category is deactivated: it no longer appears in the new-complaint form."
    ),
    reactivated=lambda: _("The category is active again."),
    extra=_choices,
    new_values=lambda request: {"deadline_days": "14"},
)


@post("/admin/kategori/{category_id:int}/hapus", name="agency:categories.delete", opt=ADMIN)
async def category_delete(request: Request, category_id: FromPath[int]) -> Response:
    return await CATEGORIES.act(
        request,
        path(request, "agency:categories"),
        categories.delete_category(category_id, **who(request)),
        _("The category is deleted."),
    )


ROUTES = [categories_list, *CATEGORIES.routes(), category_delete]
