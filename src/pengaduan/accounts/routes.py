"""Account pages: register, confirm email, log in and out, profile and password change.
(Getting back into an account is in reset_routes.py.)"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template

from pengaduan.accounts import login, password_change, profile, registration, sessions, tokens
from pengaduan.accounts.guards import landing_for
from pengaduan.errors import Checked, Refused
from pengaduan.i18n import _, get_locale
from pengaduan.settings import Settings
from pengaduan.web.errors import status_of
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import SettingsDep, client_ip, redirect
from pengaduan.web.language import safe_next
from pengaduan.web.templating import render

# A link from a mail that does not work (forged, expired, used): the page says why.
BAD_LINK = 400


def retry_after(seconds: int | None) -> dict[str, str] | None:
    """The Retry-After header of an answer refused for too many attempts, if it was."""
    return {"Retry-After": str(seconds)} if seconds else None


def form_again(result: Checked) -> dict[str, Any]:
    """How a form that was not accepted is answered (`render(..., **form_again(result))`):
    422, or 429 with Retry-After when refused for too many requests."""
    return {
        "status_code": 429 if result.wait_seconds else 422,
        "headers": retry_after(result.wait_seconds),
    }


# --- registration ---------------------------------------------------------------------------


@get("/daftar", name="accounts:register", opt={"access": "guest"})
async def register_page(request: Request) -> Template:
    return render(request, "accounts/register.html", {"values": {}, "errors": {}})


@post("/daftar", name="accounts:register.submit", opt={"access": "guest"})
async def register_submit(request: Request, settings: SettingsDep, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or (
        await registration.register(
            settings, form.values, language=get_locale(), ip=client_ip(request)
        )
    )
    if not result.ok:
        return render(
            request,
            "accounts/register.html",
            {"values": result.values, "errors": result.errors},
            **form_again(result),
        )
    message = _("Your account is ready. Log in with your username and password.")
    if result.values.get("email"):
        message += " " + _(
            "We sent a confirmation link to %(email)s.", email=result.values["email"]
        )
    return redirect(request, request.app.route_reverse("accounts:login"), message)


def _confirmation_message(request: Request, message: str, level: str, status_code: int) -> Template:
    return render(
        request,
        "accounts/message.html",
        {"title": _("Email confirmation"), "message": message, "level": level},
        status_code=status_code,
    )


@get(tokens.CONFIRM_PATH + "/{token:str}", name="accounts:confirm", opt={"access": "anyone"})
async def confirm_email_page(
    request: Request, settings: SettingsDep, token: FromPath[str]
) -> Template:
    """The link from the mail: a button that confirms (opening the link changes nothing)."""
    try:
        email = await tokens.email_to_confirm(settings, token)
    except Refused as refused:
        return _confirmation_message(request, refused.message, "bad", BAD_LINK)
    return render(request, "accounts/confirm_email.html", {"email": email})


@post(
    tokens.CONFIRM_PATH + "/{token:str}", name="accounts:confirm.submit", opt={"access": "anyone"}
)
async def confirm_email(request: Request, settings: SettingsDep, token: FromPath[str]) -> Template:
    try:
        message = await tokens.confirm_email(settings, token)
    except Refused as refused:
        return _confirmation_message(request, refused.message, "bad", BAD_LINK)
    return _confirmation_message(request, message, "ok", 200)


@post("/akun/kirim-konfirmasi", name="accounts:confirm.resend", opt={"access": "user"})
async def resend_confirmation(request: Request, settings: SettingsDep) -> Response:
    back = request.app.route_reverse("accounts:profile")
    try:
        await tokens.resend_confirmation(settings, request.user.id)
    except Refused as refused:
        return redirect(request, back, refused.message, "bad")
    return redirect(request, back, _("We sent a new confirmation link."))


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
async def login_submit(request: Request, settings: SettingsDep, data: Form) -> Response:
    form = read_form(data)
    values = {"identifier": form.get("identifier"), "next": form.get("next")}
    if form.errors:
        return render(
            request,
            "accounts/login.html",
            {"values": values, "errors": form.errors},
            status_code=422,
        )
    try:
        user = await login.authenticate(
            settings, form.get("identifier", ""), form.get("password", ""), ip=client_ip(request)
        )
    except Refused as refused:
        return render(
            request,
            "accounts/login.html",
            {"values": values, "errors": {"form": refused.message}},
            status_code=status_of(refused),
            headers=retry_after(refused.retry_after),
        )
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
    response = redirect(request, target)
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
async def logout(request: Request, settings: SettingsDep) -> Response:
    await sessions.end_session(request.user.session_hash)
    response = redirect(request, request.app.route_reverse("home"), _("You are logged out."))
    response.set_cookie(sessions.expired_cookie(settings))
    return response


@post("/akun/sesi/{session_id:int}/akhiri", name="accounts:session.end", opt={"access": "user"})
async def end_session(request: Request, session_id: FromPath[int]) -> Response:
    """End one session or app token from the account page's list (a lost phone)."""
    ended = await sessions.end_own_session(request.user.id, session_id)
    message = _("That session is ended.") if ended else _("That session had ended already.")
    return redirect(request, request.app.route_reverse("accounts:profile"), message)


