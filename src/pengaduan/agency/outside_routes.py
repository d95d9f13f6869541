"""Admin pages for outside agencies (instansi luar): the list, new, edit, (de)activate
(agency.pages), and the shared secret shown once when it is set or rotated."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.agency import outside
from pengaduan.agency.pages import ADMIN, Subject, who
from pengaduan.audit import services as audit
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.i18n import _
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import SettingsDep, settings_of
from pengaduan.web.templating import render

# A page that shows a secret is kept by nobody: not the browser's cache, not a proxy.
NO_STORE = {"Cache-Control": "no-store"}


@get("/admin/instansi-luar", name="agency:outside", opt=ADMIN)
async def outside_list(request: Request) -> Template:
    return render(
        request, "agency/outside_agencies.html", {"agencies": await outside.list_agencies()}
    )


OUTSIDE = Subject(
    name="outside",
    path="/admin/instansi-luar",
    param="agency_id",
    key="agency",
    target_type="outside_agency",
    page="agency/outside_agency_form.html",
    detail=outside.agency_detail,
    form_values=outside.agency_form_values,
    create=lambda request, values: outside.create_agency(
        values, settings_of(request), **who(request)
    ),
    # Replaced by outside_update below (the endpoint's rules need the settings); the
    # Subject's own update route is left out.
    update=lambda agency_id, values, admin: outside.update_agency(agency_id, values, **admin),
    set_active=outside.set_agency_active,
    created=lambda values: _("Outside agency %(name)s registered.", name=values["name"]),
    saved=lambda values: _("Outside agency %(name)s saved.", name=values["name"]),
    deactivated=lambda: _("The outside agency is deactivated."),
    reactivated=lambda: _("The outside agency is active again."),
)


def _secret_page(request: Request, agency: dict, secret: str, *, new: bool) -> Template:
    return render(
        request,
        "agency/outside_agency_secret.html",
        {"agency": agency, "secret": secret, "new": new},
        headers=NO_STORE,
    )


@post("/admin/instansi-luar/baru", name="agency:outside.create", opt=ADMIN)
async def outside_create(request: Request, data: Form, settings: SettingsDep) -> Response:
    """Registered: the secret is shown here, once (no redirect: it must not travel in a
    flash cookie); not registered: the form again (422)."""
    form = read_form(data)
    result = form.refused() or await outside.create_agency(form.values, settings, **who(request))
    if not result.ok:
        return await OUTSIDE.form(request, None, result.values, result.errors, 422)
    agency = await outside.agency_detail(int(result.values["id"]))
    return _secret_page(request, agency, result.values["secret"], new=True)


@post("/admin/instansi-luar/{agency_id:int}/rahasia", name="agency:outside.rotate", opt=ADMIN)
async def outside_rotate(
    request: Request, agency_id: FromPath[int], data: Form, settings: SettingsDep
) -> Response:
    """A new shared secret (typed, or made here), shown once; the old one stops working."""
    agency = await OUTSIDE.existing(agency_id)
    form = read_form(data)
    try:
        if form.errors:
            raise Refused(form.errors["form"], field="form")
        secret = await outside.rotate_secret(
            agency_id, form.get("secret", ""), settings, **who(request)
        )
    except Refused as refusal:
        if refusal.reason == NOT_FOUND:
            raise NotFoundException() from None
        context = {
            "agency": agency,
            "values": outside.agency_form_values(agency),
            "errors": {},
            "secret_error": refusal.message,
            "audit": await audit.entries_for_target("outside_agency", agency_id),
        }
        return render(request, OUTSIDE.page, context, status_code=422)
    return _secret_page(request, agency, secret, new=False)


@post("/admin/instansi-luar/{agency_id:int}", name="agency:outside.update", opt=ADMIN)
async def outside_update(
    request: Request, agency_id: FromPath[int], data: Form, settings: SettingsDep
) -> Response:
    return await OUTSIDE.save(
        request,
        data,
        lambda values: outside.update_agency(agency_id, values, settings, **who(request)),
        OUTSIDE.saved,
    )


# The Subject's pages, but for create (ours shows the secret) and update (ours has settings).
_OWN = ("agency:outside.create", "agency:outside.update")

ROUTES = [
    outside_list,
    outside_create,
    outside_update,
    outside_rotate,
    *(r for r in OUTSIDE.routes() if r.name not in _OWN),
]
