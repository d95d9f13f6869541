"""What every logged-in request reads with its session (accounts.sessions.also_read):
unread_notifications, the bell's count on every page (counted up to 100: "99+")."""

from __future__ import annotations

from pengaduan.accounts import sessions

sessions.also_read(
    "unread_notifications",
    """(SELECT count(*) FROM (SELECT 1 FROM notifications n
                              WHERE n."user" = u.id AND NOT n.is_read
                              LIMIT 100) AS unread)""",
)
