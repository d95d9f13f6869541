"""Queries for officers about their unit's complaints."""

from __future__ import annotations

from typing import Any

from pengaduan.agency.tables import Unit
from pengaduan.complaints.tables import STATUSES, Complaint


async def unit_summary(unit_id: int | None, officer_id: int) -> dict[str, Any]:
    """Counts of the unit's complaints by status, overdue, and those assigned to the officer."""
    unit = (
        await Unit.select(Unit.id, Unit.name).where(Unit.id == unit_id).first() if unit_id else None
    )
    counts = dict.fromkeys(STATUSES, 0)
    overdue = mine = 0
    if unit:
        rows = await Complaint.raw(
            """
            SELECT status, count(*) AS n,
                   count(*) FILTER (WHERE due_at < now()
                                    AND status IN ('pending', 'verified', 'in_progress')) AS overdue,
                   count(*) FILTER (WHERE officer = {}
                                    AND status IN ('pending', 'verified', 'in_progress')) AS mine
            FROM complaints WHERE unit = {} GROUP BY status
            """,
            officer_id,
            unit_id,
        )
        for row in rows:
            counts[row["status"]] = row["n"]
            overdue += row["overdue"]
            mine += row["mine"]
    return {
        "unit": unit,
        "counts": counts,
        "open": counts["pending"] + counts["verified"] + counts["in_progress"],
        "overdue": overdue,
        "mine": mine,
    }
