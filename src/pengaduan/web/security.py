"""Security headers on every response: CSP without inline script, no framing, no sniffing."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def tile_source(tile_url: str) -> str:
    """The map tiles' origin as a CSP source (a `{s}` subdomain is any subdomain)."""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def security_headers(production: bool, tiles: str = "") -> dict[str, str]:
    """`tiles`: the map tile server's origin (tile_source), allowed as an image source."""
    policy = CONTENT_SECURITY_POLICY
    if tiles:
        policy = policy.replace("img-src 'self'", f"img-src 'self' {tiles}")
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
    }
    if production:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


@cache
def _encoded_headers(
    production: bool, tile_url: str
) -> tuple[frozenset[bytes], list[tuple[bytes, bytes]]]:
    encoded = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in security_headers(production, tile_source(tile_url)).items()
    ]
    return frozenset(name for name, _value in encoded), encoded


class SecurityHeadersMiddleware:
    """On every routed response (errors before routing get them from web.errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["litestar_app"].state.settings
        production, tile_url = settings.is_production, settings.map_tile_url

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Ours replace any of the same name; encoded once, not per response.
                names, encoded = _encoded_headers(production, tile_url)
                message["headers"] = [
                    (name, value)
                    for name, value in message.get("headers") or ()
                    if name.lower() not in names
                ] + encoded
            await send(message)

        await self.app(scope, receive, send_with_headers)
