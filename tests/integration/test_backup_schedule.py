"""Scheduled backups (issue 16, item 4): the job writes today's archive into the backup
folder once, the admin page lists it with size and age, and a failed run is logged, entered in
the audit log and shown on the page until a later backup makes it good."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar import Litestar

from pengaduan.backup import schedule
from pengaduan.scheduler import Scheduler, run_job
from pengaduan.settings import Settings
from tests.support.databases import fetch_rows


@pytest.fixture
def scheduled(app: Litestar, settings: Settings, data_dir: Path, monkeypatch) -> Settings:
    """The app's settings with daily backups into a folder of the test's own."""
    changed = dataclasses.replace(
        settings, backup_schedule="daily", backup_dir=data_dir / "backups"
    )
    monkeypatch.setattr(app.state, "settings", changed)
    return changed


def backup_jobs(settings: Settings) -> Scheduler:
    scheduler = Scheduler()
    schedule.register(scheduler, settings)
    return scheduler


async def test_the_job_writes_todays_archive_once_and_the_page_lists_it(
    scheduled: Settings, settings: Settings, as_role, db_dsn: str
) -> None:
    # As the scheduler runs it: registered only when enabled, under the job's advisory lock.
    assert backup_jobs(settings).jobs == []
    [job] = backup_jobs(scheduled).jobs
    assert await run_job(job) == 1
    assert await run_job(job) == 0  # today's is there
    [archive] = schedule.archives(scheduled.backup_dir)
    assert archive.size > 0
    assert archive.made.date() == datetime.now(UTC).date()
    admin = await as_role("admin")
    page = await admin.get("/admin/cadangan")
    assert page.status_code == 200
    assert archive.path.name in page.text
    assert str(scheduled.backup_dir) in page.text
    assert "MB" in page.text
    assert 'id="backup-failure"' not in page.text


async def test_a_failed_run_is_logged_audited_and_shown_until_a_backup_succeeds(
    scheduled: Settings, as_role, db_dsn: str, caplog
) -> None:
    blocked = scheduled.backup_dir.parent / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    failing = dataclasses.replace(scheduled, backup_dir=blocked)
    with caplog.at_level(logging.ERROR, logger="pengaduan.backup.schedule"):
        assert await schedule.backup_now(failing) == 0
    assert "scheduled backup" in caplog.text
    [entry] = await fetch_rows(
        db_dsn, "SELECT data FROM audit_log WHERE action = $1", schedule.FAILED
    )
    assert "not-a-folder" in entry["data"]

    admin = await as_role("admin")
    page = await admin.get("/admin/cadangan")
    assert 'id="backup-failure"' in page.text
    assert "not-a-folder" in page.text

    # A later backup into the folder makes the failure old news.
    assert await schedule.backup_now(scheduled) == 1
    page = await admin.get("/admin/cadangan")
    assert 'id="backup-failure"' not in page.text
