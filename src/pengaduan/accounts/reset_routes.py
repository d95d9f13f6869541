"""Password reset without email: typing a code (sent by SMS or given at the service desk),
and the service desk's page where an officer checks the KTP and hands a code over."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.accounts import reset_codes
from pengaduan.i18n import _
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import client_ip, redirect, settings_of
from pengaduan.web.templating import render
from pengaduan.web.values import shown, text, unreadable_message

NO_STORE = {"Cache-Control": "no-store"}


# --- the citizen types the code -----------------------------------------------------------------


@get("/lupa-sandi/kode", name="accounts:reset.code", opt={"access": "anyone"})
async def code_page(request: Request) -> Template:
    values = {"identifier": request.query_params.get("akun", "")[:150]}
    return render(request, "accounts/reset_code.html", {"values": values, "errors": {}})


@post("/lupa-sandi/kode", name="accounts:reset.code.submit", opt={"access": "anyone"})
async def code_submit(request: Request, data: Form) -> Response:
    form = read_form(data)
    values = {"identifier": form.get("identifier"), "code": form.get("code")}
    if form.errors:
        return render(
            request,
            "accounts/reset_code.html",
            {"values": values, "errors": form.errors},
            status_code=422,
        )
    outcome = await reset_codes.redeem(
        settings_of(request),
        form.get("identifier"),
        form.get("code"),
        form.get("password"),
        form.get("password_confirm"),
        ip=client_ip(request),
    )
    if outcome.errors:
        return render(
            request,
            "accounts/reset_code.html",
            {"values": values, "errors": outcome.errors},
            status_code=429 if outcome.wait_seconds else 422,
            headers={"Retry-After": str(outcome.wait_seconds)} if outcome.wait_seconds else None,
        )
    return redirect(request, "/masuk", _("Your password is set. Log in with it now."))


# --- the service desk (officers and admins) ------------------------------------------------------


@get("/petugas/layanan-sandi", name="accounts:desk", opt={"access": "staff"})
async def desk_page(request: Request) -> Template:
    raw = request.query_params.get("username", "")
    typed = text(raw, limit=150)
    # What cannot be stored (a NUL, broken UTF-8) is not looked up: said, and shown back.
    search_errors = {} if typed is not None else {"username": unreadable_message()}
    username = (typed if typed is not None else shown(raw)[:150]).strip()
    account = None
    if username and not search_errors:
        account = await reset_codes.desk_account(settings_of(request), username)
    return render(
        request,
        "accounts/desk_reset.html",
        {
            "username": username,
            "account": account,
            "values": {},
            "errors": {},
            "search_errors": search_errors,
            "issued": None,
        },
        status_code=422 if search_errors else 200,
        headers=NO_STORE,
    )


@post("/petugas/layanan-sandi/{user_id:int}", name="accounts:desk.reset", opt={"access": "staff"})
async def desk_reset(request: Request, user_id: FromPath[int], data: Form) -> Template:
    form = read_form(data)
    outcome = None
    if not form.errors:
        outcome = await reset_codes.desk_reset(
            settings_of(request),
            officer_id=request.user.id,
            user_id=user_id,
            nik=form.get("nik"),
            ip=client_ip(request),
        )
        if outcome is None:
            raise NotFoundException()
    account = await reset_codes.desk_account_by_id(user_id)
    if account is None:
        raise NotFoundException()
    errors = form.errors or ({"nik": outcome.error} if outcome and outcome.error else {})
    return render(
        request,
        "accounts/desk_reset.html",
        {
            "username": account["username"],
            "account": account,
            # A wrong NIK stays typed, to be corrected; after success the form is gone.
            "values": {"nik": form.get("nik")} if errors else {},
            "errors": errors,
            "issued": None if errors else outcome,
        },
        status_code=422 if errors else 200,
        # The code is shown once: no cache, no history copy.
        headers=NO_STORE,
    )


ROUTES = [code_page, code_submit, desk_page, desk_reset]
