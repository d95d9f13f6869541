"""The background work every process runs: the outbox worker, and the scheduler with the jobs
each domain registers (built here, so the web workers and `pengaduan worker` run the same
jobs); and `pengaduan worker`, a process that runs only them."""

from __future__ import annotations

import asyncio
import signal

from pengaduan import db, outages
from pengaduan.backup import schedule as backup_schedule
from pengaduan.complaints import jobs as complaint_jobs
from pengaduan.complaints import tallies
from pengaduan.handling import jobs as handling_jobs
from pengaduan.map import jobs as map_jobs
from pengaduan.notifications.outbox.worker import OutboxWorker
from pengaduan.scheduler import Scheduler
from pengaduan.settings import Settings


def scheduler_for(
    settings: Settings, *, first_delay: tuple[float, float] | None = None
) -> Scheduler:
    """The scheduler with every domain's jobs (not started)."""
    scheduler = Scheduler(first_delay=first_delay)
    handling_jobs.register(scheduler, settings)
    complaint_jobs.register(scheduler, settings)
    backup_schedule.register(scheduler, settings)
    map_jobs.register(scheduler, settings)
    tallies.register(scheduler, settings)
    return scheduler


async def run_worker(settings: Settings) -> None:
    """Deliver the outbox and run the scheduled jobs until SIGINT or SIGTERM (`pengaduan
    worker`); the engine must already point at the database. A second signal stops without
    waiting for the batch."""
    await db.open_pool(settings)
    worker = OutboxWorker(settings)
    task = worker.start()
    scheduler = scheduler_for(settings)
    scheduler.start()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if worker.stopping:
            task.cancel()
        worker.request_stop()

    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, on_signal)
    try:
        await asyncio.wait({task})
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        await scheduler.stop()
        await worker.stop()
        await outages.stop_probe()
        await db.close_pool()
