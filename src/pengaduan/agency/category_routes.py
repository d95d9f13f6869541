"""Admin pages for complaint categories: list, create, edit, (de)activate, delete."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency import categories
from pengaduan.agency.pages import ADMIN, act, form_page, path, save, who
from pengaduan.agency.units import active_units
from pengaduan.i18n import _
from pengaduan.web.input import Form
from pengaduan.web.templating import render


@get("/admin/kategori", name="agency:categories", opt=ADMIN)
async def categories_list(request: Request) -> Template:
    return render(
        request, "agency/categories.html", {"categories": await categories.list_categories()}
    )


async def _category_form(
    request: Request,
    category: dict[str, Any] | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return await form_page(
        request,
        "agency/category_form.html",
        subject="category",
        row=category,
        values=values,
        errors=errors or {},
        status_code=status_code,
        units=await active_units(),
    )


async def _existing(category_id: int) -> dict[str, Any]:
    category = await categories.category_detail(category_id)
    if category is None:
        raise NotFoundException()
    return category


@get("/admin/kategori/baru", name="agency:categories.new", opt=ADMIN)
async def category_new_page(request: Request) -> Template:
    return await _category_form(request, None, {"deadline_days": "14"})


@post("/admin/kategori/baru", name="agency:categories.create", opt=ADMIN)
async def category_create(request: Request, data: Form) -> Response:
    return await save(
        request,
        data,
        lambda values: categories.create_category(values, **who(request)),
        again=lambda result: _category_form(request, None, result.values, result.errors, 422),
        back=path(request, "agency:categories"),
        done=lambda values: _("Category %(name)s created.", name=values["name"]),
    )


@get("/admin/kategori/{category_id:int}", name="agency:categories.detail", opt=ADMIN)
async def category_detail(request: Request, category_id: FromPath[int]) -> Template:
    category = await _existing(category_id)
    return await _category_form(request, category, categories.category_form_values(category))


@post("/admin/kategori/{category_id:int}", name="agency:categories.update", opt=ADMIN)
async def category_update(request: Request, category_id: FromPath[int], data: Form) -> Response:
    async def again(result: Any) -> Template:
        category = await _existing(category_id)
        return await _category_form(request, category, result.values, result.errors, 422)

    return await save(
        request,
        data,
        lambda values: categories.update_category(category_id, values, **who(request)),
        again=again,
        back=path(request, "agency:categories"),
        done=lambda values: _("Category %(name)s saved.", name=values["name"]),
    )


@post(
    "/admin/kategori/{category_id:int}/nonaktifkan",
    name="agency:categories.deactivate",
    opt=ADMIN,
)
async def category_deactivate(request: Request, category_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:categories.detail", category_id=category_id),
        lambda: categories.set_category_active(category_id, False, **who(request)),
        _("The category is deactivated: it no longer appears in the new-complaint form."),
    )


@post("/admin/kategori/{category_id:int}/aktifkan", name="agency:categories.reactivate", opt=ADMIN)
async def category_reactivate(request: Request, category_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:categories.detail", category_id=category_id),
        lambda: categories.set_category_active(category_id, True, **who(request)),
        _("The category is active again."),
    )


@post("/admin/kategori/{category_id:int}/hapus", name="agency:categories.delete", opt=ADMIN)
async def category_delete(request: Request, category_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:categories"),
        lambda: categories.delete_category(category_id, **who(request)),
        _("The category is deleted."),
    )


ROUTES = [
    categories_list,
    category_new_page,
    category_create,
    category_detail,
    category_update,
    category_deactivate,
    category_reactivate,
    category_delete,
]
