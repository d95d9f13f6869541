"""The mobile app's bearer tokens: issued at the JSON API's login, each a server-side session
row (its kind in the row's data, only its hash stored), so the account page lists and ends it
like any session; and the middleware that says who asks on the API from the token alone."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from litestar.types import ASGIApp, Receive, Scope, Send

from pengaduan import i18n
from pengaduan.accounts import sessions
from pengaduan.accounts.tables import Session
from pengaduan.settings import Settings

# A prefix tells the token apart in a log or a leaked file (secret scanners match on it).
PREFIX = "pgd_"


async def issue(
    settings: Settings, user_id: int, *, ip: str, user_agent: str
) -> tuple[str, datetime]:
    """A new token for the user and when it expires; the token itself is never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=settings.app_token_days)
    # Expired rows are cleared here as at every login.
    await Session.delete().where(Session.expires_at < now)
    await Session.insert(
        Session(
            id_hash=sessions.hash_id(token),
            user=user_id,
            data={"kind": sessions.APP_KIND},
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
            ip=ip[:45],
            user_agent=user_agent[:300],
        )
    )
    return token, expires_at


def bearer_of(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if the request has one."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _sep, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            if scheme.lower() == "bearer" and token.startswith(PREFIX) and len(token) < 200:
                return token
    return None


async def user_for(settings: Settings, token: str) -> sessions.CurrentUser | None:
    """The user behind an app token, or None when it is unknown, expired or revoked (a
    browser session's id never passes: the row must be an app token's)."""
    return await sessions.user_of_session(settings, sessions.hash_id(token), kind=sessions.APP_KIND)


class BearerMiddleware:
    """On the JSON API's routes: the token's user (or None) in scope["user"] (the session
    middleware left the cookie unread there), and the language from Accept-Language alone,
    as an app sends it (a language cookie is the website's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings: Settings = scope["litestar_app"].state.settings
        token = bearer_of(scope)
        scope["user"] = await user_for(settings, token) if token else None
        accept = next((v for k, v in scope["headers"] if k == b"accept-language"), b"")
        locale = i18n.negotiate(accept.decode("latin-1"), settings.default_language)
        i18n.set_locale(locale)
        scope.setdefault("state", {})["locale"] = locale
        await self.app(scope, receive, send)
