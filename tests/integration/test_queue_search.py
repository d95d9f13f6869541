"""The staff's text search (handling.queue): found through its matches when they are few, and
through the queue's own order when they are many, with the same answers either way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.handling import queue, queue_search
from pengaduan.statistics import exports
from tests.factories import make_complaint_in


@pytest.fixture
async def searched(app: Litestar, unit_data: dict[str, int]) -> dict[str, int]:
    ids = {
        "bridge": await make_complaint_in(unit_data, title="Jembatan Cikapundung retak"),
        "lamp": await make_complaint_in(
            unit_data, title="Penerangan mati", body="Lampu jalan RT 05 mati sejak Senin."
        ),
        "closed": await make_complaint_in(unit_data, title="Jembatan kayu lapuk", status="closed"),
    }
    for n in range(5):
        await make_complaint_in(unit_data, title=f"Sampah menumpuk {n}")
    return ids


async def _found(q: str, **filters: str) -> tuple[set[int], int]:
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="all", q=q, **filters), officer_id=None, unit_id=None
    )
    return {row["id"] for row in rows}, total


@pytest.mark.parametrize("through_matches", [True, False])
async def test_the_same_answers_through_the_matches_and_through_the_order(
    searched: dict[str, int], monkeypatch: pytest.MonkeyPatch, through_matches: bool
) -> None:
    def counted(ids: set[int]) -> tuple[set[int], int]:
        # Through the order, a word found counts as "more than 0" (is_capped), as a common
        # word's count stops at the cap and says "more than 1,000".
        return ids, len(ids) if through_matches else min(len(ids), 1)

    if not through_matches:
        # Every word found is a common one: more matches than the count goes (count_cap).
        monkeypatch.setattr(queue, "count_cap", lambda filters: 0)
    # Part of a title (trigram), a word of the body (the stored document), nothing at all.
    assert await _found("mbatan cika") == counted({searched["bridge"]})
    assert await _found("lampu") == counted({searched["lamp"]})
    assert await _found("zzzzqqq") == (set(), 0)
    # The queue's own filters still apply: the closed one only with status "any".
    assert await _found("jembatan") == counted({searched["bridge"]})
    assert await _found("jembatan", status="any") == counted(
        {searched["bridge"], searched["closed"]}
    )


async def test_a_common_word_is_paged_in_the_order_of_work(
    unit_data: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """More matches than the count goes (here 3): the page walks the queue's own order (most
    urgent, then the earliest due) for the word's first matches, and the count says "more
    than 3" without counting further; a word with fewer matches is counted exactly."""
    monkeypatch.setattr(queue, "count_cap", lambda filters: 3)
    now = datetime.now(UTC)
    made = {}
    for n, (priority, days) in enumerate(
        [("low", 1), ("urgent", 5), ("normal", 2), ("urgent", 3), ("high", 9), ("normal", 1)]
    ):
        made[n] = await make_complaint_in(
            unit_data,
            title=f"Lampu padam {n}",
            priority=priority,
            due_at=now + timedelta(days=days),
        )
    await make_complaint_in(
        unit_data, title="Lampu padam lama", status="resolved", priority="urgent"
    )
    await make_complaint_in(unit_data, title="Sampah menumpuk", priority="urgent")
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="all", q="padam"), officer_id=None, unit_id=None
    )
    assert [row["id"] for row in rows] == [made[n] for n in (3, 1, 4, 5, 2, 0)]
    assert total == 4 and queue.is_capped(queue.QueueFilters(), total)
    # Resolved ones only: one match, fewer than the cap, counted.
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="all", q="padam", status="resolved"), officer_id=None, unit_id=None
    )
    assert [row["title"] for row in rows] == ["Lampu padam lama"] and total == 1
    # An officer's unit: the same walk in the unit's own index.
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="unit", q="lampu", priority="urgent"),
        officer_id=None,
        unit_id=unit_data["unit"],
    )
    assert [row["id"] for row in rows] == [made[3], made[1]] and total == 2


