"""The queue's lists filtered by a category (handling.queue) read only what they show, through
complaints_queue_category (migration 2026-12-05T17:00): an officer's queue filtered by a
category of another unit walked all of the unit's complaints (383 ms at a million)."""

from __future__ import annotations

import json

from litestar import Litestar

from pengaduan import db
from pengaduan.handling import queue
from tests.factories import make_complaint_in

MANY = 20_000


async def _fill(world: dict[str, int]) -> None:
    """MANY complaints of each unit in its own category, every status and priority: a
    category is then common, and rare in the other unit (as at 1M, where the planner walked
    the unit's whole queue in search of it)."""
    for unit, category in (
        (world["unit"], world["category"]),
        (world["other_unit"], world["other_category"]),
    ):
        await db.execute(
            "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
            " status, priority, submitted_at, updated_at, due_at)"
            " SELECT 'ADU-' || $3::int || '-' || lpad(i::text, 6, '0'), 'KODE' || i, $1, $2, $3,"
            " 'Jalan ' || i, 'Isi',"
            " (ARRAY['pending', 'verified', 'in_progress', 'resolved', 'closed'])[1 + i % 5],"
            " (ARRAY['urgent', 'high', 'normal', 'low'])[1 + i % 4],"
            " now() - i * interval '1 minute', now(), now() + i * interval '1 minute'"
            " FROM generate_series(1, $4::int) AS i",
            world["citizen"],
            category,
            unit,
            MANY,
        )
    await db.execute("ANALYZE complaints")


def _read(plan: list) -> int:
    """The most rows any step of a plan read: what it gave and what it threw away."""
    nodes, most = [json.loads(plan[0]["QUERY PLAN"])[0]["Plan"]], 0
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        read = sum(node.get(k, 0) for k in ("Actual Rows", "Rows Removed by Filter"))
        most = max(most, read * node.get("Actual Loops", 1))
    return most


async def test_a_category_filter_reads_only_the_rows_it_shows(
    app: Litestar, unit_data: dict[str, int]
) -> None:
    world = unit_data
    await _fill(world)
    # Two of the other unit's category forwarded to this unit, one closed.
    forwarded = [
        await make_complaint_in(world, category=world["other_category"], status=status)
        for status in ("verified", "closed")
    ]
    other = world["other_category"]
    views = [  # filters, the officer's unit (None: an admin), the rows listed
        (queue.QueueFilters(view="unit", category=other), world["unit"], 1),
        (queue.QueueFilters(view="unit", category=other, status="any"), world["unit"], 2),
        (queue.QueueFilters(view="all", category=other, unit=world["unit"]), None, 1),
        (queue.QueueFilters(view="all", category=other), None, 25),
        (queue.QueueFilters(view="unit", category=world["category"]), world["unit"], 25),
        (queue.QueueFilters(view="all", category=world["category"], status="any"), None, 25),
    ]
    for filters, unit_id, listed in views:
        where = queue.conditions(filters, world["officer"], unit_id)
        plan = await db.fetch(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + queue.page_sql(filters, where), *where.args
        )
        # A page is 25: each priority and status of it reads about a page, and the count up
        # to its cap (or the tallies): never near a unit's 20,000 (12,001 read without
        # complaints_queue_category and the statistics on unit and category).
        assert _read(plan) <= 2 * (queue.COUNT_CAP + 1), filters
        rows, _total = await queue.list_complaints(
            filters, officer_id=world["officer"], unit_id=unit_id
        )
        assert len(rows) == listed, filters
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="unit", category=other, status="any"),
        officer_id=world["officer"],
        unit_id=world["unit"],
    )
    assert {row["id"] for row in rows} == set(forwarded) and total == 2
