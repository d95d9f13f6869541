"""Live events: small messages (ids only) on PostgreSQL channels.

Sent with pg_notify inside the caller's transaction, so PostgreSQL delivers them when (and
only if) it commits, to listeners on every worker and host; or, for the busiest change (a
submission), after it committed (`publish_committed`). Channel names: `user_<id>`,
`complaint_<id>`, `queue_<unit id>`, `stats`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from pengaduan import db, outages
from pengaduan.db.grouped import Grouped

log = logging.getLogger(__name__)


def notifications(channels: Iterable[str], event: dict[str, Any]) -> list[tuple[str, str]]:
    """The (channel, payload) pairs `publish` sends: one per distinct channel."""
    payload = json.dumps(event, separators=(",", ":"))
    return [(channel, payload) for channel in dict.fromkeys(channels)]


async def publish(channels: Iterable[str], event: dict[str, Any]) -> None:
    for channel, payload in notifications(channels, event):
        await db.execute("SELECT pg_notify($1, $2)", channel, payload)


# After the change committed: the events in one statement of their own, committed without
# waiting for the WAL flush. A transaction that NOTIFYs holds PostgreSQL's one notification
# lock from its pre-commit until its commit ends, flush included, so NOTIFYing transactions
# commit one after the other, each waiting for its own flush (bench/submit_load.py: ~25
# submissions/s with the events inside the submission). Here the lock is held for no flush;
# the change itself committed (and flushed together with its neighbours) before. A crash
# between the two loses the events only: the pages resync when their stream reconnects, and
# the outbox worker also polls.
PUBLISH_COMMITTED_SQL = """
SELECT count(pg_notify(n.channel, n.payload)) AS sent, min(quick.setting) AS setting
FROM (SELECT set_config('synchronous_commit', 'off', true) AS setting) AS quick,
     unnest($1::text[], $2::text[]) AS n(channel, payload)
"""


async def publish_committed(events: list[tuple[str, str]]) -> None:
    """Send (channel, payload) pairs of a change that has committed (see above), together with
    those of the other requests of this worker that are waiting to send theirs: one statement
    for all of them. Returns once they are sent; an error is logged, not raised (the change
    is saved; only its live events are lost). Inside a transaction (a caller's, or a test's)
    they join it instead, delivered at its commit."""
    if not events:
        return
    if db.in_transaction():
        await db.fetch(
            "SELECT count(pg_notify(n.channel, n.payload)) AS sent"
            " FROM unnest($1::text[], $2::text[]) AS n(channel, payload)",
            [channel for channel, _payload in events],
            [payload for _channel, payload in events],
        )
        return
    await _COMMITTED.run(events)


async def _send_committed(groups: list[list[tuple[str, str]]]) -> None:
    """The events of requests that committed at the same moment, in one statement."""
    events = [event for group in groups for event in group]
    try:
        await db.fetch(
            PUBLISH_COMMITTED_SQL,
            [channel for channel, _payload in events],
            [payload for _channel, payload in events],
        )
    except Exception as exc:
        if outages.is_outage(exc):
            # The database is away: one line for the whole outage, not a traceback per
            # statement (the changes themselves are saved).
            outages.note_outage(exc, "live events of committed changes")
        else:
            log.warning("live events of committed changes not sent", exc_info=True)


# Those waiting while a statement is on its way all go in the next one (db.grouped).
_COMMITTED: Grouped[list[tuple[str, str]], None] = Grouped(_send_committed, most=1000)
