"""Scheduled jobs and the loop that runs them; the jobs themselves belong to their domains,
which register them (pengaduan.jobs builds the scheduler every process runs).

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
from datetime import timedelta

import asyncpg

from pengaduan.background import BackgroundLoop, Backoff
from pengaduan.db import ENGINE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], Awaitable[int]]
    # Its first round comes right at start, not an interval later (see Scheduler).
    at_start: bool = False


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


class Scheduler(BackgroundLoop):
    """Runs each job every `job.every` until stopped; a failing run is logged and retried at
    the next interval (after an outage: sooner, backing off)."""

    def __init__(
        self, jobs: Sequence[Job] = (), *, first_delay: tuple[float, float] | None = None
    ) -> None:
        super().__init__("scheduler")
        self.jobs: list[Job] = list(jobs)
        # By default a job's first round comes one interval (plus up to a tenth) after the
        # start: workers started together spread out instead of racing for the lock, and a
        # process that only lives for a moment (a test server, a quick restart) leaves the
        # data alone. A job marked `at_start` runs at once (of workers started together, the
        # one that takes the lock does the round; the others skip it).
        self.first_delay = first_delay
        self._next_run: dict[str, float] = {}
        self._backoff: dict[str, Backoff] = {}

    def register(self, job: Job) -> None:
        """Add a job (before `start`); its name must be unique: it names the lock."""
        if any(known.name == job.name for known in self.jobs):
            raise ValueError(f"a job named {job.name} is already registered")
        self.jobs.append(job)

    def _first_delay(self, job: Job) -> float:
        if self.first_delay is not None:
            return random.uniform(*self.first_delay)
        if job.at_start:
            return 0.0
        every = job.every.total_seconds()
        return every + random.uniform(0, every / 10)

    async def before(self) -> None:
        now = asyncio.get_running_loop().time()
        self._next_run = {job.name: now + self._first_delay(job) for job in self.jobs}
        self._backoff = {
            job.name: Backoff(
                f"the scheduler ({job.name})",
                first=OUTAGE_FIRST_RETRY,
                cap=job.every.total_seconds(),
                logger=log,
            )
            for job in self.jobs
        }

    async def round(self) -> float:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for job in self.jobs:
            if self._next_run[job.name] > now or self.stopping:
                continue
            self._next_run[job.name] = now + job.every.total_seconds()
            backoff = self._backoff[job.name]
            try:
                await run_job(job)
            except Exception as exc:
                # An outage: the round is tried again soon, backing off, rather than a whole
                # interval later; any other failure waits for the next interval.
                self._next_run[job.name] = loop.time() + backoff.failed(
                    exc, "scheduler: %s failed", job.name
                )
            else:
                backoff.succeeded()
        if not self._next_run:
            return 3600.0
        return max(0.0, min(self._next_run.values()) - loop.time())
