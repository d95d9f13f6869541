"""Dead outbox messages (given up after their attempts, listed for admins by outbox_view):
another round of attempts, audited."""

from __future__ import annotations

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.notifications.outbox import WAKE_WORKERS

REVIVE = """
UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now()
WHERE id = $1 AND dead_at IS NOT NULL AND sent_at IS NULL
RETURNING id, channel, recipient, last_error
"""


async def retry_dead(outbox_id: int, *, admin_id: int, ip: str) -> bool:
    """Give a dead message a new round of attempts (audited); False if it is not dead."""
    if not 0 < outbox_id < 2**31:
        return False
    async with ENGINE.transaction():
        row = await db.fetchrow(REVIVE, outbox_id)
        if row is None:
            return False
        await audit.record(
            actor_id=admin_id,
            action="outbox.retry",
            target_type="outbox",
            target_id=outbox_id,
            data={"channel": row["channel"], "last_error": row["last_error"]},
            ip=ip,
        )
        await db.execute(WAKE_WORKERS)
    return True
