"""What a staff member's every request reads with their session (accounts.sessions.also_read).

queue_version: for staff, the sum of the counters of what their queues show (handling.tables:
their unit's and the shared one; an admin's queues show every unit); None for citizens. Read
in the one query every request makes anyway, it lets their pages come from web.pagecache."""

from __future__ import annotations

from pengaduan.accounts import sessions

sessions.also_read(
    "queue_version",
    """CASE u.role
           WHEN 'officer' THEN (SELECT coalesce(sum(version), 0) FROM queue_versions
                                WHERE unit IN (0, u.unit))
           WHEN 'admin' THEN (SELECT coalesce(sum(version), 0) FROM queue_versions)
       END""",
)
