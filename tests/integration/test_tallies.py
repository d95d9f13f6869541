"""complaint_tallies (complaints.tallies): open and all complaints per officer, unit and
category, each unit's per status (migration 2026-12-05T13:00) and each category's public ones
per status (2026-12-05T16:00), kept by triggers in slots
that never make one submission wait for another, read by the auto-assignment, the assignment
menus and the units and categories pages instead of counting complaints."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar

from pengaduan.complaints import statuses, tallies
from tests.factories import make_complaint_in
from tests.support.databases import fetch_rows

MIGRATION = (
    Path(__file__).resolve().parents[2] / "migrations" / "pengaduan_2026_12_05t10_00_00_000000.py"
)
OPEN = f"status IN ({statuses.OPEN_SQL})"
COUNTED = f"""
SELECT scope, key, open_count, total_count FROM (
    SELECT 'category' AS scope, category AS key, count(*) FILTER (WHERE {OPEN}) AS open_count,
           count(*) AS total_count FROM complaints GROUP BY category
    UNION ALL
    SELECT 'officer', officer, count(*) FILTER (WHERE {OPEN}), count(*) FROM complaints
    WHERE officer IS NOT NULL GROUP BY officer
    UNION ALL
    SELECT 'unit', unit, count(*) FILTER (WHERE {OPEN}), count(*) FROM complaints GROUP BY unit
    UNION ALL
    SELECT 'unit:' || status, unit, count(*) FILTER (WHERE {OPEN}), count(*) FROM complaints
    GROUP BY status, unit
    UNION ALL
    SELECT 'pub:' || status, category, count(*) FILTER (WHERE {OPEN}), count(*) FROM complaints
    WHERE is_public GROUP BY status, category
) AS counted ORDER BY 1, 2
"""
STORED = """
SELECT scope, key, sum(open_count), sum(total_count) FROM complaint_tallies
GROUP BY scope, key HAVING sum(open_count) <> 0 OR sum(total_count) <> 0 ORDER BY 1, 2
"""


async def _same(dsn: str) -> list[tuple[int, int]]:
    """The officers' open complaints, after checking every stored tally against a count."""
    counted = [tuple(r) for r in await fetch_rows(dsn, COUNTED)]
    assert [tuple(r) for r in await fetch_rows(dsn, STORED)] == counted
    return [(key, n) for scope, key, n, _total in counted if scope == "officer" and n]


async def test_the_counts_follow_every_change_of_a_complaint(
    app: Litestar, unit_data: dict[str, int], db_dsn: str
) -> None:
    world = unit_data
    first, second = world["officer"], world["officer2"]
    ids = [await make_complaint_in(world, officer=first) for _ in range(3)]
    ids.append(await make_complaint_in(world, officer=second, status="in_progress"))
    ids.append(await make_complaint_in(world, officer=second, status="resolved"))
    ids.append(await make_complaint_in(world))  # nobody's
    assert await _same(db_dsn) == [(first, 3), (second, 1)]
    assert await tallies.open_complaints("officer", first) == 3
    assert await tallies.open_complaints("unit", world["unit"]) == 5  # the resolved one not

    conn = await asyncpg.connect(db_dsn)
    try:
        # One resolved, one moved to the other officer, one reopened, one unassigned one
        # given out, a change that is neither, and a bulk change of many rows at once.
        await conn.execute("UPDATE complaints SET status = 'resolved' WHERE id = $1", ids[0])
        await conn.execute("UPDATE complaints SET officer = $1 WHERE id = $2", second, ids[1])
        await conn.execute("UPDATE complaints SET status = 'in_progress' WHERE id = $1", ids[4])
        await conn.execute("UPDATE complaints SET officer = $1 WHERE id = $2", first, ids[5])
        await conn.execute("UPDATE complaints SET title = 'Judul baru' WHERE id = $1", ids[2])
        # Made private, and another made public again (the public counts per category).
        await conn.execute("UPDATE complaints SET is_public = false WHERE id = $1", ids[1])
        for _ in range(2):
            await conn.execute(
                "UPDATE complaints SET is_public = NOT is_public WHERE id = $1", ids[5]
            )
        # Forwarded: another unit and category, the same officer.
        await conn.execute(
            "UPDATE complaints SET unit = $1, category = $2 WHERE id = $3",
            world["other_unit"],
            world["other_category"],
            ids[3],
        )
        assert await _same(db_dsn) == [(first, 2), (second, 3)]
        more = [await make_complaint_in(world, officer=first) for _ in range(20)]
        await conn.execute(
            "UPDATE complaints SET officer = $1 WHERE id = ANY($2::int[])", second, more
        )
        assert await _same(db_dsn) == [(first, 2), (second, 23)]
        await conn.execute("DELETE FROM complaints WHERE id = ANY($1::int[])", more[:5])
        await conn.execute("UPDATE users SET is_active = false WHERE id = $1", first)
        assert await _same(db_dsn) == [(first, 2), (second, 18)]
        # The rebuild counts the same from the complaints.
        await conn.execute("SELECT complaint_tallies_rebuild()")
        assert await _same(db_dsn) == [(first, 2), (second, 18)]
    finally:
        await conn.close()


