"""Delivery attempts on outbox rows: picking the due ones, recording a message sent or an
attempt failed (retried later, backing off, or given up: dead), shared by both channels."""

from __future__ import annotations

import json
import logging
import random
from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

# 15 s, 30 s, 1 min, ... capped at 1 h: twelve attempts keep retrying for about four
# hours, so a mail server that is down for an afternoon delays mail but does not kill it.
MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 15.0
MAX_RETRY_SECONDS = 3600.0
ERROR_TEXT_LIMIT = 300

SELECT_DUE = """
SELECT id, recipient, payload, attempts, created_at
FROM outbox
WHERE channel = $2 AND sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= now()
ORDER BY next_attempt_at, id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""

# clock_timestamp(), not now(): now() is the start of the batch's transaction, which may
# be long past when the last message of a slow batch is handed over.
MARK_SENT = """
UPDATE outbox SET sent_at = clock_timestamp(), attempts = attempts + 1 WHERE id = $1
"""

MARK_FAILED = """
UPDATE outbox
SET attempts = $2,
    last_error = $3,
    next_attempt_at = clock_timestamp() + make_interval(secs => $4::double precision),
    dead_at = CASE WHEN $5::boolean THEN clock_timestamp() END
WHERE id = $1
"""


def retry_delay(
    attempts: int, first: float = FIRST_RETRY_SECONDS, cap: float = MAX_RETRY_SECONDS
) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: `first`, doubling, at most `cap`."""
    delay = first * 2 ** min(max(attempts - 1, 0), 20)
    # A little jitter keeps messages that failed together from retrying in lockstep.
    return min(delay * random.uniform(0.9, 1.1), cap)


def short_error(exc: BaseException, settings: Settings) -> str:
    """The error as one line for the row and the log, without the configured secrets."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    for secret in (settings.smtp_password, settings.sms_gateway_token):
        if secret:
            text = text.replace(secret, "***")
    return text[:ERROR_TEXT_LIMIT]


def payload_of(row: asyncpg.Record) -> dict[str, Any]:
    payload = row["payload"]
    return json.loads(payload) if isinstance(payload, str) else dict(payload)


async def mark_sent(row: asyncpg.Record) -> None:
    await db.execute(MARK_SENT, row["id"])


async def fail(
    settings: Settings,
    row: asyncpg.Record,
    exc: BaseException,
    *,
    permanent: bool = False,
) -> None:
    """Record a failed attempt: retried later, or dead after the last one (or at once when
    `permanent`: it will not get better by waiting)."""
    attempts = row["attempts"] + 1
    dead = permanent or attempts >= settings.outbox_max_attempts
    error = short_error(exc, settings)
    delay = retry_delay(attempts, settings.outbox_retry_seconds, settings.outbox_max_retry_seconds)
    await db.execute(MARK_FAILED, row["id"], attempts, error, delay, dead)
    if dead:
        log.error("outbox %s: given up after %s attempts: %s", row["id"], attempts, error)
    else:
        log.warning("outbox %s: attempt %s failed: %s", row["id"], attempts, error)


async def give_up(settings: Settings, row: asyncpg.Record, exc: BaseException) -> None:
    """A row that cannot even be built (malformed) will never get better: dead at once,
    without the attempt's warning."""
    await db.execute(
        MARK_FAILED, row["id"], row["attempts"] + 1, short_error(exc, settings), 0, True
    )
    log.error("outbox %s: cannot be built, given up: %s", row["id"], exc)
