"""The admins' view of the outbox: one page of messages in a state (pending, sent, dead, all).

Every state reads an index in its own order (migration 2026-12-04T17:00 adds the partial
ones) and a page is LIMIT n + 1 rows: nothing counts the whole table, so the page costs the
same at a thousand messages as at ten million.
"""

from __future__ import annotations

from typing import Any

from pengaduan import db

STATES = ("dead", "pending", "sent", "all")
DEFAULT_STATE = "dead"
PAGE_SIZE = 50
# Deep pages walk the index up to their offset: the list stops here (50 × 200 messages).
LAST_PAGE = 200

# Per state: the WHERE clause and the ORDER BY that its index serves.
_STATE_SQL = {
    "dead": ("o.dead_at IS NOT NULL AND o.sent_at IS NULL", "o.dead_at DESC, o.id DESC"),
    "pending": ("o.sent_at IS NULL AND o.dead_at IS NULL", "o.id DESC"),
    "sent": ("o.sent_at IS NOT NULL", "o.sent_at DESC, o.id DESC"),
    "all": ("TRUE", "o.id DESC"),
}

# The body of an SMS is not shown: a password reset code may be in it.
_SELECT = """
SELECT o.id, o.channel, o.recipient, o.payload->>'kind' AS kind,
       CASE WHEN o.channel = 'email' THEN o.payload->>'subject' END AS subject,
       o.attempts, o.last_error, o.created_at, o.next_attempt_at, o.sent_at, o.dead_at,
       u.full_name AS user_name, u.username
FROM outbox o
LEFT JOIN users u
  ON o.channel = 'sms' AND u.id = (substring(o.recipient from '^user:([0-9]+)$'))::int
WHERE {where}
ORDER BY {order}
LIMIT $1 OFFSET $2
"""


def state_of(value: str | None) -> str:
    return value if value in STATES else DEFAULT_STATE


def state_of_row(row: dict[str, Any]) -> str:
    if row["sent_at"] is not None:
        return "sent"
    return "dead" if row["dead_at"] is not None else "pending"


async def messages(state: str, page: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of the messages in `state`, newest first, and whether another page follows."""
    where, order = _STATE_SQL[state_of(state)]
    sql = _SELECT.format(where=where, order=order)
    offset = (min(max(page, 1), LAST_PAGE) - 1) * PAGE_SIZE
    rows = await db.fetch(sql, PAGE_SIZE + 1, offset)
    found = [{**dict(r), "state": state_of_row(dict(r))} for r in rows[:PAGE_SIZE]]
    return found, len(rows) > PAGE_SIZE and page < LAST_PAGE