async def test_a_submission_takes_a_free_slot_while_another_holds_one(
    app: Litestar, unit_data: dict[str, int], db_dsn: str
) -> None:
    """Two transactions adding to one officer's load at once: the second neither waits for
    the first nor loses its count; the job folds the slots back into one."""
    officer = unit_data["officer"]
    await make_complaint_in(unit_data, officer=officer)
    holder = await asyncpg.connect(db_dsn)
    other = await asyncpg.connect(db_dsn)
    try:
        held = holder.transaction()
        await held.start()
        await holder.execute(
            "INSERT INTO complaints (number, tracking_code, reporter, category, unit, officer,"
            " title, body, status, priority, submitted_at, updated_at, due_at)"
            " SELECT 'ADU-2026-900001', 'KODE9001', reporter, category, unit, officer, title,"
            " body, 'pending', 'normal', now(), now(), now() + interval '7 days'"
            " FROM complaints LIMIT 1"
        )
        # The other transaction would wait here for the held slot without SKIP LOCKED.
        await other.execute("SET lock_timeout = '2s'")
        await other.execute(
            "INSERT INTO complaints (number, tracking_code, reporter, category, unit, officer,"
            " title, body, status, priority, submitted_at, updated_at, due_at)"
            " SELECT 'ADU-2026-900002', 'KODE9002', reporter, category, unit, officer, title,"
            " body, 'pending', 'normal', now(), now(), now() + interval '7 days'"
            " FROM complaints LIMIT 1"
        )
        await held.commit()
    finally:
        await holder.close()
        await other.close()
    slots = await fetch_rows(
        db_dsn,
        "SELECT count(*) FROM complaint_tallies WHERE scope = 'officer' AND key = $1",
        officer,
    )
    assert slots[0][0] == 2
    assert await _same(db_dsn) == [(officer, 3)]
    # The officer's, the unit's, the category's, the unit's pending ones' and the category's
    # public pending ones'.
    assert await tallies.compact() == 5
    slots = await fetch_rows(
        db_dsn,
        "SELECT shard, open_count FROM complaint_tallies WHERE scope = 'officer' AND key = $1",
        officer,
    )
    assert [tuple(r) for r in slots] == [(0, 3)]


async def test_auto_assignment_picks_by_the_stored_load(
    app: Litestar, unit_data: dict[str, int], db_dsn: str
) -> None:
    first, second = unit_data["officer"], unit_data["officer2"]
    assert await tallies.least_busy_officer(unit_data["unit"]) == min(first, second)
    await make_complaint_in(unit_data, officer=min(first, second))
    assert await tallies.least_busy_officer(unit_data["unit"]) == max(first, second)
    assert await tallies.least_busy_officer(unit_data["other_unit"]) == unit_data["other_officer"]


def test_the_triggers_count_the_open_statuses_of_the_code() -> None:
    """The migration names the open statuses as they were; a change to them needs a new one."""
    spec = importlib.util.spec_from_file_location("tallies_migration", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.OPEN == statuses.OPEN_SQL


async def test_the_queues_default_counts_are_the_tallies_and_the_counts_agree(
    app: Litestar, unit_data: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The admin list and the officers' queue count open (or all) complaints of one unit or of
    all from the tallies, never from the complaints; the same totals as counting them, capped
    the same way ("more than")."""
    from pengaduan.handling import queue

    world = unit_data
    for status in ("pending", "verified", "in_progress", "resolved", "closed"):
        await make_complaint_in(world, status=status)
    other = {**world, "unit": world["other_unit"], "category": world["other_category"]}
    for status in ("pending", "rejected"):
        await make_complaint_in(other, status=status)

    async def total(filters: queue.QueueFilters, unit_id: int | None, officer: int) -> int:
        return (await queue.list_complaints(filters, officer_id=officer, unit_id=unit_id))[1]

    await make_complaint_in(world, officer=world["officer"], status="in_progress")
    views = [  # filters, unit (None: all units), the total counted by hand
        (queue.QueueFilters(view="all"), None, 5),
        (queue.QueueFilters(view="all", status="any"), None, 8),
        (queue.QueueFilters(view="all", unit=world["other_unit"]), None, 1),
        (queue.QueueFilters(view="unit"), world["unit"], 4),
        (queue.QueueFilters(view="unit", status="any"), world["unit"], 6),
        (queue.QueueFilters(view="unit"), -1, 0),  # an officer without a unit
        # A category's (40 ms at a million complaints when counted), one status of a unit or
        # of all.
        (queue.QueueFilters(view="all", category=world["other_category"]), None, 1),
        (queue.QueueFilters(view="all", category=world["category"], status="any"), None, 6),
        (queue.QueueFilters(view="all", status="in_progress"), None, 2),
        (queue.QueueFilters(view="unit", status="rejected"), world["unit"], 0),
        (queue.QueueFilters(view="all", status="rejected", unit=world["other_unit"]), None, 1),
    ]
    for filters, unit_id, expected in views:
        where = queue.conditions(filters, world["officer"], unit_id)
        assert "complaint_tallies" in queue.count_sql(filters, where), filters
        assert await total(filters, unit_id, world["officer"]) == expected, filters
    # Narrower filters count the complaints themselves: two conditions (an officer's own
    # are also their unit's), a category's one status, a priority.
    for narrower, unit_id, expected in (
        (queue.QueueFilters(view="unit", category=world["category"]), world["unit"], 4),
        (queue.QueueFilters(view="all", category=world["category"], status="resolved"), None, 1),
        (queue.QueueFilters(view="mine", status="in_progress"), world["unit"], 1),
        (queue.QueueFilters(view="all", priority="normal"), None, 5),
    ):
        where = queue.conditions(narrower, world["officer"], unit_id)
        assert "complaint_tallies" not in queue.count_sql(narrower, where), narrower
        assert await total(narrower, unit_id, world["officer"]) == expected, narrower
    monkeypatch.setattr(queue, "COUNT_CAP", 2)  # the cap is at least a page past this one:
    monkeypatch.setattr(queue, "PAGE_SIZE", 1)
    filters = queue.QueueFilters(view="all", status="any")
    assert await total(filters, None, world["officer"]) == 3 and queue.is_capped(filters, 3)
