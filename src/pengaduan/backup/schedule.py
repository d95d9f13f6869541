"""Scheduled backups (PENGADUAN_BACKUP_SCHEDULE=daily): the scheduler job that writes one
archive a day into PENGADUAN_BACKUP_DIR and prunes the folder to N daily and M weekly archives,
a failure written to the log and to the audit log (the admin page shows the last one), and the
folder's listing for that page.

Only the object store as a destination is not built: the folder may be a mounted volume."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.backup import making
from pengaduan.scheduler import Job, Scheduler
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

FAILED = "backup.failed"
NAME_FORMAT = "pengaduan-%Y%m%d-%H%M%S.backup"
# The job looks every hour whether today's backup is there: a process restarted every day
# still makes one, and a failed one is tried again within the hour.
EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class Archive:
    path: Path
    made: datetime
    size: int
    # When it was complete (the file's last change): later than `made` by the backup's time.
    finished: datetime


def made_at(path: Path) -> datetime | None:
    """When a scheduled archive was made, from its name (None: not one of ours)."""
    try:
        return datetime.strptime(path.name, NAME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def retained(made: Iterable[datetime], keep_daily: int, keep_weekly: int) -> set[datetime]:
    """Which archives to keep: the newest of each of the `keep_daily` latest days that have
    one, then the newest of each of the `keep_weekly` latest ISO weeks before those days."""
    keep: set[datetime] = set()
    days: set[date] = set()
    weeks: set[tuple[int, int]] = set()
    weekly = 0
    for when in sorted(set(made), reverse=True):
        day = when.date()
        week = tuple(day.isocalendar())[:2]
        if day in days:
            continue
        if len(days) < keep_daily:
            days.add(day)
            weeks.add(week)
            keep.add(when)
        elif week not in weeks and weekly < keep_weekly:
            weeks.add(week)
            keep.add(when)
            weekly += 1
    return keep


def archives(folder: Path) -> list[Archive]:
    """The scheduled archives in `folder`, newest first (none when it cannot be read)."""
    found = []
    try:
        paths = list(folder.iterdir())
    except OSError:
        return []
    for path in paths:
        when = made_at(path)
        if when is not None and path.is_file():
            stat = path.stat()
            finished = datetime.fromtimestamp(stat.st_mtime, UTC)
            found.append(Archive(path, when, stat.st_size, finished))
    return sorted(found, key=lambda a: a.made, reverse=True)


def folder_of(settings: Settings) -> Path:
    return settings.backup_dir or settings.data_dir / "backups"


def prune(folder: Path, keep_daily: int, keep_weekly: int) -> int:
    """Delete the archives retention does not keep; how many went."""
    present = archives(folder)
    keep = retained((a.made for a in present), keep_daily, keep_weekly)
    gone = 0
    for archive in present:
        if archive.made not in keep:
            archive.path.unlink(missing_ok=True)
            gone += 1
    return gone


async def last_failure(since: datetime | None) -> dict[str, Any] | None:
    """The latest failed scheduled backup (its time and error), if it came after `since`
    (the newest archive): a failure a later backup made good is no longer news."""
    return await db.fetchrow(
        "SELECT at, data->>'error' AS error FROM audit_log WHERE action = $1"
        " AND ($2::timestamptz IS NULL OR at > $2) ORDER BY at DESC LIMIT 1",
        FAILED,
        since,
    )


async def backup_now(settings: Settings, now: datetime | None = None) -> int:
    """Write today's archive unless it is there, then prune: 1 when one was written.

    A failure is logged and entered in the audit log, not raised: the next round (an hour
    later) tries again, and the admin page shows the last failure.
    """
    now = now or datetime.now(UTC)
    folder = folder_of(settings)
    if any(a.made.date() == now.date() for a in archives(folder)):
        return 0
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # In a thread with a loop of its own: writing and sealing the archive is synchronous
        # work that would otherwise stall every request of this web worker meanwhile (the
        # backup opens its own connections and storage client; nothing is shared).
        dsn = db.ENGINE.config["dsn"]
        await asyncio.to_thread(
            asyncio.run, making.make_backup(settings, dsn, folder / f"{now:{NAME_FORMAT}}")
        )
    except Exception as exc:
        log.exception("scheduled backup into %s failed", folder)
        await audit.record(
            actor_id=None,
            action=FAILED,
            target_type="backup",
            data={"folder": str(folder), "error": f"{exc.__class__.__name__}: {exc}"},
        )
        return 0
    prune(folder, settings.backup_keep_daily, settings.backup_keep_weekly)
    return 1


def register(scheduler: Scheduler, settings: Settings) -> None:
    if settings.backup_schedule != "daily":
        return

    async def backup() -> int:
        return await backup_now(settings)

    scheduler.register(Job("backup", EVERY, backup))
