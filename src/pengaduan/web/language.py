"""Choosing the language: per request (cookie, then Accept-Language) and the switch that remembers it."""

from __future__ import annotations

import re
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from pengaduan import i18n
from pengaduan.web.input import Form, read_form
from pengaduan.web.values import readable

ONE_YEAR = 365 * 24 * 3600
_CONTROL = re.compile("[\x00-\x1f\x7f]")


class LocaleMiddleware:
    """Sets the request's language before anything renders."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            cookies: dict[str, str] = {}
            accept = None
            for name, value in scope["headers"]:
                if name == b"cookie":
                    for part in value.decode("latin-1").split(";"):
                        key, _sep, val = part.strip().partition("=")
                        cookies.setdefault(key, val)
                elif name == b"accept-language":
                    accept = value.decode("latin-1")
            settings = scope["litestar_app"].state.settings
            locale = i18n.locale_for(cookies, accept, settings.default_language)
            i18n.set_locale(locale)
            scope.setdefault("state", {})["locale"] = locale
        await self.app(scope, receive, send)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect, nothing a header cannot carry."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if _CONTROL.search(target) or not readable(target):
        return "/"
    # Letters past ASCII as a browser writes them in a URL.
    return target if target.isascii() else quote(target, safe="/?&=#%:;@+,-._~!$'()*[]")


@post("/bahasa", name="language:switch", status_code=303, opt={"access": "anyone"})
async def switch_language(request: Request, data: Form) -> Redirect:
    form = read_form(data)
    lang = form.get("lang")
    if lang not in i18n.LOCALES:
        lang = i18n.DEFAULT_LOCALE
    user = request.scope.get("user")
    if user is not None:
        # Mails and notifications follow the account's language.
        from pengaduan.accounts.profile import set_language

        await set_language(user.id, lang)
    return _remembering(request, lang, form.get("next"))


@get("/bahasa", name="language:switch.get", opt={"access": "anyone"})
async def switch_language_get(request: Request) -> Redirect:
    """The switch on public pages (web.publiccache), which carry no CSRF token: it only sets
    the visitor's language cookie (nothing worth forging), never an account's language."""
    lang = request.query_params.get("lang")
    if lang not in i18n.LOCALES:
        lang = i18n.DEFAULT_LOCALE
    return _remembering(request, lang, request.query_params.get("next"))


def _remembering(request: Request, lang: str, target: str | None) -> Redirect:
    target = safe_next(target)
    return Redirect(
        path=target,
        status_code=303,
        cookies=[
            Cookie(
                key=i18n.LANGUAGE_COOKIE,
                value=lang,
                max_age=ONE_YEAR,
                httponly=True,
                samesite="lax",
                secure=request.app.state.settings.secure_cookies,
                path="/",
            )
        ],
        headers={"Vary": "HX-Request"},
    )
