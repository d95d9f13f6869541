"""Server-side sessions in PostgreSQL: the signed cookie, the lookup per request, rotation, revocation.

The lookup is the one query every request makes; other domains add to it what their pages
need on every request (`also_read`), so that no page pays a second round trip for it. The
lookups of requests that ask at the same moment go in one statement (db.grouped): under load
one round trip and one statement's overhead for tens of requests.
"""

from __future__ import annotations

import hashlib
import re
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
from pengaduan.db.grouped import Grouped
from pengaduan.settings import Settings
from pengaduan.web.cookies import cookie_in
from pengaduan.web.paths import is_api

# Paths that never need to know who is asking (no database round trip).
_ANONYMOUS_PREFIXES = ("/static/", "/healthz")
# last_seen_at is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(seconds=60)
# The `kind` in a session row's data of a mobile app's bearer token (accounts.app_tokens);
# browser sessions have none. Neither kind lets in through the other's door.
APP_KIND = "app"

_LOOKUP = """
SELECT s.id AS session_pk, s.id_hash, s.created_at, s.last_seen_at, s.expires_at,
       s.data->>'kind' AS session_kind, u.id, u.username, u.full_name, u.role, u.language, u.unit, u.email,
       u.email_confirmed_at, u.is_active{also}
FROM sessions s JOIN users u ON u.id = s."user"
WHERE s.id_hash = ANY($1::text[])
"""

# --- what other domains read with the session ---------------------------------------------------

_ALSO: dict[str, str] = {}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def also_read(name: str, sql: str) -> None:
    """Have the per-request lookup also read `sql`, an expression over `u` (the user's row in
    users), as `name`: the current user then has it as an attribute (`request.user.<name>`).
    Called by the domain that needs it when its module is imported (app.py imports them all,
    so every process asks the same query); registering the same name again must give the
    same expression."""
    taken = name in CurrentUser.__dataclass_fields__ or hasattr(CurrentUser, name)
    if not _NAME.match(name) or taken:
        raise ValueError(f"not a name the session lookup can read: {name!r}")
    if _ALSO.setdefault(name, sql) != sql:
        raise ValueError(f"{name!r} is read by the session lookup already, differently")


@lru_cache(maxsize=8)
def _lookup_sql(also: tuple[tuple[str, str], ...]) -> str:
    return _LOOKUP.format(also="".join(f",\n       {sql} AS {name}" for name, sql in also))


def _lookup() -> tuple[str, tuple[str, ...]]:
    """The lookup query and the names it reads for other domains (sorted: the same statement
    whatever order the domains were imported in)."""
    also = tuple(sorted(_ALSO.items()))
    return _lookup_sql(also), tuple(name for name, _sql in also)


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
    # What other domains had the lookup read (`also_read`): (name, value) pairs, a tuple so
    # that the whole record stays hashable (web.layout keys the page header by it).
    also: tuple[tuple[str, Any], ...] = ()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not fields: those read for other domains.
        for key, value in self.__dict__.get("also", ()):
            if key == name:
                return value
        raise AttributeError(name)

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


async def end_own_session(user_id: int, session_pk: int) -> bool:
    """End one of the user's sessions or app tokens (the account page's list); False when it
    is not theirs or already over."""
    rows = await (
        Session.delete()
        .where((Session.id == session_pk) & (Session.user == user_id))
        .returning(Session.id)
    )
    return bool(rows)


async def end_user_sessions(user_id: int, *, keep: str | None = None) -> int:
    """End every session of a user (but `keep`); returns how many ended."""
    query = Session.delete().where(Session.user == user_id)
    if keep:
        query = Session.delete().where((Session.user == user_id) & (Session.id_hash != keep))
    rows = await query.returning(Session.id)
    return len(rows)


def _lets_in(settings: Settings, row: Any, now: datetime) -> bool:
    """Whether a session row (with its user's `is_active`) still lets its user in: the user
    active, the session neither expired nor idle too long (an app token has no idle limit:
    a phone opens the app now and then; it lasts its lifetime unless revoked)."""
    idle_limit = row["last_seen_at"] + timedelta(minutes=settings.session_idle_minutes)
    idle = row["session_kind"] != APP_KIND and idle_limit <= now
    return bool(row["is_active"]) and row["expires_at"] > now and not idle


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
    return await user_of_session(settings, session_hash, kind=None)


async def user_of_session(
    settings: Settings, session_hash: str, *, kind: str | None
) -> CurrentUser | None:
    """The user of the session row with this id hash, when it is of this `kind` (None: a
    browser session) and still lets them in; its last use noted now and then."""
    # Every request but static files asks this: with the other requests of the moment, in
    # one statement (db.grouped), straight through asyncpg (see db.fetch).
    row = await _LOOKUPS.run(session_hash)
    if row is None or row["session_kind"] != kind:
        return None
    _sql, also = _lookup()
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
        also=tuple((name, row[name]) for name in also),
    )


async def _look_up(hashes: list[str]) -> list[Any]:
    """The lookup's row of each session id hash (None: no such session)."""
    sql, _also = _lookup()
    rows = await db.fetch(sql, list(dict.fromkeys(hashes)))
    found = {row["id_hash"]: row for row in rows}
    return [found.get(session_hash) for session_hash in hashes]


# The lookups of requests that ask at the same moment go in one statement.
_LOOKUPS: Grouped[str, Any] = Grouped(_look_up, most=100)


_STANDING = """
SELECT s.last_seen_at, s.expires_at, s.data->>'kind' AS session_kind, u.is_active, u.role,
       u.unit
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
        # The JSON API never reads the cookie: only its bearer token (accounts.app_tokens)
        # says who asks there, so a browser's session cannot act through it.
        if (
            scope["type"] != "http"
            or scope["path"].startswith(_ANONYMOUS_PREFIXES)
            or is_api(scope["path"])
        ):
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
