"""Throttling in the database, shared by all workers: logins per account and per client address,
registration and password-reset requests per client address.

Login: after FREE_FAILURES failures a key must wait, doubling from BASE_WAIT up to MAX_WAIT
(the lock). Failures older than FORGET_AFTER are forgotten, so an occasional typo never adds
up. An attempt is counted *before* its password is checked, in one statement that also says
whether it may go ahead, so simultaneous attempts cannot all pass before the first failure is
written: at most FREE_FAILURES passwords are checked before the lock. The account key is the
account's id whatever was typed for it; an unknown name is counted under that name, so the
throttle answers alike for both.

Registration and reset requests, and tries at a reset code: at most REQUESTS_PER_HOUR per
address in an hour's window. A refusal is a `Refused` (TOO_MANY) that says how long to wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pengaduan import db
from pengaduan.accounts.tables import LoginThrottle
from pengaduan.errors import TOO_MANY, Checked, Refused
from pengaduan.i18n import ngettext

FREE_FAILURES = {"account": 5, "ip": 20}
BASE_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(minutes=15)
# Generous, because many mobile users share one address (carrier-grade NAT); probing NIKs or
# email addresses through the registration form still slows to a crawl.
# Reset codes: tries at typing one (each code also takes only a few, see reset_codes).
# Wrongly signed requests to the outside agencies' endpoint (handover.routes): an agency with
# the right secret never gets near it; guessing at signatures slows down. Category
# suggestions on the complaint form: one per pause in typing, per citizen.
REQUESTS_PER_HOUR = {
    "register": 20,
    "reset": 10,
    "reset_code": 20,
    "handover_signature": 60,
    "suggest": 600,
}
REQUEST_WINDOW = timedelta(hours=1)


def _wait_sql(over: str) -> str:
    """wait_after() in SQL, for `over` failures past the free ones (0: the first lock)."""
    return (
        f"make_interval(secs => least({MAX_WAIT.total_seconds()}, "
        f"{BASE_WAIT.total_seconds()} * power(2, least(30, {over}))))"
    )


_FREE = "(SELECT free FROM attempt WHERE attempt.key = t.key)"
_NEW = (
    f"(CASE WHEN t.last_failure_at < now() - interval '{int(FORGET_AFTER.total_seconds())} "
    "seconds' THEN 1 ELSE t.failures + 1 END)"
)
_LOCKED = "t.locked_until > now()"

# One statement for both keys of an attempt. A key's row is counted unless it is locked, and
# the count that reaches its free failures places the lock at once: the attempts after it are
# refused while its password is still being checked (a right password lifts it again). Only
# a counted row has last_failure_at = this statement's now().
_RESERVE_LOGIN = f"""
WITH attempt (key, free) AS (VALUES ($1::varchar, $2::int), ($3::varchar, $4::int))
INSERT INTO login_throttles AS t (key, failures, last_failure_at, locked_until)
SELECT key, 1, now(), CASE WHEN free <= 1 THEN now() + {_wait_sql("1 - free")} END
FROM attempt
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN {_LOCKED} THEN t.failures ELSE {_NEW} END,
    last_failure_at = CASE WHEN {_LOCKED} THEN t.last_failure_at ELSE now() END,
    locked_until = CASE
        WHEN {_LOCKED} THEN t.locked_until
        WHEN {_NEW} >= {_FREE} THEN now() + {_wait_sql(f"{_NEW} - {_FREE}")}
    END
RETURNING key, locked_until, last_failure_at = now() AS counted
"""

# An attempt that was counted but needs no counting after all (refused by its other key, or
# the right password for the address's count): the count goes back, and the lock with it if
# this attempt placed it.
_GIVE_BACK = """
UPDATE login_throttles SET
    failures = greatest(failures - 1, 0),
    locked_until = CASE WHEN locked_until = $1 THEN NULL ELSE locked_until END
WHERE key = $2
"""

# Fixed windows: last_failure_at is when the address's window began; a refused request is
# counted too, but never moves the window.
_COUNT_REQUEST = """
INSERT INTO login_throttles AS t (key, failures, last_failure_at, locked_until)
VALUES ($1, 1, now(), NULL)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.last_failure_at <= now() - $2::interval THEN 1
                    ELSE t.failures + 1 END,
    last_failure_at = CASE WHEN t.last_failure_at <= now() - $2::interval THEN now()
                           ELSE t.last_failure_at END
