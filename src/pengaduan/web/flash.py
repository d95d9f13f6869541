"""One-time messages shown on the next page (after a redirect), kept in a signed cookie."""

from __future__ import annotations

import json

from itsdangerous import BadSignature, URLSafeSerializer
from litestar import Request
from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "flash"


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="pengaduan.flash")


def flash_cookie(request: Request, message: str, level: str = "ok") -> Cookie:
    """A cookie carrying `message` (already translated) to the next page."""
    pending = list(request.scope.get("state", {}).get("flashes_out", []))
    pending.append([level, message])
    request.scope.setdefault("state", {})["flashes_out"] = pending
    value = _serializer(request.app.state.settings.secret_key).dumps(pending)
    return Cookie(key=COOKIE, value=value, path="/", httponly=True, samesite="lax", max_age=300)


def _read(scope: Scope) -> list[tuple[str, str]]:
    for key, value in scope["headers"]:
        if key != b"cookie":
            continue
        for part in value.decode("latin-1").split(";"):
            name, _sep, raw = part.strip().partition("=")
            if name == COOKIE and raw:
                secret = scope["litestar_app"].state.settings.secret_key
                try:
                    data = _serializer(secret).loads(raw.strip('"'))
                except (BadSignature, json.JSONDecodeError):
                    return []
                return [(str(level), str(text)) for level, text in data][:5]
    return []


class FlashMiddleware:
    """Makes the incoming messages available to templates and clears them once shown."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        flashes = _read(scope)
        scope.setdefault("state", {})["flashes"] = flashes
        if not flashes:
            await self.app(scope, receive, send)
            return

        async def clearing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableScopeHeaders.from_message(message)
                if not any(v.startswith(COOKIE + "=") for v in headers.getall("set-cookie", [])):
                    headers.add(
                        "set-cookie", f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=lax"
                    )
            await send(message)

        await self.app(scope, receive, clearing_send)
