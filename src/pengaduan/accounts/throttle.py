"""Login throttling in the database, per account and per client address, shared by all workers.

After FREE_FAILURES failures a key must wait, doubling from BASE_WAIT up to MAX_WAIT (the
lock). Failures older than FORGET_AFTER are forgotten, so an occasional typo never adds up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pengaduan.accounts.tables import LoginThrottle

FREE_FAILURES = {"account": 5, "ip": 20}
BASE_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET_AFTER = timedelta(minutes=15)

_RECORD_FAILURE = """
INSERT INTO login_throttles (key, failures, last_failure_at, locked_until)
VALUES ({}, 1, now(), NULL)
ON CONFLICT (key) DO UPDATE SET
    failures = CASE
        WHEN login_throttles.last_failure_at < now() - {}::interval
             AND (login_throttles.locked_until IS NULL OR login_throttles.locked_until < now())
        THEN 1 ELSE login_throttles.failures + 1 END,
    last_failure_at = now()
RETURNING failures
"""


@dataclass(frozen=True)
class Throttled:
    """Login is refused until `until`; `seconds` is how long that is from now (rounded up)."""

    until: datetime

    @property
    def seconds(self) -> int:
        return max(1, math.ceil((self.until - datetime.now(UTC)).total_seconds()))


def keys_for(identifier: str, ip: str) -> dict[str, str]:
    return {"account": f"account:{identifier.strip().lower()[:250]}", "ip": f"ip:{ip}"}


def wait_after(kind: str, failures: int) -> timedelta | None:
    """How long a key must wait after its `failures`-th failure (None: not at all)."""
    over = failures - FREE_FAILURES[kind]
    if over < 0:
        return None
    return min(MAX_WAIT, BASE_WAIT * (2**over))


async def check(identifier: str, ip: str) -> Throttled | None:
    """The longest wait that applies to this account or address, if any."""
    keys = keys_for(identifier, ip)
    rows = await LoginThrottle.select(LoginThrottle.locked_until).where(
        LoginThrottle.key.is_in(list(keys.values()))
        & (LoginThrottle.locked_until > datetime.now(UTC))
    )
    if not rows:
        return None
    return Throttled(until=max(r["locked_until"] for r in rows))


async def record_failure(identifier: str, ip: str) -> Throttled | None:
    """Count a failed attempt; returns the wait it triggers, if any."""
    longest: datetime | None = None
    for kind, key in keys_for(identifier, ip).items():
        rows = await LoginThrottle.raw(_RECORD_FAILURE, key, FORGET_AFTER)
        wait = wait_after(kind, rows[0]["failures"])
        if wait is not None:
            until = datetime.now(UTC) + wait
            await LoginThrottle.update({LoginThrottle.locked_until: until}).where(
                LoginThrottle.key == key
            )
            longest = until if longest is None else max(longest, until)
    return Throttled(until=longest) if longest else None


async def record_success(identifier: str) -> None:
    """A correct password clears the account's count (not the address's)."""
    await LoginThrottle.delete().where(LoginThrottle.key == keys_for(identifier, "")["account"])
