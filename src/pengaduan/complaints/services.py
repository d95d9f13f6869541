"""Queries about complaints that more than one page needs."""

from __future__ import annotations

from pengaduan.complaints.tables import STATUSES, Complaint


async def public_status_counts() -> dict[str, int]:
    """How many public complaints are in each status (private ones never count)."""
    rows = await Complaint.raw(
        "SELECT status, count(*) AS n FROM complaints WHERE is_public GROUP BY status"
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
