"""The officers' home page ("My unit"): its counts per status from complaint_tallies (kept by
the complaint triggers, migration 2026-12-05T13:00) instead of a count of the unit's every
complaint, and its open complaints assigned to the officer, to nobody and overdue counted as
the queue counts its views, up to a cap (then "more than", as the bell says it). Issue 13:
every page flat to a million complaints."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from pengaduan.complaints.tables import Complaint
from pengaduan.handling import services
from tests.factories import make_complaint_in
from tests.support.databases import fetch_rows


def _figures(page: httpx.Response) -> dict[str, str]:
    """The four figures at the top, by the queue view each links to."""
    assert page.status_code == 200, page.text
    found = re.findall(r'\?(view=[a-z]+(?:&amp;overdue=1)?)"><strong>([^<]*)</strong>', page.text)
    return dict(found)


def _per_status(page: httpx.Response) -> dict[str, str]:
    rows = re.findall(
        r'<tr><td><span class="badge status-(\w+)"[^>]*>.*?</span></td><td>([^<]*)</td>', page.text
    )
    return dict(rows)


async def test_the_home_page_counts_the_unit_from_the_tallies_and_the_queues_views(
    as_role, unit_data: dict[str, int], count_queries: list[str]
) -> None:
    d = unit_data
    past = datetime.now(UTC) - timedelta(days=1)
    for _ in range(2):
        await make_complaint_in(d)  # pending, nobody's
    await make_complaint_in(d, due_at=past)  # pending, nobody's, overdue
    for _ in range(2):
        await make_complaint_in(d, status="in_progress", officer=d["officer"])
    await make_complaint_in(d, status="in_progress", officer=d["officer2"])
    resolved = await make_complaint_in(d, status="resolved", officer=d["officer"])
    # Another unit's complaint counts nowhere here.
    await make_complaint_in(d, unit=d["other_unit"], category=d["other_category"])
    officer: httpx.AsyncClient = await as_role("officer")
    await officer.get("/petugas")
    count_queries.clear()
    page = await officer.get("/petugas")
    # The session lookup, and the page's one statement: no count of the unit's complaints.
    assert len(count_queries) == 2, count_queries
    assert "GROUP BY status" not in "".join(count_queries)
    assert _figures(page) == {
        "view=unit": "6",
        "view=mine": "2",
        "view=unassigned": "3",
        "view=unit&amp;overdue=1": "1",
    }
    assert _per_status(page) == {
        "pending": "3",
        "verified": "0",
        "in_progress": "3",
        "resolved": "1",
        "rejected": "0",
        "closed": "0",
        "withdrawn": "0",
    }
    # A change of status moves the complaint from one count to the other at once.
    await Complaint.update({Complaint.status: "closed"}).where(Complaint.id == resolved)
    counts = _per_status(await officer.get("/petugas"))
    assert counts["resolved"] == "0" and counts["closed"] == "1"


async def test_past_the_cap_the_home_page_says_more_than(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    """Counting further would grow with the table; the queue views it links to count further."""
    d = unit_data
    first = await make_complaint_in(d, officer=d["officer"])
    # HOME_CAP + 1 more, copies of the first (one statement: the triggers' bulk path).
    await fetch_rows(
        db_dsn,
        "INSERT INTO complaints (number, tracking_code, reporter, unit, category, title, body,"
        " status, priority, officer, submitted_at, due_at, updated_at, idempotency_key)"
        " SELECT 'ADU-2026-9' || lpad(n::text, 5, '0'), tracking_code, reporter, unit, category,"
        " title, body, status, priority, officer, submitted_at, due_at, updated_at,"
        " 'copy-' || n FROM complaints, generate_series(1, $2) AS n WHERE id = $1",
        first,
        services.HOME_CAP + 1,
    )
    page = await (await as_role("officer")).get("/petugas")
    figures = _figures(page)
    assert figures["view=mine"] == "lebih dari 99"
    assert figures["view=unassigned"] == "0"
    # The tallies are exact: the open count and the count per status are not capped.
    assert figures["view=unit"] == "101"
    assert _per_status(page)["pending"] == "101"
