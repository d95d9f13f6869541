"""Live events: small messages (ids only) on PostgreSQL channels.

Sent with pg_notify inside the caller's transaction, so PostgreSQL delivers them when (and
only if) it commits, to listeners on every worker and host; or, for the busiest change (a
submission), after it committed (`publish_committed`). Channel names: `user_<id>`,
`complaint_<id>`, `queue_<unit id>`, `stats`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Iterable
from typing import Any

from pengaduan import db, outages

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
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = _Batcher()
    await batcher.send(events)


class _Batcher:
    """Events waiting to be sent while a statement for earlier ones is on its way: they all
    go in the next one (under load, one statement for many requests' events)."""

    def __init__(self) -> None:
        self.waiting: list[tuple[str, str]] = []
        self.done: asyncio.Future[None] | None = None  # resolved when `waiting` is sent
        self.sending = False

    async def send(self, events: list[tuple[str, str]]) -> None:
        if self.done is None:
            self.done = asyncio.get_running_loop().create_future()
        self.waiting.extend(events)
        done = self.done
        if not self.sending:
            self.sending = True
            task = asyncio.create_task(self._flush())
            _flushing.add(task)
            task.add_done_callback(_flushing.discard)
        # Shielded: a request that goes away must not cancel the others' events.
        await asyncio.shield(done)

    async def _flush(self) -> None:
        try:
            while self.waiting:
                events, self.waiting = self.waiting, []
                done, self.done = self.done, None
                try:
                    await db.fetch(
                        PUBLISH_COMMITTED_SQL,
                        [channel for channel, _payload in events],
                        [payload for _channel, payload in events],
                    )
                except Exception as exc:
                    if outages.is_outage(exc):
                        # The database is away: one line for the whole outage, not a
                        # traceback per batch (the changes themselves are saved).
                        outages.note_outage(exc, "live events of committed changes")
                    else:
                        log.warning("live events of committed changes not sent", exc_info=True)
                if done is not None and not done.done():
                    done.set_result(None)
        finally:
            self.sending = False


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = (
    weakref.WeakKeyDictionary()
)
_flushing: set[asyncio.Task] = set()