RETURNING failures, last_failure_at
"""


@dataclass(frozen=True)
class Throttled:
    """Refused until `until`; `seconds` is how long that is from now (rounded up)."""

    until: datetime

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - datetime.now(UTC)).total_seconds()))


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt, counted before its password is checked."""

    account_key: str
    ip_key: str
    # The wait that refuses it (its password must not be checked), if any.
    refused: Throttled | None = None
    # Per counted key, the lock this attempt placed (None: none); told when the password fails.
    placed: dict[str, datetime | None] = field(default_factory=dict)

    @property
    def wait_if_wrong(self) -> Throttled | None:
        """The wait a wrong password meets: the longest lock this attempt placed."""
        locks = [until for until in self.placed.values() if until is not None]
        return Throttled(until=max(locks)) if locks else None


def account_key(user_id: int | None, identifier: str) -> str:
    """The account's id whichever of its names was typed; an unknown name under itself."""
    if user_id is not None:
        return f"user:{user_id}"
    return f"account:{identifier.strip().lower()[:250]}"


def wait_after(kind: str, failures: int) -> timedelta | None:
    """How long a key must wait after its `failures`-th failure (None: not at all)."""
    over = failures - FREE_FAILURES[kind]
    if over < 0:
        return None
    return min(MAX_WAIT, BASE_WAIT * (2**over))


async def _give_back(key: str, placed: datetime | None) -> None:
    await db.execute(_GIVE_BACK, placed, key)


async def reserve_login(account: str, ip: str) -> LoginAttempt:
    """Count an attempt for the account key and the address before any password is checked."""
    ip_key = f"ip:{ip}"
    rows = await db.fetch(
        _RESERVE_LOGIN, account, FREE_FAILURES["account"], ip_key, FREE_FAILURES["ip"]
    )
    refused = [r["locked_until"] for r in rows if not r["counted"]]
    placed = {r["key"]: r["locked_until"] for r in rows if r["counted"]}
    if refused:
        # A refused attempt checks no password, so it counts for none of its keys.
        for key, until in placed.items():
            await _give_back(key, until)
        return LoginAttempt(account, ip_key, refused=Throttled(until=max(refused)))
    return LoginAttempt(account, ip_key, placed=placed)


async def login_succeeded(attempt: LoginAttempt) -> None:
    """A right password clears the account's count and takes back its count on the address."""
    await LoginThrottle.delete().where(LoginThrottle.key == attempt.account_key)
    await _give_back(attempt.ip_key, attempt.placed.get(attempt.ip_key))


async def count_in_window(key: str, window: timedelta) -> tuple[int, Throttled]:
    """Count one request under `key` in fixed windows of `window`: how many the current
    window holds with this one, and when it ends (for limits kept by their callers)."""
    row = await db.fetchrow(_COUNT_REQUEST, key, window)
    return row["failures"], Throttled(until=row["last_failure_at"] + window)


async def count_request(kind: str, ip: str, *, limit: int | None = None) -> Throttled | None:
    """Count a registration or reset request from `ip`; the wait when over the hour's limit.
    Other kinds (mail from one sender: "mail", keyed by the address) give their `limit`."""
    count, window_end = await count_in_window(f"{kind}:{ip}", REQUEST_WINDOW)
    if count <= (REQUESTS_PER_HOUR[kind] if limit is None else limit):
        return None
    return window_end


async def limit_requests(kind: str, ip: str) -> None:
    """Count a registration or reset request (or a try at a code) from `ip`; Refused
    (TOO_MANY, with the wait) once the address is over the hour's limit."""
    throttled = await count_request(kind, ip)
    if throttled is not None:
        seconds = throttled.seconds
        raise Refused(_busy_message(seconds), TOO_MANY, retry_after=seconds)


async def over_limit(kind: str, ip: str, form: Checked) -> bool:
    """`limit_requests` for a form being answered: True when refused, the refusal then noted
    on `form` (under "form", with the wait)."""
    try:
        await limit_requests(kind, ip)
    except Refused as busy:
        form.error("form", busy.message)
        form.wait_seconds = busy.retry_after
        return True
    return False


def refused_login(throttled: Throttled) -> Refused:
    """The refusal of a login attempt that must wait."""
    seconds = throttled.seconds
    return Refused(_wait_message(seconds), TOO_MANY, retry_after=seconds)


def _wait_message(seconds: int) -> str:
    if seconds >= 60:
        return ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            (seconds + 59) // 60,
        )
    return ngettext(
        "Too many failed attempts. Try again in %(num)d second.",
        "Too many failed attempts. Try again in %(num)d seconds.",
        seconds,
    )


def _busy_message(seconds: int) -> str:
    if seconds >= 60:
        return ngettext(
            "Too many requests from your network. Try again in %(num)d minute.",
            "Too many requests from your network. Try again in %(num)d minutes.",
            (seconds + 59) // 60,
        )
    return ngettext(
        "Too many requests from your network. Try again in %(num)d second.",
        "Too many requests from your network. Try again in %(num)d seconds.",
        seconds,
    )
