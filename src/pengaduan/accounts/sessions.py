"""Server-side sessions in PostgreSQL: the signed cookie, the lookup per request, rotation, revocation."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, Signer
from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from pengaduan import db
from pengaduan.accounts.tables import Session
from pengaduan.settings import Settings
from pengaduan.web.cookies import cookie_in

# Paths that never need to know who is asking (no database round trip).
_ANONYMOUS_PREFIXES = ("/static/", "/healthz")
# last_seen_at is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(seconds=60)

_LOOKUP = """
SELECT s.id AS session_pk, s.id_hash, s.created_at, s.last_seen_at, s.expires_at,
       u.id, u.username, u.full_name, u.role, u.language, u.unit, u.email,
       u.email_confirmed_at, u.is_active,
       CASE u.role
           WHEN 'officer' THEN (SELECT coalesce(sum(version), 0) FROM queue_versions
                                WHERE unit IN (0, u.unit))
           WHEN 'admin' THEN (SELECT coalesce(sum(version), 0) FROM queue_versions)
       END AS queue_version,
       (SELECT count(*) FROM (SELECT 1 FROM notifications n
                              WHERE n."user" = u.id AND NOT n.is_read
                              LIMIT 100) AS unread) AS unread_notifications
FROM sessions s JOIN users u ON u.id = s."user"
WHERE s.id_hash = $1
"""
# queue_version: for staff, the sum of the counters of what their queues show (handling.tables:
# their unit's and the shared one; an admin's queues show every unit). Read here, in the one
# query every request makes anyway, it lets their pages come from web.pagecache.
# unread_notifications: the bell's count on every page (at most 100: "99+").


@dataclass(frozen=True)
class CurrentUser:
    """Who is asking, as the session says (read once per request)."""

    id: int
    username: str
    full_name: str
    role: str
    language: str
    unit_id: int | None
    email: str | None
    email_confirmed: bool
    session_hash: str
    # Staff only (else None): changes whenever anything their queues show changes.
    queue_version: int | None = None
    # Unread in-app notifications, counted up to 100 (the bell in the page header).
    unread_notifications: int = 0

    @property
    def is_citizen(self) -> bool:
        return self.role == "citizen"

    @property
    def is_officer(self) -> bool:
        return self.role == "officer"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def cookie_name(settings: Settings) -> str:
    # The __Host- prefix pins the cookie to this host, path / and HTTPS.
    return "__Host-sid" if settings.secure_cookies else "sid"


def _signer(settings: Settings) -> Signer:
    return _signer_for(settings.secret_key)


@lru_cache(maxsize=8)
def _signer_for(secret_key: str) -> Signer:
    # One per key: a Signer is stateless, and building one per request showed in profiles.
    return Signer(secret_key, salt="pengaduan.session")


def hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def session_cookie(value: str, settings: Settings) -> Cookie:
    return Cookie(
        key=cookie_name(settings),
        value=value,
        max_age=settings.session_max_hours * 3600,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


def expired_cookie(settings: Settings) -> Cookie:
    return Cookie(
        key=cookie_name(settings),
        value="",
        max_age=0,
        expires=0,
        path="/",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


async def start_session(
    settings: Settings,
    user_id: int,
    *,
    ip: str,
    user_agent: str,
    replaces: str | None = None,
) -> Cookie:
    """A new session id for `user_id` (the old one, if any, is gone: no fixation)."""
    session_id = secrets.token_urlsafe(32)
    now = _now()
    if replaces:
        await Session.delete().where(Session.id_hash == replaces)
    # Expired rows are cleared here rather than by a separate job.
    await Session.delete().where(Session.expires_at < now)
    await Session.insert(
        Session(
            id_hash=hash_id(session_id),
            user=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            ip=ip[:45],
            user_agent=user_agent[:300],
        )
    )
    return session_cookie(_signer(settings).sign(session_id).decode(), settings)


async def end_session(session_hash: str) -> None:
    await Session.delete().where(Session.id_hash == session_hash)


async def end_user_sessions(user_id: int, *, keep: str | None = None) -> int:
    """End every session of a user (but `keep`); returns how many ended."""
    query = Session.delete().where(Session.user == user_id)
    if keep:
        query = Session.delete().where((Session.user == user_id) & (Session.id_hash != keep))
    rows = await query.returning(Session.id)
    return len(rows)


def _lets_in(settings: Settings, row: Any, now: datetime) -> bool:
    """Whether a session row (with its user's `is_active`) still lets its user in: the user
    active, the session neither expired nor idle too long."""
    idle_limit = row["last_seen_at"] + timedelta(minutes=settings.session_idle_minutes)
    return bool(row["is_active"]) and row["expires_at"] > now and idle_limit > now


def session_hash_of(settings: Settings, cookie_value: str) -> str | None:
    """The id hash of the session a cookie value names (signature checked, not the database),
    or None for a forged value. The CSRF token of a session derives from it (web.csrf)."""
    return _session_hash(settings.secret_key, cookie_value)


@lru_cache(maxsize=4096)
def _session_hash(secret_key: str, cookie_value: str) -> str | None:
    # A pure function of the key and the cookie, asked on every request with the same few
    # cookies: checking the signature (a key derivation and an HMAC) showed in profiles.
    try:
        return hash_id(_signer_for(secret_key).unsign(cookie_value).decode())
    except (BadSignature, UnicodeDecodeError):
        return None


async def load_user(settings: Settings, cookie_value: str) -> CurrentUser | None:
    """The user behind a session cookie, or None when it is forged, expired or revoked."""
    session_hash = session_hash_of(settings, cookie_value)
    if session_hash is None:
        return None
    # Every request but static files asks this: straight through asyncpg (see db.fetch).
    rows = await db.fetch(_LOOKUP, session_hash)
    if not rows:
        return None
    row = rows[0]
    now = _now()
    if not _lets_in(settings, row, now):
        await end_session(session_hash)
        return None
    if now - row["last_seen_at"] >= _TOUCH_EVERY:
        await Session.update({Session.last_seen_at: now}).where(Session.id == row["session_pk"])
    return CurrentUser(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        language=row["language"],
        unit_id=row["unit"],
        email=row["email"],
        email_confirmed=row["email_confirmed_at"] is not None,
        session_hash=session_hash,
        queue_version=row["queue_version"],
        unread_notifications=row["unread_notifications"],
    )


_STANDING = """
SELECT s.last_seen_at, s.expires_at, u.is_active, u.role, u.unit
FROM sessions s JOIN users u ON u.id = s."user"
WHERE s.id_hash = $1
"""


async def standing(settings: Settings, session_hash: str) -> tuple[str, int | None] | None:
    """The role and unit of the session's user while the session would still let them in,
    else None (for long requests such as the live stream, which must end once its user
    logs out, is deactivated or the session runs out). Unlike `load_user`, asking does not
    count as activity."""
    rows = await db.fetch(_STANDING, session_hash)
    if not rows:
        return None
    row = rows[0]
    if not _lets_in(settings, row, _now()):
        return None
    return row["role"], row["unit"]


class SessionMiddleware:
    """Puts the session's user (or None) in scope["user"]; clears a cookie that no longer works."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_ANONYMOUS_PREFIXES):
            scope["user"] = None
            await self.app(scope, receive, send)
            return
        settings: Settings = scope["litestar_app"].state.settings
        raw = cookie_in(scope, cookie_name(settings))
        user = await load_user(settings, raw) if raw else None
        scope["user"] = user
        if raw and user is None:
            stale = expired_cookie(settings).to_header(header="")

            async def clearing_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = MutableScopeHeaders.from_message(message)
                    # A handler that just logged someone in sets its own cookie.
                    if not any(
                        v.startswith(cookie_name(settings) + "=")
                        for v in headers.getall("set-cookie", [])
                    ):
                        headers.add("set-cookie", stale)
                await send(message)

            await self.app(scope, receive, clearing_send)
            return
        await self.app(scope, receive, send)
