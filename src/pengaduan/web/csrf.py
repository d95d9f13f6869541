"""CSRF protection bound to the session: the token a page carries, and the check on every
unsafe request.

- Signed in: the token is an HMAC of the session's id hash under the secret key. It changes
  with the session (new at login, gone at logout), and one person's token is worthless with
  another person's session cookie.
- Without a session: the token kept in the CSRF cookie, sent back with the form (double
  submit): a random one, or the token of a session that ended unseen (it expired), which
  keeps a form left open answering "log in" rather than 403. Logging in or out replaces it.

The cookie always holds the visitor's current token (`__Host-csrftoken` in production: HTTPS
only, this host, path /). It is readable by our JavaScript (static/js/app.js puts it on htmx
requests, because a boosted page swap keeps the old `<body hx-headers>`); for a signed-in
visitor it is a copy that the check never trusts.

The JSON API (web.paths) is exempt, exactly it: it reads no cookie, only a bearer token that
a browser never sends by itself, so a forged cross-site request carries no credential there.

Templates read the token as before (`csrf_input`, `csrf_token()`, web.pagecache): it is put in
Litestar's ScopeState. Runs inside the session middleware, which has put the user in scope.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from pengaduan.i18n import _
from pengaduan.settings import Settings
from pengaduan.web.cookies import cookie_in
from pengaduan.web.errors import user_error
from pengaduan.web.paths import is_api

HEADER_NAME = "x-csrftoken"
FORM_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN = re.compile(r"[0-9a-f]{64}")
# Answers with no form: no token, and no cookie on a file that shared caches may keep.
_NO_FORMS = ("/static/", "/healthz")
# Machine interfaces whose every request proves its sender by itself (guards' "signed":
# the SMS gateway's webhook, outside agencies' updates; "keyed": Open311 filing with
# an api_key): no cookie authorises them, so there is no forged cross-site request
# to stop.
MACHINE_ACCESS = frozenset({"signed", "keyed"})


def cookie_name(settings: Settings) -> str:
    # The __Host- prefix: the browser takes it only over HTTPS, for this host and path /, so a
    # neighbouring subdomain cannot plant a token for a visitor without a session.
    return "__Host-csrftoken" if settings.secure_cookies else "csrftoken"


def _cookie(name: str, secure: bool, token: str) -> Cookie:
    return Cookie(
        key=name, value=token, path="/", domain=None, secure=secure, httponly=False, samesite="lax"
    )


@lru_cache(maxsize=8)
def _around_token(name: str, secure: bool) -> tuple[str, str]:
    # Litestar's own rendering of the cookie, split where the token goes.
    marker = "0" * 64
    before, _marker, after = _cookie(name, secure, marker).to_header(header="").partition(marker)
    return before, after


def csrf_cookie_header(settings: Settings, token: str) -> str:
    """The Set-Cookie value carrying `token`: Litestar's rendering of the cookie, built once
    per cookie name. Its Cookie renders through dataclasses.asdict (a deep copy) and
    SimpleCookie, measured at about 45 us of the 160 us a visitor's request without a
    session cost around its handler. A token is hex, which a cookie carries unquoted."""
    before, after = _around_token(cookie_name(settings), settings.secure_cookies)
    return before + token + after


@lru_cache(maxsize=4096)
def session_token(secret_key: str, session_hash: str) -> str:
    """The token of a session (by its id hash, as scope["user"] has it); kept per process,
    being a pure function of the two asked on every request."""
    return hmac.new(
        secret_key.encode(), b"csrf-session:" + session_hash.encode(), hashlib.sha256
    ).hexdigest()


def visitor_token() -> str:
    """A fresh token for a visitor without a session."""
    return secrets.token_hex(32)


class CSRFMiddleware:
    """Refuses (403) an unsafe request whose token is not the session's (or, without a session,
    the cookie's); puts the visitor's token in scope for templates; keeps the cookie current.

    `session_cookie` and `session_hash_of` come from the sessions module (app.py wires them):
    when a response sets the session cookie (login) or clears it (logout), the CSRF cookie gets
    the new session's token or a fresh visitor token in the same response.
    """

    def __init__(
        self,
        app: ASGIApp,
        session_cookie: Callable[[Settings], str],
        session_hash_of: Callable[[Settings, str], str | None],
    ) -> None:
        self.app = app
        self.session_cookie = session_cookie
        self.session_hash_of = session_hash_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or (scope["method"] in SAFE_METHODS and scope["path"].startswith(_NO_FORMS))
            or scope["route_handler"].opt.get("access") in MACHINE_ACCESS
            # The app's JSON API: bearer tokens only (the cookie is never read there).
            or is_api(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["litestar_app"].state.settings
        user = scope.get("user")
        cookie = cookie_in(scope, cookie_name(settings))
        if cookie is not None and not _TOKEN.fullmatch(cookie):
            cookie = None
        if user is not None:
            expected = session_token(settings.secret_key, user.session_hash)
        else:
            expected = cookie
        if scope["method"] in SAFE_METHODS:
            token = expected or visitor_token()
        else:
            submitted = await _submitted_token(scope, receive)
            if not (expected and submitted and hmac.compare_digest(submitted, expected)):
                # Most often an honest one: a page left open while its visitor logged in or out.
                raise user_error(
                    403,
                    _(
                        "This form has expired (you logged in or out since it was opened). "
                        "Reload the page and send it again."
                    ),
                )
            token = expected
        ScopeState.from_scope(scope).csrf_token = token
        await self.app(scope, receive, self._keeping_cookie(send, settings, cookie, token))

    def _keeping_cookie(
        self, send: Send, settings: Settings, cookie: str | None, token: str
    ) -> Send:
        session_prefix = self.session_cookie(settings) + "="

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                new = token
                for value in headers.getall("set-cookie", []):
                    if value.startswith(session_prefix):
                        # A session starts or ends with this response: its token changes now.
                        raw = value[len(session_prefix) :].split(";", 1)[0].strip('"')
                        session_hash = self.session_hash_of(settings, raw) if raw else None
                        new = (
                            session_token(settings.secret_key, session_hash)
                            if session_hash
                            else visitor_token()
                        )
                # A public answer (web.publiccache) is the same for every visitor and may be
                # kept by a shared cache: it carries no token and sets no cookie.
                public = headers.get("cache-control", "").startswith("public")
                if new != cookie and not (public and new == token):
                    headers.add("set-cookie", csrf_cookie_header(settings, new))
            await send(message)

        return send_wrapper


async def _submitted_token(scope: Scope, receive: Receive) -> str | None:
    """The token from the header (htmx), else from the form's hidden field."""
    for key, value in scope["headers"]:
        if key == HEADER_NAME.encode():
            return value.decode("latin-1")
    request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
    content_type, _params = request.content_type
    if content_type in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        # Parsed once: Litestar keeps the form in scope for the handler.
        value = (await request.form()).get(FORM_FIELD)
        return value if isinstance(value, str) else None
    return None
