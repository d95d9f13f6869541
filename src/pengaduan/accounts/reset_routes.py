"""Getting back into an account: asking for a reset ("forgot password"), the page a reset or
invitation link opens, typing a code (sent by SMS or given at the service desk), and the
service desk's page where an officer checks the KTP and hands a code over."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.accounts import password_change, reset_codes, reset_requests, throttle, tokens
from pengaduan.accounts.routes import BAD_LINK, form_again, retry_after
from pengaduan.errors import Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings
from pengaduan.web.errors import status_of
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import SettingsDep, client_ip, redirect
from pengaduan.web.templating import render
from pengaduan.web.values import shown, text, unreadable_message

NO_STORE = {"Cache-Control": "no-store"}


# --- asking for a reset -----------------------------------------------------------------------


def _forgot(
    request: Request, settings: Settings, context: dict[str, Any], **options: Any
) -> Template:
    # Without email, the way back is a code: by SMS with a gateway, else at the service desk.
    context = {**context, "sms_enabled": settings.sms_enabled}
    return render(request, "accounts/forgot.html", context, **options)


@get("/lupa-sandi", name="accounts:forgot", opt={"access": "anyone"})
async def forgot_page(request: Request, settings: SettingsDep) -> Template:
    return _forgot(request, settings, {"values": {}, "errors": {}, "sent": False})


@post("/lupa-sandi", name="accounts:forgot.submit", opt={"access": "anyone"})
async def forgot_submit(request: Request, settings: SettingsDep, data: Form) -> Template:
    form = read_form(data)
    identifier = form.get("identifier").strip()
    if not identifier or form.errors:
        return _forgot(
            request,
            settings,
            {
                "values": form.values,
                "errors": form.errors or {"identifier": _("Enter your username or email.")},
                "sent": False,
            },
            status_code=422,
        )
    try:
        await throttle.limit_requests("reset", client_ip(request))
    except Refused as busy:
        return _forgot(
            request,
            settings,
            {"values": {"identifier": identifier}, "errors": {"form": busy.message}, "sent": False},
            status_code=status_of(busy),
            headers=retry_after(busy.retry_after),
        )
    # The same answer, as fast, whether or not the account exists: the looking up and mailing
    # happen after it is sent.
    response = _forgot(request, settings, {"values": {}, "errors": {}, "sent": True})
    response.background = BackgroundTask(
        reset_requests.request_password_reset, settings, identifier, ip=client_ip(request)
    )
    return response


# --- the page a reset or invitation link opens ------------------------------------------------


def _bad_link(request: Request, refused: Refused) -> Template:
    return render(
        request,
        "accounts/message.html",
        {
            "title": _("Set a password"),
            "message": refused.message,
            "level": "bad",
            "link": (request.app.route_reverse("accounts:forgot"), _("Ask for a new link")),
        },
        status_code=BAD_LINK,
    )


async def _reset_page(
    request: Request, settings: Settings, token: str, *, invite: bool
) -> Template:
    try:
        user = await tokens.user_for_reset_token(settings, token, invite=invite)
    except Refused as refused:
        return _bad_link(request, refused)
    return render(
        request,
        "accounts/reset.html",
        {"user": user, "token": token, "errors": {}, "invite": invite},
    )


async def _reset_submit(
    request: Request, settings: Settings, token: str, data: dict[str, Any], *, invite: bool
) -> Response:
    try:
        user = await tokens.user_for_reset_token(settings, token, invite=invite)
    except Refused as refused:
        return _bad_link(request, refused)
    form = read_form(data)
    errors = form.errors or await password_change.set_password(
        settings,
        user,
        form.get("password"),
        form.get("password_confirm"),
        ip=client_ip(request),
        via="invite" if invite else "reset",
    )
    if errors:
        return render(
            request,
            "accounts/reset.html",
            {"user": user, "token": token, "errors": errors, "invite": invite},
            status_code=422,
        )
    return _password_set(request)


def _password_set(request: Request) -> Response:
    return redirect(
        request,
        request.app.route_reverse("accounts:login"),
        _("Your password is set. Log in with it now."),
    )


@get(tokens.RESET_PATH + "/{token:str}", name="accounts:reset", opt={"access": "anyone"})
async def reset_page(request: Request, settings: SettingsDep, token: FromPath[str]) -> Template:
    return await _reset_page(request, settings, token, invite=False)


@post(tokens.RESET_PATH + "/{token:str}", name="accounts:reset.submit", opt={"access": "anyone"})
async def reset_submit(
    request: Request, settings: SettingsDep, token: FromPath[str], data: Form
) -> Response:
    return await _reset_submit(request, settings, token, data, invite=False)


@get(tokens.INVITE_PATH + "/{token:str}", name="accounts:invite", opt={"access": "anyone"})
async def invite_page(request: Request, settings: SettingsDep, token: FromPath[str]) -> Template:
    return await _reset_page(request, settings, token, invite=True)


@post(tokens.INVITE_PATH + "/{token:str}", name="accounts:invite.submit", opt={"access": "anyone"})
async def invite_submit(
    request: Request, settings: SettingsDep, token: FromPath[str], data: Form
) -> Response:
    return await _reset_submit(request, settings, token, data, invite=True)


# --- the citizen types the code -----------------------------------------------------------------


@get("/lupa-sandi/kode", name="accounts:reset.code", opt={"access": "anyone"})
async def code_page(request: Request) -> Template:
    values = {"identifier": request.query_params.get("akun", "")[:150]}
    return render(request, "accounts/reset_code.html", {"values": values, "errors": {}})


@post("/lupa-sandi/kode", name="accounts:reset.code.submit", opt={"access": "anyone"})
async def code_submit(request: Request, settings: SettingsDep, data: Form) -> Response:
    form = read_form(data)
    if form.errors:
        values = {"identifier": form.get("identifier"), "code": form.get("code")}
        return render(
            request,
            "accounts/reset_code.html",
            {"values": values, "errors": form.errors},
            status_code=422,
        )
    result = await reset_codes.redeem(
        settings,
        form.get("identifier"),
        form.get("code"),
        form.get("password"),
        form.get("password_confirm"),
        ip=client_ip(request),
    )
    if not result.ok:
        return render(
            request,
            "accounts/reset_code.html",
            {"values": result.values, "errors": result.errors},
            **form_again(result),
        )
    return _password_set(request)


# --- the service desk (officers and admins) ------------------------------------------------------


@get("/petugas/layanan-sandi", name="accounts:desk", opt={"access": "staff"})
async def desk_page(request: Request, settings: SettingsDep) -> Template:
    raw = request.query_params.get("username", "")
    typed = text(raw, limit=150)
    # What cannot be stored (a NUL, broken UTF-8) is not looked up: said, and shown back.
    search_errors = {} if typed is not None else {"username": unreadable_message()}
    username = (typed if typed is not None else shown(raw)[:150]).strip()
    account = None
    if username and not search_errors:
        account = await reset_codes.desk_account(settings, username)
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
async def desk_reset(
    request: Request, settings: SettingsDep, user_id: FromPath[int], data: Form
) -> Template:
    form = read_form(data)
    errors, issued, status_code = form.errors, None, 422
    if not errors:
        try:
            issued = await reset_codes.desk_reset(
                settings,
                officer_id=request.user.id,
                user_id=user_id,
                nik=form.get("nik"),
                ip=client_ip(request),
            )
        except Refused as refused:
            errors, status_code = {refused.field or "form": refused.message}, status_of(refused)
        else:
            if issued is None:
                raise NotFoundException()
    account = await reset_codes.desk_account_by_id(user_id)
    if account is None:
        raise NotFoundException()
    return render(
        request,
        "accounts/desk_reset.html",
        {
            "username": account["username"],
            "account": account,
            # A wrong NIK stays typed, to be corrected; after success the form is gone.
            "values": {"nik": form.get("nik")} if errors else {},
            "errors": errors,
            "issued": None if errors else issued,
        },
        status_code=status_code if errors else 200,
        # The code is shown once: no cache, no history copy.
        headers=NO_STORE,
    )


ROUTES = [
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    invite_page,
    invite_submit,
    code_page,
    code_submit,
    desk_page,
    desk_reset,
]
