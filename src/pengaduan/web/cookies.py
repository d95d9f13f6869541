"""Reading one cookie straight from an ASGI scope, for middleware that runs before any Request
object exists (sessions, CSRF): no full cookie parse per request."""

from __future__ import annotations

from litestar.types import Scope


def cookie_in(scope: Scope, name: str) -> str | None:
    """The value of cookie `name` in the request's Cookie headers, if any."""
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _sep, v = part.strip().partition("=")
                if k == name:
                    return v
    return None
