"""The complaints domain's scheduled jobs: closing resolved complaints once their reopen
window has passed, and sweeping evidence blobs no complaint refers to."""

from __future__ import annotations

from datetime import datetime, timedelta

from pengaduan.complaints import evidence, lifecycle
from pengaduan.scheduler import Job, Scheduler
from pengaduan.settings import Settings


async def close_resolved(settings: Settings, now: datetime | None = None) -> int:
    """Close complaints resolved more than CLOSE_AFTER ago (the lifecycle does the work)."""
    return await lifecycle.close_expired(settings, now)


def register(scheduler: Scheduler, settings: Settings) -> None:
    async def close() -> int:
        return await close_resolved(settings)

    # At start too: a complaint whose reopen window ended while no process ran (or in the
    # first hour after a start) must not stay resolved for another hour.
    scheduler.register(Job("close_resolved", timedelta(hours=1), close, at_start=True))

    async def sweep_evidence() -> int:
        """Delete stored evidence blobs that no complaint refers to (failed or abandoned forms)."""
        return await evidence.remove_orphans(evidence.storage_for(settings))

    scheduler.register(Job("sweep_evidence", timedelta(days=1), sweep_evidence))
