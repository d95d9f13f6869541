"""Scheduled jobs (overdue escalation, closing resolved complaints) and the loop that runs them.

Every web worker (and `pengaduan worker`) runs the loop, but each run of a job first takes a
PostgreSQL advisory lock named after the job on a connection of its own: of the processes
due at the same moment, one does the work and the others skip that round. The jobs are also
safe on their own (rows are claimed with FOR UPDATE SKIP LOCKED and a condition that the
claim itself makes false), so a lock lost with its connection costs nothing but a round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from pengaduan import outages
from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle
from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE
from pengaduan.notifications import services as notifications

log = logging.getLogger(__name__)

RENOTIFY_AFTER = timedelta(hours=24)
ESCALATION_BATCH = 100

# Claims a batch: open, past due, not told within a day; the update itself marks them told,
# so a second runner (or a later round) skips them.
CLAIM_OVERDUE = """
WITH due AS (
    SELECT id FROM complaints
    WHERE status IN ('pending', 'verified', 'in_progress')
      AND due_at < {}
      AND (overdue_notified_at IS NULL OR overdue_notified_at <= {})
    ORDER BY due_at, id
    LIMIT {}
    FOR UPDATE SKIP LOCKED
)
UPDATE complaints c SET overdue_notified_at = {}
FROM due, units u
WHERE c.id = due.id AND u.id = c.unit
RETURNING c.id, c.number, c.title, c.unit, c.officer, c.due_at, c.status, u.name AS unit_name
"""

ADMINS_OF_UNITS = """
SELECT id, unit FROM users
WHERE role = 'admin' AND is_active AND (unit = ANY({}) OR unit IS NULL)
"""


# --- the jobs --------------------------------------------------------------------------------


def _staff_recipients(complaint: dict[str, Any], admins: list[dict[str, Any]]) -> list[int]:
    """The unit's own admins, or (a unit without any) the admins of no unit; and the officer."""
    own = [a["id"] for a in admins if a["unit"] == complaint["unit"]]
    ids = own or [a["id"] for a in admins if a["unit"] is None]
    if complaint["officer"]:
        ids.append(complaint["officer"])
    return list(dict.fromkeys(ids))


async def _escalate_batch(now: datetime) -> int:
    async with ENGINE.transaction():
        claimed = await Complaint.raw(
            CLAIM_OVERDUE, now, now - RENOTIFY_AFTER, ESCALATION_BATCH, now
        )
        if not claimed:
            return 0
        admins = await Complaint.raw(ADMINS_OF_UNITS, sorted({c["unit"] for c in claimed}))
        per_complaint = {c["id"]: _staff_recipients(c, admins) for c in claimed}
        everyone = {u for ids in per_complaint.values() for u in ids}
        people = {p["id"]: p for p in await notifications.recipients(sorted(everyone))}
        for complaint in claimed:
            told = []
            for user_id in per_complaint[complaint["id"]]:
                user = people.get(user_id)
                if user is None:
                    continue  # deactivated meanwhile
                await _tell_overdue(user, complaint)
                told.append(user_id)
            await audit.record(
                actor_id=None,
                action="complaint.overdue_escalated",
                target_type="complaint",
                target_id=complaint["id"],
                data={"due_at": complaint["due_at"], "notified": told},
            )
        return len(claimed)


async def _tell_overdue(user: dict[str, Any], complaint: dict[str, Any]) -> None:
    """One in-app notification and one mail (to a confirmed address), in the user's language."""
    number = complaint["number"]
    with notifications.in_language(user["language"]):
        await notifications.notify(
            user,
            kind="overdue",
            complaint_id=complaint["id"],
            number=number,
            params={"number": number, "title": complaint["title"], "unit": complaint["unit_name"]},
        )
        await notifications.mail(
            user,
            "overdue",
            {
                "number": number,
                "title": complaint["title"],
                "unit": complaint["unit_name"],
                "due_at": complaint["due_at"],
                "status": complaint["status"],
                "link": f"/petugas/pengaduan/{complaint['id']}",
            },
            kind="overdue",
            topic="overdue",
        )


async def escalate_overdue(now: datetime | None = None) -> int:
    """Tell the unit's admins and the assigned officer about open complaints past their due
    date (again a day later while they stay so); returns how many complaints were escalated.

    One transaction per batch: the claim, the notifications, the mail and the audit rows
    commit together.
    """
    now = now or datetime.now(UTC)
    total = 0
    while True:
        done = await _escalate_batch(now)
        total += done
        if done < ESCALATION_BATCH:
            return total


