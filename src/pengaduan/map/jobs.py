"""The map's scheduled work: folding the extra slots of complaint_cells back into one."""

from __future__ import annotations

from datetime import timedelta

from pengaduan import db
from pengaduan.scheduler import Job, Scheduler
from pengaduan.settings import Settings

COMPACT_EVERY = timedelta(minutes=10)


async def compact_cells() -> int:
    """Folds slots nobody holds into slot 0 of their key (migration 2026-12-05T02:00); how many
    keys it wrote. At most 20,000 slots a round: the next round takes the rest."""
    return await db.fetchval("SELECT complaint_cells_compact()")


def register(scheduler: Scheduler, settings: Settings) -> None:
    scheduler.register(Job("compact_map_cells", COMPACT_EVERY, compact_cells))
