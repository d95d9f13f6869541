"""Each officer's open complaints, read from officer_workload (handling.tables) instead of
counted from the complaints: who is least busy for the auto-assignment, and the load the
staff pages show beside each officer's name.

Counting an officer's open complaints grew with the table (tens of thousands each at a
million complaints: 313 ms per submission to find the least busy officer). The triggers of
migration 2026-12-05T10:00 keep the counts exact in the changing transaction, in slots that
readers sum (no submission waits for another's commit); a job folds the slots back.
"""

from __future__ import annotations

from datetime import timedelta

from pengaduan import db
from pengaduan.scheduler import Job, Scheduler
from pengaduan.settings import Settings

COMPACT_EVERY = timedelta(minutes=10)


def open_of(officer: str) -> str:
    """SQL: the open complaints of the officer whose id is the SQL expression `officer`."""
    return (
        "(SELECT coalesce(sum(w.open_count), 0)::int FROM officer_workload w"
        f" WHERE w.officer = {officer})"
    )


def least_busy_in(unit: str) -> str:
    """SQL: the active officer of the unit `unit` (an SQL expression) with the fewest open
    complaints (ties: the lowest id), or NULL when the unit has none."""
    return (
        "(SELECT o.id FROM users o"
        f" WHERE o.unit = {unit} AND o.role = 'officer' AND o.is_active"
        f" ORDER BY {open_of('o.id')}, o.id LIMIT 1)"
    )


async def least_busy_officer(unit_id: int) -> int | None:
    """The unit's active officer with the fewest open complaints (ties: the lowest id)."""
    return await db.fetchval(f"SELECT {least_busy_in('$1::int')}", unit_id)


async def open_complaints(officer_id: int) -> int:
    """The officer's open complaints now."""
    return await db.fetchval(f"SELECT {open_of('$1::int')}", officer_id)


async def compact() -> int:
    """Folds the slots nobody holds into slot 0 of their officer; how many officers it wrote."""
    return await db.fetchval("SELECT officer_workload_compact()")


async def rebuild() -> int:
    """Counts every officer's open complaints again from the complaints (one slot each)."""
    return await db.fetchval("SELECT officer_workload_rebuild()")


def register(scheduler: Scheduler, settings: Settings) -> None:
    scheduler.register(Job("compact_officer_workload", COMPACT_EVERY, compact))
