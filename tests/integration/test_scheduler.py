"""Scheduled jobs: overdue complaints are escalated to the right people once a day, resolved
complaints close after 14 days, and of several workers only one runs a job at a time."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from litestar import Litestar

from pengaduan import scheduler
from pengaduan.app import create_app
from pengaduan.complaints.jobs import close_resolved
from pengaduan.db import ENGINE
from pengaduan.handling.jobs import escalate_overdue, escalation_job
from pengaduan.settings import Settings
from pengaduan.worker import scheduler_for
from tests.conftest import running
from tests.factories import make_category, make_complaint, make_unit, make_user
from tests.support.databases import fetch_rows, settings_for
from tests.support.mail import written
from tests.support.waiting import wait_until_async

HOUR = timedelta(hours=1)


@pytest.fixture
async def overdue(people: dict[str, int], db_dsn: str) -> dict[str, int]:
    """Unit A has an admin of its own (and an inactive one); unit B has none, so the admins
    without a unit (people's "admin") answer for it. Complaints: overdue in A (assigned) and
    in B (unassigned); not yet due; overdue but resolved."""
    now = datetime.now(UTC)
    unit_a, unit_b = people["unit"], await make_unit("Dinas Tanpa Admin")
    ids = {**people, "unit_b": unit_b}
    ids["admin_a"] = await make_user("admin", "admin.a", unit=unit_a)
    ids["admin_a_gone"] = await make_user("admin", "admin.a.lama", unit=unit_a)
    await fetch_rows(
        db_dsn, "UPDATE users SET is_active = false WHERE id = $1", ids["admin_a_gone"]
    )
    # An admin of another unit hears nothing of these; one without a confirmed email gets no mail.
    ids["admin_c"] = await make_user("admin", "admin.c", unit=await make_unit("Dinas C"))
    ids["admin_unconfirmed"] = await make_user("admin", "admin.baru", confirmed=False)
    await fetch_rows(db_dsn, "UPDATE users SET language = 'en' WHERE id = $1", ids["admin_a"])
    roads = await make_category(unit_a, "Jalan Rusak")
    trash = await make_category(unit_b, "Sampah")
    ids["late_a"] = await make_complaint(
        reporter=people["citizen"],
        category=roads,
        unit=unit_a,
        officer=people["officer"],
        status="in_progress",
        due_at=now - HOUR,
    )
    ids["late_b"] = await make_complaint(
        reporter=people["citizen"], category=trash, unit=unit_b, due_at=now - 3 * HOUR
    )
    ids["on_time"] = await make_complaint(
        reporter=people["citizen"], category=roads, unit=unit_a, due_at=now + 48 * HOUR
    )
    ids["done"] = await make_complaint(
        reporter=people["citizen"],
        category=roads,
        unit=unit_a,
        status="resolved",
        due_at=now - 48 * HOUR,
        resolved_at=now - HOUR,
    )
    return ids


async def _told(dsn: str) -> set[tuple[int, int]]:
    rows = await fetch_rows(
        dsn, "SELECT \"user\", complaint FROM notifications WHERE kind = 'overdue'"
    )
    return {(r["user"], r["complaint"]) for r in rows}


async def _mails(dsn: str) -> list[dict]:
    rows = await fetch_rows(dsn, "SELECT recipient, payload FROM outbox ORDER BY id")
    # As they will be sent (a notification mail is written when sent).
    return [{"to": r["recipient"], **written(json.loads(r["payload"]))} for r in rows]


async def test_overdue_complaints_go_to_the_units_admins_and_the_officer(
    app: Litestar, overdue: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    assert await escalate_overdue(settings) == 2
    assert await _told(db_dsn) == {
        (overdue["admin_a"], overdue["late_a"]),
        (overdue["officer"], overdue["late_a"]),
        (overdue["admin"], overdue["late_b"]),
        (overdue["admin_unconfirmed"], overdue["late_b"]),
    }
    mails = await _mails(db_dsn)
    assert sorted(m["to"] for m in mails) == [
        "admin.a@uji.test",
        "admin@uji.test",
        "petugas@uji.test",
    ]
    assert all(m["kind"] == "overdue" for m in mails)
    (number_a,) = await fetch_rows(
        db_dsn, "SELECT number FROM complaints WHERE id = $1", overdue["late_a"]
    )
    (english,) = [m for m in mails if m["to"] == "admin.a@uji.test"]
    assert english["subject"] == f"Overdue: complaint {number_a['number']}"
    assert f"/petugas/pengaduan/{overdue['late_a']}" in english["text"]
    assert "Dinas Uji" in english["text"] and "In progress" in english["text"]
    (note,) = await fetch_rows(
        db_dsn, 'SELECT title FROM notifications WHERE "user" = $1', overdue["admin_a"]
    )
    assert note["title"] == f"Complaint {number_a['number']} is overdue"

    stamped = await fetch_rows(
        db_dsn, "SELECT id FROM complaints WHERE overdue_notified_at IS NOT NULL ORDER BY id"
    )
    assert [r["id"] for r in stamped] == [overdue["late_a"], overdue["late_b"]]
    audit = await fetch_rows(
        db_dsn,
        "SELECT actor, target_id FROM audit_log WHERE action = 'complaint.overdue_escalated'",
    )
    assert {(a["actor"], a["target_id"]) for a in audit} == {
        (None, str(overdue["late_a"])),
        (None, str(overdue["late_b"])),
    }


async def test_escalation_repeats_only_after_a_day(
    app: Litestar, overdue: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    now = datetime.now(UTC)
    assert await escalate_overdue(settings, now) == 2
    assert await escalate_overdue(settings, now) == 0
    assert await escalate_overdue(settings, now + 23 * HOUR) == 0
    assert len(await fetch_rows(db_dsn, "SELECT 1 FROM notifications WHERE kind = 'overdue'")) == 4
    # Resolved meanwhile: no more reminders for it.
    await fetch_rows(
        db_dsn, "UPDATE complaints SET status = 'resolved' WHERE id = $1", overdue["late_b"]
    )
    assert await escalate_overdue(settings, now + 25 * HOUR) == 1
    rows = await fetch_rows(
        db_dsn,
        "SELECT complaint, count(*) AS n FROM notifications WHERE kind = 'overdue'"
        " GROUP BY complaint",
    )
    assert {r["complaint"]: r["n"] for r in rows} == {overdue["late_a"]: 4, overdue["late_b"]: 2}


async def test_a_unit_without_admins_falls_back_to_admins_without_a_unit_only(
    app: Litestar, overdue: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    await escalate_overdue(settings)
    told_about_b = {u for u, c in await _told(db_dsn) if c == overdue["late_b"]}
    assert told_about_b == {overdue["admin"], overdue["admin_unconfirmed"]}
    assert overdue["admin_c"] not in {u for u, _c in await _told(db_dsn)}


async def test_two_concurrent_runs_do_the_work_once(
    app: Litestar, overdue: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    job = escalation_job(settings)
    results = await asyncio.gather(scheduler.run_job(job), scheduler.run_job(job))
    # One ran it; the other was skipped (lock held) or found nothing left (ran after it).
    assert sorted(results, key=lambda r: r or 0)[-1] == 2
    assert sum(r or 0 for r in results) == 2
    assert len(await fetch_rows(db_dsn, "SELECT 1 FROM notifications WHERE kind = 'overdue'")) == 4
    assert len(await _mails(db_dsn)) == 3


async def test_two_runs_without_the_lock_still_claim_each_complaint_once(
    app: Litestar, overdue: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    """Should a lock be lost with its connection, the row claims keep the work single."""
    first, second = await asyncio.gather(escalate_overdue(settings), escalate_overdue(settings))
    assert first + second == 2
    assert len(await fetch_rows(db_dsn, "SELECT 1 FROM notifications WHERE kind = 'overdue'")) == 4


async def test_a_job_whose_lock_is_held_elsewhere_is_skipped(
    app: Litestar, overdue: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    job = escalation_job(settings)
    other_worker = await asyncpg.connect(db_dsn)
    try:
        assert await other_worker.fetchval(scheduler.TRY_LOCK, scheduler.lock_name(job))
        assert await scheduler.run_job(job) is None
        assert await _told(db_dsn) == set()
        await other_worker.fetchval(scheduler.UNLOCK, scheduler.lock_name(job))
        assert await scheduler.run_job(job) == 2
    finally:
        await other_worker.close()
    # The lock was given back: the next round takes it again (and has nothing to do).
    assert await scheduler.run_job(job) == 0


async def test_resolved_complaints_close_fourteen_days_after_resolution(
    app: Litestar, people: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    now = datetime.now(UTC)
    category = await make_category(people["unit"])
    common = {"reporter": people["citizen"], "category": category, "unit": people["unit"]}
    common["history"] = False  # the one history row below is the closing one
    old = await make_complaint(**common, status="resolved", resolved_at=now - timedelta(days=15))
    recent = await make_complaint(**common, status="resolved", resolved_at=now - timedelta(days=13))
    still_open = await make_complaint(**common, status="in_progress")
    assert await close_resolved(settings) == 1
    rows = await fetch_rows(db_dsn, "SELECT id, status, closed_at FROM complaints ORDER BY id")
    assert {r["id"]: r["status"] for r in rows} == {
        old: "closed",
        recent: "resolved",
        still_open: "in_progress",
    }
    (history,) = await fetch_rows(db_dsn, "SELECT * FROM status_history WHERE complaint = $1", old)
    assert (history["old_status"], history["new_status"], history["changed_by"]) == (
        "resolved",
        "closed",
        None,
    )
    assert await close_resolved(settings) == 0


async def test_the_closing_job_runs_as_soon_as_the_scheduler_starts(
    app: Litestar, people: dict[str, int], db_dsn: str
) -> None:
    """Not an hour after the start: a complaint past its reopen window is closed at once."""
    category = await make_category(people["unit"])
    expired = await make_complaint(
        reporter=people["citizen"],
        category=category,
        unit=people["unit"],
        status="resolved",
        resolved_at=datetime.now(UTC) - timedelta(days=15),
    )
    loop = scheduler_for(app.state.settings)  # the app's jobs and first delays
    loop.start()
    try:

        async def closed() -> bool:
            (row,) = await fetch_rows(
                db_dsn, "SELECT status FROM complaints WHERE id = $1", expired
            )
            return row["status"] == "closed"

        assert await wait_until_async(closed, "the expired complaint closed", 20)
    finally:
        await loop.stop()


async def test_the_loop_runs_each_job_on_its_interval_until_stopped(app: Litestar) -> None:
    runs: list[str] = []

    async def tick() -> int:
        runs.append("tick")
        return 0

    async def broken() -> int:
        runs.append("broken")
        raise RuntimeError("a failing round is logged, not fatal")

    loop = scheduler.Scheduler(
        [
            scheduler.Job("test_tick", timedelta(seconds=0.05), tick),
            scheduler.Job("test_broken", timedelta(seconds=0.05), broken),
        ],
        first_delay=(0, 0),
    )
    loop.start()
    try:
        await wait_until_async(
            lambda: runs.count("tick") >= 3 and runs.count("broken") >= 3, "three rounds of each"
        )
        assert runs.count("tick") >= 3 and runs.count("broken") >= 3
        assert loop.running
    finally:
        await loop.stop()
    assert not loop.running


@pytest.fixture
async def second_app(db_dsn: str) -> AsyncIterator[Litestar]:
    """An app whose settings run the in-app workers; the session app's pool is set aside
    meanwhile (the engine has one pool)."""
    application = create_app(settings_for(db_dsn, PENGADUAN_OUTBOX_IN_APP="true"))
    session_pool = ENGINE.pool
    ENGINE.pool = None
    try:
        async with running(application):
            yield application
    finally:
        ENGINE.pool = session_pool


async def test_the_app_lifespan_runs_the_scheduler_next_to_the_outbox_worker(
    second_app: Litestar,
) -> None:
    assert second_app.state.scheduler is not None and second_app.state.scheduler.running
    assert second_app.state.outbox_worker.running


async def test_a_job_that_finds_the_database_away_is_retried_soon_and_logged_once(
    app: Litestar, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An outage is not a failure of the job: no traceback, one line for the outage, and the
    round is tried again after a short wait (backing off), not an interval later."""
    from pengaduan import outages

    monkeypatch.setattr(scheduler, "OUTAGE_FIRST_RETRY", 0.01)
    attempts: list[int] = []

    async def restarting() -> int:
        attempts.append(1)
        if len(attempts) <= 3:
            raise asyncpg.CannotConnectNowError("the database system is starting up")
        return 0

    loop = scheduler.Scheduler(
        [scheduler.Job("test_restarting", timedelta(hours=1), restarting)], first_delay=(0, 0)
    )
    loop.start()
    try:
        await wait_until_async(lambda: len(attempts) >= 4, "the fourth attempt", 5)
        assert len(attempts) == 4
    finally:
        await loop.stop()
        await outages.stop_probe()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "database unreachable (CannotConnectNowError: the database system is starting up, "
        "noticed by the scheduler (test_restarting)): answering 503 until it is back"
    ]