async def close_resolved(now: datetime | None = None) -> int:
    """Close complaints resolved more than 14 days ago (the lifecycle does the work)."""
    return await lifecycle.close_expired(now)


async def sweep_evidence() -> int:
    """Delete stored evidence blobs that no complaint refers to (failed or abandoned forms)."""
    from pengaduan.complaints import evidence
    from pengaduan.settings import get_settings

    return await evidence.remove_orphans(evidence.storage_for(get_settings()))


# --- running them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[int]]
    # Its first round comes right at start, not an interval later (see Scheduler).
    at_start: bool = False


JOBS: tuple[Job, ...] = (
    Job("escalate_overdue", timedelta(minutes=10), escalate_overdue),
    # At start too: a complaint whose reopen window ended while no process ran (or in the
    # first hour after a start) must not stay resolved for another hour.
    Job("close_resolved", timedelta(hours=1), close_resolved, at_start=True),
    Job("sweep_evidence", timedelta(days=1), sweep_evidence),
)

# While the database is unreachable a job is tried again after 5 s, 10 s, 20 s, ...
OUTAGE_FIRST_RETRY = 5.0

TRY_LOCK = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))"
UNLOCK = "SELECT pg_advisory_unlock(hashtextextended($1, 0))"


def lock_name(job: Job) -> str:
    return f"pengaduan.job.{job.name}"


async def run_job(job: Job) -> int | None:
    """Run the job if no other process is running it: its result, or None when skipped.

    The advisory lock lives on a connection of its own (a pooled one would carry it back
    into the pool); if that connection dies, PostgreSQL releases the lock.
    """
    conn = await asyncpg.connect(**{**ENGINE.config, "timeout": 10})
    try:
        if not await conn.fetchval(TRY_LOCK, lock_name(job)):
            log.debug("scheduler: %s is running elsewhere; skipped", job.name)
            return None
        try:
            result = await job.run()
        finally:
            with contextlib.suppress(Exception):
                await conn.fetchval(UNLOCK, lock_name(job))
        if result:
            log.info("scheduler: %s: %s", job.name, result)
        return result
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), timeout=5)


class Scheduler:
    """Runs each job every `job.every` until stopped; a failing run is logged and retried at
    the next interval."""

    def __init__(
        self, jobs: Sequence[Job] = JOBS, *, first_delay: tuple[float, float] | None = None
    ) -> None:
        self.jobs = tuple(jobs)
        # By default a job's first round comes one interval (plus up to a tenth) after the
        # start: workers started together spread out instead of racing for the lock, and a
        # process that only lives for a moment (a test server, a quick restart) leaves the
        # data alone. A job marked `at_start` runs at once (of workers started together, the
        # one that takes the lock does the round; the others skip it).
        self.first_delay = first_delay
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task[None]:
        if self.running:
            raise RuntimeError("the scheduler is already running")
        self._stopping.clear()
        self._task = asyncio.create_task(self.run(), name="scheduler")
        return self._task

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop the loop; a job still running after `grace_seconds` is cancelled (its
        transaction rolls back and the next round does it)."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is None:
            return
        await asyncio.wait({task}, timeout=grace_seconds)
        if not task.done():
            task.cancel()
            await asyncio.wait({task})

    def _first_delay(self, job: Job) -> float:
        if self.first_delay is not None:
            return random.uniform(*self.first_delay)
        if job.at_start:
            return 0.0
        every = job.every.total_seconds()
        return every + random.uniform(0, every / 10)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_run = {job.name: loop.time() + self._first_delay(job) for job in self.jobs}
        unreachable = dict.fromkeys(next_run, 0)  # rounds in a row that found no database
        while not self._stopping.is_set():
            now = loop.time()
            for job in self.jobs:
                if next_run[job.name] > now or self._stopping.is_set():
                    continue
                every = job.every.total_seconds()
                next_run[job.name] = now + every
                try:
                    await run_job(job)
                except Exception as exc:
                    if not outages.is_outage(exc):
                        log.exception("scheduler: %s failed", job.name)
                        continue
                    # Logged once per outage; the round is tried again soon, backing off,
                    # rather than a whole interval later.
                    outages.note_outage(exc, f"the scheduler ({job.name})")
                    retry = min(OUTAGE_FIRST_RETRY * 2 ** unreachable[job.name], every)
                    next_run[job.name] = loop.time() + retry
                    unreachable[job.name] += 1
                else:
                    unreachable[job.name] = 0
            delay = max(0.0, min(next_run.values()) - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