@post("/keluar-semua", name="accounts:logout.all", opt={"access": "user"})
async def logout_everywhere(request: Request, settings: SettingsDep) -> Response:
    count = await sessions.end_user_sessions(request.user.id)
    response = redirect(
        request,
        request.app.route_reverse("accounts:login"),
        _("You are logged out on all devices (%(count)d sessions).", count=count),
    )
    response.set_cookie(sessions.expired_cookie(settings))
    return response


# --- profile --------------------------------------------------------------------------------


async def _profile_page(
    request: Request,
    settings: Settings,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    password_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    account, active, total = await profile.profile_and_sessions(
        settings, request.user.id, request.user.session_hash
    )
    return render(
        request,
        "accounts/profile.html",
        {
            "account": account,
            "values": values if values is not None else account,
            "errors": errors or {},
            "password_errors": password_errors or {},
            "sessions": active,
            "more_sessions": total - len(active),
            "current_session": request.user.session_hash,
        },
        status_code=status_code,
    )


@get("/akun", name="accounts:profile", opt={"access": "user"})
async def profile_page(request: Request, settings: SettingsDep) -> Template:
    return await _profile_page(request, settings)


@post("/akun", name="accounts:profile.submit", opt={"access": "user"})
async def profile_submit(request: Request, settings: SettingsDep, data: Form) -> Response:
    form = read_form(data)
    result = form.refused() or (
        await profile.update_profile(settings, request.user.id, form.values, ip=client_ip(request))
    )
    if not result.ok:
        return await _profile_page(
            request, settings, values=result.values, errors=result.errors, status_code=422
        )
    message = _("Your profile is saved.")
    if result.values.get("email_changed"):
        message += " " + _(
            "We sent a confirmation link to %(email)s.", email=result.values["email"]
        )
    return redirect(request, request.app.route_reverse("accounts:profile"), message)


@post("/akun/sandi", name="accounts:password", opt={"access": "user"})
async def change_password(request: Request, settings: SettingsDep, data: Form) -> Response:
    form = read_form(data)
    errors = form.errors or await password_change.change_password(
        settings,
        request.user.id,
        form.get("current_password"),
        form.get("password"),
        form.get("password_confirm"),
        keep_session=request.user.session_hash,
        ip=client_ip(request),
    )
    if errors:
        return await _profile_page(request, settings, password_errors=errors, status_code=422)
    return redirect(
        request,
        request.app.route_reverse("accounts:profile"),
        _("Your password is changed. Your other sessions have ended."),
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
    end_session,
    logout_everywhere,
    profile_page,
    profile_submit,
    change_password,
]
