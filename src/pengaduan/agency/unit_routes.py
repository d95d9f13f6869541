"""Admin pages for units: list, create, edit, (de)activate."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency import units
from pengaduan.agency.pages import ADMIN, act, form_page, path, save, who
from pengaduan.i18n import _
from pengaduan.web.input import Form
from pengaduan.web.templating import render


@get("/admin/unit", name="agency:units", opt=ADMIN)
async def units_list(request: Request) -> Template:
    return render(request, "agency/units.html", {"units": await units.list_units()})


async def _unit_form(
    request: Request,
    unit: dict[str, Any] | None,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    return await form_page(
        request,
        "agency/unit_form.html",
        subject="unit",
        row=unit,
        values=values,
        errors=errors or {},
        status_code=status_code,
    )


async def _existing(unit_id: int) -> dict[str, Any]:
    unit = await units.unit_detail(unit_id)
    if unit is None:
        raise NotFoundException()
    return unit


@get("/admin/unit/baru", name="agency:units.new", opt=ADMIN)
async def unit_new_page(request: Request) -> Template:
    return await _unit_form(request, None, {})


@post("/admin/unit/baru", name="agency:units.create", opt=ADMIN)
async def unit_create(request: Request, data: Form) -> Response:
    return await save(
        request,
        data,
        lambda values: units.create_unit(values, **who(request)),
        again=lambda result: _unit_form(request, None, result.values, result.errors, 422),
        back=path(request, "agency:units"),
        done=lambda values: _("Unit %(name)s created.", name=values["name"]),
    )


@get("/admin/unit/{unit_id:int}", name="agency:units.detail", opt=ADMIN)
async def unit_detail(request: Request, unit_id: FromPath[int]) -> Template:
    unit = await _existing(unit_id)
    return await _unit_form(request, unit, units.unit_form_values(unit))


@post("/admin/unit/{unit_id:int}", name="agency:units.update", opt=ADMIN)
async def unit_update(request: Request, unit_id: FromPath[int], data: Form) -> Response:
    async def again(result: Any) -> Template:
        unit = await _existing(unit_id)
        return await _unit_form(request, unit, result.values, result.errors, 422)

    return await save(
        request,
        data,
        lambda values: units.update_unit(unit_id, values, **who(request)),
        again=again,
        back=path(request, "agency:units"),
        done=lambda values: _("Unit %(name)s saved.", name=values["name"]),
    )


@post("/admin/unit/{unit_id:int}/nonaktifkan", name="agency:units.deactivate", opt=ADMIN)
async def unit_deactivate(request: Request, unit_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:units.detail", unit_id=unit_id),
        lambda: units.set_unit_active(unit_id, False, **who(request)),
        _("The unit is deactivated."),
    )


@post("/admin/unit/{unit_id:int}/aktifkan", name="agency:units.reactivate", opt=ADMIN)
async def unit_reactivate(request: Request, unit_id: FromPath[int]) -> Response:
    return await act(
        request,
        path(request, "agency:units.detail", unit_id=unit_id),
        lambda: units.set_unit_active(unit_id, True, **who(request)),
        _("The unit is active again."),
    )


ROUTES = [
    units_list,
    unit_new_page,
    unit_create,
    unit_detail,
    unit_update,
    unit_deactivate,
    unit_reactivate,
]
