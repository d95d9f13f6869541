"""Tracking a complaint without an account, the pages: the form (filled in from the link in
an SMS), and the result for a number with its tracking code."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Template

from pengaduan.complaints import tracking
from pengaduan.complaints.pages import ANYONE
from pengaduan.i18n import _
from pengaduan.web import publiccache
from pengaduan.web.input import read_form
from pengaduan.web.templating import render
from pengaduan.web.values import shown, text, unreadable_message

NO_STORE = {"Cache-Control": "no-store"}


def _no_match() -> str:
    # The same words whichever part is wrong: nothing to learn about what exists.
    return _("No complaint matches this number and tracking code. Check both and try again.")


@get("/lacak", name="complaints:track", opt=ANYONE)
async def track_page(request: Request) -> Response:
    """The tracking form, filled in from ?nomor= (the link in an SMS) and ?kode=; the result
    straight away with both, or for the complaint's own reporter, logged in, with the number."""
    query = request.query_params
    if not query:
        # The empty form, the same for everyone but the token: kept (web.publiccache), private.
        async def empty() -> tuple[dict[str, Any], int]:
            return {"values": {"number": "", "code": ""}, "errors": {}, "result": None}, 200

        return await publiccache.respond(request, "complaints/track.html", empty, shared=False)
    typed = {"number": query.get("nomor", "")[:40], "code": query.get("kode", "")[:40]}
    errors = {name: unreadable_message() for name, value in typed.items() if text(value) is None}
    number, code = shown(typed["number"]), shown(typed["code"])
    result = None
    if number.strip() and not errors:
        user = request.scope.get("user")
        if code.strip():
            result = await tracking.track(number, code)
            if result is None:
                errors["form"] = _no_match()
        elif user is not None and user.role == "citizen":
            result = await tracking.track_own(number, user.id)
    return render(
        request,
        "complaints/track.html",
        {"values": {"number": number, "code": code}, "errors": errors, "result": result},
        status_code=422 if errors else 200,
        headers=NO_STORE,
    )


@post("/lacak", name="complaints:track.submit", opt=ANYONE)
async def track_submit(request: Request) -> Template:
    form = read_form(await request.form())
    values = {"number": form.get("number")[:40], "code": form.get("code")[:40]}
    errors = form.only("number", "code")
    if not values["number"].strip():
        errors["number"] = _("Enter the complaint number, e.g. ADU-2026-000123.")
    if not values["code"].strip():
        errors["code"] = _("Enter the tracking code you received.")
    result = None
    if not errors:
        result = await tracking.track(values["number"], values["code"])
        if result is None:
            errors["form"] = _no_match()
    if errors:
        return render(
            request,
            "complaints/track.html",
            {"values": values, "errors": errors, "result": None},
            status_code=422,
            headers=NO_STORE,
        )
    return render(
        request,
        "complaints/track.html",
        {"values": {"number": values["number"]}, "errors": {}, "result": result},
        headers=NO_STORE,
    )


ROUTES = [track_page, track_submit]