async def test_an_officers_search_reads_its_units_matches_in_order_up_to_the_page(
    unit_data: dict[str, int], monkeypatch: pytest.MonkeyPatch, count_queries: list[str]
) -> None:
    """One unit's open complaints (an officer's queue) are searched in the order of their own
    index, up to the page asked for: those are its candidates, counted as far as the cap
    (here 3, or the page's end past it) goes."""
    monkeypatch.setattr(queue, "COUNT_CAP", 3)
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    now = datetime.now(UTC)
    made = [
        await make_complaint_in(
            unit_data, title=f"Lampu padam {n}", priority=priority, due_at=now + timedelta(days=d)
        )
        for n, (priority, d) in enumerate(
            [("low", 1), ("urgent", 5), ("normal", 2), ("urgent", 3), ("high", 9), ("normal", 1)]
        )
    ]
    await make_complaint_in(unit_data, title="Lampu padam lama", status="resolved")
    await make_complaint_in(
        unit_data,
        title="Lampu padam di dinas lain",
        unit=unit_data["other_unit"],
        category=unit_data["other_category"],
    )
    order = [made[n] for n in (3, 1, 4, 5, 2, 0)]

    async def page(number: int) -> tuple[list[int], int]:
        filters = queue.QueueFilters(view="unit", q="padam", page=number)
        rows, total = await queue.list_complaints(
            filters, officer_id=None, unit_id=unit_data["unit"]
        )
        return [row["id"] for row in rows], total

    count_queries.clear()
    assert await page(1) == (order[:2], 4)  # "more than 3"
    search = next(sql for sql in count_queries if "FROM complaints c" in sql)
    assert "ORDER BY" in search and "LIMIT 4" in search
    assert await page(2) == (order[2:4], 5)  # more than 4: the cap is this page's end
    assert await page(3) == (order[4:], 6)  # all six, counted
    assert await page(4) == ([], 6)


async def test_the_matches_are_counted_in_the_lists_statuses(
    unit_data: dict[str, int], count_queries: list[str]
) -> None:
    """A word common among closed complaints but rare among open ones is read through its
    open matches: the search reads the open ones only, as far as the count goes, and that is
    the count (the page's statement counts nothing)."""
    for n in range(4):
        await make_complaint_in(unit_data, title=f"Jembatan lama {n}", status="closed")
    kept = await make_complaint_in(unit_data, title="Jembatan goyang")
    count_queries.clear()
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="all", q="jembatan"), officer_id=None, unit_id=None
    )
    assert [row["id"] for row in rows] == [kept] and total == 1
    search, page = [sql for sql in count_queries if "FROM complaints c" in sql]
    assert "'closed'" not in search and "LIMIT 1001" in search
    assert "count(*)" not in page and "SELECT 1 AS n" in page


async def test_a_part_shorter_than_a_trigram_searches_the_words(
    searched: dict[str, int],
) -> None:
    """Two letters cannot be found in the titles' trigram index (every title would be read):
    they search the words: "RT" finds the word, "ng" (part of "Cikapundung") no
    title."""
    assert await _found("RT") == ({searched["lamp"]}, 1)  # "Lampu jalan RT 05 ..."
    assert await _found("ng") == (set(), 0)


@pytest.mark.parametrize("through_matches", [True, False])
async def test_the_map_and_exports_read_every_match_in_scope(
    searched: dict[str, int],
    unit_data: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    through_matches: bool,
) -> None:
    """The queue's map and its exports take every match (queue.with_search): as their ids
    while there are at most SEARCH_IDS in the list's unit, else as the search itself."""
    if not through_matches:
        monkeypatch.setattr(queue_search, "SEARCH_IDS", 0)
    elsewhere = await make_complaint_in(
        unit_data,
        title="Jembatan gantung putus",
        unit=unit_data["other_unit"],
        category=unit_data["other_category"],
    )
    mine = {searched["bridge"], searched["closed"]}

    async def matched(filters: queue.QueueFilters, unit_id: int | None) -> set[int]:
        where = await queue.with_search(filters, None, unit_id)
        rows = await db.fetch(f"SELECT c.id FROM complaints c WHERE {where.sql}", *where.args)
        return {row["id"] for row in rows}

    every = queue.QueueFilters(view="all", q="jembatan", status="any")
    assert await matched(every, None) == {*mine, elsewhere}
    assert await matched(replace(every, view="unit"), unit_data["unit"]) == mine
    assert await matched(replace(every, q="zzzzqqq"), None) == set()
    header, rows = await exports.complaint_rows(every)
    titles = {row[2] for row in rows}  # number, submitted, title, ...
    assert len(header) > 2
    assert titles == {"Jembatan Cikapundung retak", "Jembatan kayu lapuk", "Jembatan gantung putus"}
