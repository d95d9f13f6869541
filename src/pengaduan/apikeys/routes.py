"""The admin page of API keys: the list (with last use), issuing one, revoking one.

A new key is shown in the answer to the form that made it and nowhere else: not in a
redirect's flash cookie or URL, and never again (only its hash is kept). That answer is
therefore the page itself (201), not Post/Redirect/Get; reloading it asks to resend the form,
which would issue a second key, so the page says to copy the key and go back to the list.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.apikeys import services
from pengaduan.apikeys.services import DEFAULT_PER_MINUTE, scope_labels
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.i18n import _
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import client_ip, redirect
from pengaduan.web.templating import render

ADMIN = {"access": "admin"}


async def _page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    *,
    new_key: str | None = None,
    status_code: int = 200,
) -> Template:
    return render(
        request,
        "admin/api_keys.html",
        {
            "keys": await services.list_keys(),
            "scope_labels": scope_labels(),
            "values": values,
            "errors": errors or {},
            "new_key": new_key,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@get("/admin/kunci-api", name="apikeys:list", opt=ADMIN)
async def key_list(request: Request) -> Template:
    return await _page(
        request, {"requests_per_minute": str(DEFAULT_PER_MINUTE), "scopes": ["read"]}
    )


@post("/admin/kunci-api", name="apikeys:issue", opt=ADMIN)
async def issue(request: Request, data: Form) -> Template:
    form = read_form(data)
    scopes = [s for s in form.getall("scopes") if isinstance(s, str)]
    values: dict[str, Any] = {**form.values, "scopes": scopes}
    refused = form.refused()
    if refused is not None:
        return await _page(request, values, refused.errors, status_code=422)
    checked, raw = await services.issue_key(
        form.values, scopes, admin_id=request.user.id, ip=client_ip(request)
    )
    if raw is None:
        return await _page(request, values, checked.errors, status_code=422)
    fresh = {"requests_per_minute": str(DEFAULT_PER_MINUTE), "scopes": ["read"]}
    return await _page(request, fresh, new_key=raw, status_code=201)


@post("/admin/kunci-api/{key_id:int}/cabut", name="apikeys:revoke", opt=ADMIN)
async def revoke(request: Request, key_id: FromPath[int]) -> Response:
    try:
        name = await services.revoke_key(key_id, admin_id=request.user.id, ip=client_ip(request))
    except Refused as refused:
        if refused.reason == NOT_FOUND:
            raise NotFoundException() from None
        return redirect(request, request.app.route_reverse("apikeys:list"), refused.message, "bad")
    return redirect(
        request,
        request.app.route_reverse("apikeys:list"),
        _("The key %(name)s is revoked.", name=name),
    )


ROUTES = [key_list, issue, revoke]
