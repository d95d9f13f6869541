"""Each key's requests per minute, held across workers without a database write per request.

Every worker counts a key's requests in process and, at most once per FLUSH_SECONDS, adds what
it counted to the key's row in api_key_windows (one fixed window per minute of the clock) and
reads back the sum of every worker's flushes. A request is admitted while the last sum it read
plus what it admitted since stays under the key's limit; past it, the worker refuses locally
(no database call) until the minute ends, answering how many seconds that is (Retry-After).
The same statement stamps the key's last_used_at, so a busy key costs at most one small write
per second per worker, whatever its rate.

Accuracy, as a consequence:
- A worker never admits more than the limit on its own: its own count is exact.
- Across W workers, each learns the others' requests only when it flushes, so a minute can
  admit the limit plus at most what the other workers admit within one flush interval each
  (W − 1 workers × their rate per second × FLUSH_SECONDS). At 4 workers and a limit of 600 a
  minute spread evenly that is ≤ 30 requests over; a burst landing in the same second on
  every worker is the worst case.
- Fixed windows: a client can spend its limit at the end of one minute and again at the start
  of the next (up to twice the limit in a minute that straddles the boundary).
- Requests counted but not yet flushed when a worker falls idle are never written: the shared
  count and last_used_at can lag by up to a second of one worker's requests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pengaduan import db
from pengaduan.apikeys.services import ClientKey
from pengaduan.errors import TOO_MANY, Refused
from pengaduan.i18n import ngettext

FLUSH_SECONDS = 1.0
WINDOW_SECONDS = 60

# Adds a worker's count to the key's window (starting it afresh in a new minute) and stamps
# the key's last use; answers the window's sum over every worker.
_FLUSH = """
WITH used AS (UPDATE api_keys SET last_used_at = now() WHERE id = $1)
INSERT INTO api_key_windows AS w (api_key, window_start, used) VALUES ($1, $2, $3)
ON CONFLICT (api_key) DO UPDATE SET
    used = CASE
        WHEN w.window_start = EXCLUDED.window_start THEN w.used + EXCLUDED.used
        WHEN w.window_start < EXCLUDED.window_start THEN EXCLUDED.used
        ELSE w.used
    END,
    window_start = greatest(w.window_start, EXCLUDED.window_start)
RETURNING used, window_start
"""


@dataclass
class _KeyCount:
    window: int = -1  # minutes since the epoch
    shared: int = 0  # the window's sum over all workers at the last flush (ours included)
    pending: int = 0  # admitted here since then
    last_flush: float = -math.inf
    flushing: bool = False


@dataclass
class KeyLimiter:
    """One worker's counts (by key hash: ids are reused when tests empty the tables)."""

    clock: Callable[[], float] = time.time
    counts: dict[str, _KeyCount] = field(default_factory=dict)

    async def admit(self, key: ClientKey) -> None:
        """Count one request of `key`, or Refused(TOO_MANY, retry_after=...) past its limit."""
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        count = self.counts.setdefault(key.key_hash, _KeyCount())
        if count.window != window:
            count.window, count.shared, count.pending = window, 0, 0
            count.last_flush = -math.inf
        if count.shared + count.pending >= key.requests_per_minute:
            wait = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
            raise Refused(
                ngettext(
                    "Too many requests with this api_key: try again in %(num)s second.",
                    "Too many requests with this api_key: try again in %(num)s seconds.",
                    wait,
                ),
                TOO_MANY,
                retry_after=wait,
            )
        count.pending += 1
        if not count.flushing and now - count.last_flush >= FLUSH_SECONDS:
            await self._flush(key, count, window, now)

    async def _flush(self, key: ClientKey, count: _KeyCount, window: int, now: float) -> None:
        count.flushing, count.last_flush = True, now
        taken, count.pending = count.pending, 0
        start = datetime.fromtimestamp(window * WINDOW_SECONDS, UTC)
        try:
            row = await db.fetchrow(_FLUSH, key.id, start, taken)
        except BaseException:
            count.pending += taken  # counted again at the next flush
            raise
        finally:
            count.flushing = False
        if count.window == window and row is not None and row["window_start"] == start:
            count.shared = row["used"]


# This worker's limiter (a process's counts, as a cache is: each worker has its own).
LIMITER = KeyLimiter()
