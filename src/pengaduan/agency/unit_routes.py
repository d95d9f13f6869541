"""Admin pages for units: the list, and new, edit, (de)activate (agency.pages)."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from pengaduan.agency import units
from pengaduan.agency.pages import ADMIN, Subject, who
from pengaduan.i18n import _
from pengaduan.web.templating import render


@get("/admin/unit", name="agency:units", opt=ADMIN)
async def units_list(request: Request) -> Template:
    return render(request, "agency/units.html", {"units": await units.list_units()})


UNITS = Subject(
    name="units",
    path="/admin/unit",
    param="unit_id",
    key="unit",
    target_type="unit",
    page="agency/unit_form.html",
    detail=units.unit_detail,
    form_values=units.unit_form_values,
    create=lambda request, values: units.create_unit(values, **who(request)),
    update=lambda unit_id, values, admin: units.update_unit(unit_id, values, **admin),
    set_active=units.set_unit_active,
    created=lambda values: _("Unit %(name)s created.", name=values["name"]),
    saved=lambda values: _("Unit %(name)s saved.", name=values["name"]),
    deactivated=lambda: _("The unit is deactivated."),
    reactivated=lambda: _("The unit is active again."),
)

ROUTES = [units_list, *UNITS.routes()]
