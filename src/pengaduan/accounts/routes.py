"""Account pages: register, confirm email, log in and out, reset and change password, profile."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pengaduan.accounts import services, sessions
from pengaduan.accounts.guards import landing_for
from pengaduan.i18n import _, get_locale
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import client_ip, redirect, settings_of
from pengaduan.web.language import safe_next
from pengaduan.web.templating import render

# --- registration ---------------------------------------------------------------------------


@get("/daftar", name="accounts:register", opt={"access": "guest"})
async def register_page(request: Request) -> Template:
    return render(request, "accounts/register.html", {"values": {}, "errors": {}})


@post("/daftar", name="accounts:register.submit", opt={"access": "guest"})
async def register_submit(request: Request, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or (
        await services.register(
            settings_of(request), form.values, language=get_locale(), ip=client_ip(request)
        )
    )
    if not result.ok:
        return render(
            request,
            "accounts/register.html",
            {"values": result.values, "errors": result.errors},
            status_code=429 if result.wait_seconds else 422,
            headers={"Retry-After": str(result.wait_seconds)} if result.wait_seconds else None,
        )
    message = _("Your account is ready. Log in with your username and password.")
    if result.values.get("email"):
        message += " " + _(
            "We sent a confirmation link to %(email)s.", email=result.values["email"]
        )
    return redirect(request, "/masuk", message)


@get("/konfirmasi-email/{token:str}", name="accounts:confirm", opt={"access": "anyone"})
async def confirm_email_page(request: Request, token: FromPath[str]) -> Template:
    """The link from the mail: a button that confirms (opening the link changes nothing)."""
    try:
        email = await services.email_to_confirm(settings_of(request), token)
    except services.AccountError as error:
        return render(
            request,
            "accounts/message.html",
            {"title": _("Email confirmation"), "message": str(error), "level": "bad"},
            status_code=400,
        )
    return render(request, "accounts/confirm_email.html", {"email": email})


@post("/konfirmasi-email/{token:str}", name="accounts:confirm.submit", opt={"access": "anyone"})
async def confirm_email(request: Request, token: FromPath[str]) -> Template:
    try:
        message = await services.confirm_email(settings_of(request), token)
        level = "ok"
    except services.AccountError as error:
        message, level = str(error), "bad"
    return render(
        request,
        "accounts/message.html",
        {"title": _("Email confirmation"), "message": message, "level": level},
        status_code=200 if level == "ok" else 400,
    )


@post("/akun/kirim-konfirmasi", name="accounts:confirm.resend", opt={"access": "user"})
async def resend_confirmation(request: Request) -> Response:
    try:
        await services.resend_confirmation(settings_of(request), request.user.id)
    except services.AccountError as error:
        return redirect(request, "/akun", str(error), "bad")
    return redirect(request, "/akun", _("We sent a new confirmation link."))


# --- login and logout -----------------------------------------------------------------------


@get("/masuk", name="accounts:login", opt={"access": "guest"})
async def login_page(request: Request) -> Template:
    target = request.query_params.get("next", "")
    return render(
        request,
        "accounts/login.html",
        {"values": {"next": safe_next(target) if target else ""}, "errors": {}},
    )


@post("/masuk", name="accounts:login.submit", opt={"access": "guest"})
async def login_submit(request: Request, data: Form) -> Response:
    form = read_form(data)
    values = {"identifier": form.get("identifier"), "next": form.get("next")}
    if form.errors:
        return render(
            request,
            "accounts/login.html",
            {"values": values, "errors": form.errors},
            status_code=422,
        )
    settings = settings_of(request)
    outcome = await services.authenticate(
        settings, form.get("identifier", ""), form.get("password", ""), ip=client_ip(request)
    )
    if outcome.user is None:
        return render(
            request,
            "accounts/login.html",
            {"values": values, "errors": {"form": outcome.error}},
            status_code=429 if outcome.wait_seconds else 422,
            headers={"Retry-After": str(outcome.wait_seconds)} if outcome.wait_seconds else None,
        )
    user = outcome.user
    old = request.scope.get("user")
    cookie = await sessions.start_session(
        settings,
        user["id"],
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
        replaces=old.session_hash if old else None,
    )
    target = form.get("next") or ""
    target = safe_next(target) if target else landing_for(user["role"])
    response = Redirect(path=target, status_code=303, headers={"Vary": "HX-Request"})
    response.set_cookie(cookie)
    # Their language follows the account from now on.
    response.set_cookie(
        key="lang",
        value=user["language"],
        max_age=365 * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@post("/keluar", name="accounts:logout", opt={"access": "user"})
async def logout(request: Request) -> Response:
    await sessions.end_session(request.user.session_hash)
    response = redirect(request, "/", _("You are logged out."))
    response.set_cookie(sessions.expired_cookie(settings_of(request)))
    return response


@post("/keluar-semua", name="accounts:logout.all", opt={"access": "user"})
async def logout_everywhere(request: Request) -> Response:
    count = await sessions.end_user_sessions(request.user.id)
    response = redirect(
        request, "/masuk", _("You are logged out on all devices (%(count)d sessions).", count=count)
    )
    response.set_cookie(sessions.expired_cookie(settings_of(request)))
    return response


# --- password reset -------------------------------------------------------------------------


def _forgot(request: Request, context: dict[str, Any], **options: Any) -> Template:
    # Without email, the way back is a code: by SMS with a gateway, else at the service desk.
    context = {**context, "sms_enabled": settings_of(request).sms_enabled}
    return render(request, "accounts/forgot.html", context, **options)


@get("/lupa-sandi", name="accounts:forgot", opt={"access": "anyone"})
async def forgot_page(request: Request) -> Template:
    return _forgot(request, {"values": {}, "errors": {}, "sent": False})


@post("/lupa-sandi", name="accounts:forgot.submit", opt={"access": "anyone"})
async def forgot_submit(request: Request, data: Form) -> Template:
    form = read_form(data)
    identifier = form.get("identifier").strip()
    if not identifier or form.errors:
        return _forgot(
            request,
            {
                "values": form.values,
                "errors": form.errors or {"identifier": _("Enter your username or email.")},
                "sent": False,
            },
            status_code=422,
        )
    busy = await services.requests_throttled("reset", client_ip(request))
    if busy:
        return _forgot(
            request,
            {"values": {"identifier": identifier}, "errors": {"form": busy.error}, "sent": False},
            status_code=429,
            headers={"Retry-After": str(busy.wait_seconds)},
        )
    # The same answer, as fast, whether or not the account exists: the looking up and mailing
    # happen after it is sent.
    response = _forgot(request, {"values": {}, "errors": {}, "sent": True})
    response.background = BackgroundTask(
        services.request_password_reset, settings_of(request), identifier, ip=client_ip(request)
    )
    return response


async def _reset_page(request: Request, token: str, *, invite: bool) -> Template:
    try:
        user = await services.user_for_reset_token(settings_of(request), token, invite=invite)
    except services.AccountError as error:
        return render(
            request,
            "accounts/message.html",
            {
                "title": _("Set a password"),
                "message": str(error),
                "level": "bad",
                "link": ("/lupa-sandi", _("Ask for a new link")),
            },
            status_code=400,
        )
    return render(
        request,
        "accounts/reset.html",
        {"user": user, "token": token, "errors": {}, "invite": invite},
    )


async def _reset_submit(
    request: Request, token: str, data: dict[str, Any], *, invite: bool
) -> Response:
    settings = settings_of(request)
    try:
        user = await services.user_for_reset_token(settings, token, invite=invite)
    except services.AccountError as error:
        return render(
            request,
            "accounts/message.html",
            {
                "title": _("Set a password"),
                "message": str(error),
                "level": "bad",
                "link": ("/lupa-sandi", _("Ask for a new link")),
            },
            status_code=400,
        )
    form = read_form(data)
    errors = form.errors or await services.set_password(
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
    return redirect(request, "/masuk", _("Your password is set. Log in with it now."))


@get("/atur-ulang-sandi/{token:str}", name="accounts:reset", opt={"access": "anyone"})
async def reset_page(request: Request, token: FromPath[str]) -> Template:
    return await _reset_page(request, token, invite=False)


@post("/atur-ulang-sandi/{token:str}", name="accounts:reset.submit", opt={"access": "anyone"})
async def reset_submit(request: Request, token: FromPath[str], data: Form) -> Response:
    return await _reset_submit(request, token, data, invite=False)


@get("/undangan/{token:str}", name="accounts:invite", opt={"access": "anyone"})
async def invite_page(request: Request, token: FromPath[str]) -> Template:
    return await _reset_page(request, token, invite=True)


@post("/undangan/{token:str}", name="accounts:invite.submit", opt={"access": "anyone"})
async def invite_submit(request: Request, token: FromPath[str], data: Form) -> Response:
    return await _reset_submit(request, token, data, invite=True)


# --- profile --------------------------------------------------------------------------------


async def _profile_page(
    request: Request,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    password_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    settings = settings_of(request)
    account, active = await services.profile_and_sessions(settings, request.user.id)
    return render(
        request,
        "accounts/profile.html",
        {
            "account": account,
            "values": values if values is not None else account,
            "errors": errors or {},
            "password_errors": password_errors or {},
            "sessions": active,
            "current_session": request.user.session_hash,
        },
        status_code=status_code,
    )


@get("/akun", name="accounts:profile", opt={"access": "user"})
async def profile_page(request: Request) -> Template:
    return await _profile_page(request)


@post("/akun", name="accounts:profile.submit", opt={"access": "user"})
async def profile_submit(request: Request, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or (
        await services.update_profile(
            settings_of(request), request.user.id, form.values, ip=client_ip(request)
        )
    )
    if not result.ok:
        return await _profile_page(
            request, values=result.values, errors=result.errors, status_code=422
        )
    message = _("Your profile is saved.")
    if result.values.get("email_changed"):
        message += " " + _(
            "We sent a confirmation link to %(email)s.", email=result.values["email"]
        )
    return redirect(request, "/akun", message)


@post("/akun/sandi", name="accounts:password", opt={"access": "user"})
async def change_password(request: Request, data: Form) -> Response:
    form = read_form(data)
    errors = form.errors or await services.change_password(
        settings_of(request),
        request.user.id,
        form.get("current_password"),
        form.get("password"),
        form.get("password_confirm"),
        keep_session=request.user.session_hash,
        ip=client_ip(request),
    )
    if errors:
        return await _profile_page(request, password_errors=errors, status_code=422)
    return redirect(
        request, "/akun", _("Your password is changed. Your other sessions have ended.")
    )


ROUTES = [
    register_page,
    register_submit,
    confirm_email_page,
    confirm_email,
    resend_confirmation,
    login_page,
    login_submit,
    logout,
    logout_everywhere,
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    invite_page,
    invite_submit,
    profile_page,
    profile_submit,
    change_password,
]
