"""Statements asked on every visit keep one generic plan.

PostgreSQL plans a prepared statement anew for each execution while its custom plans look
cheaper than a generic one. With a page's LIMIT and OFFSET as parameters (My complaints), or
a search's few matches as an array (the staff search), they did: at 1,000,000 complaints
the planning cost more than the query (My complaints 0.8 ms a visit instead of 0.35; the
admin search for a word found nowhere 3 ms instead of 0.6)."""

from __future__ import annotations

from litestar import Litestar

from pengaduan import db
from pengaduan.complaints import reading
from pengaduan.db.engine import ENGINE
from pengaduan.handling import queue
from tests.factories import make_complaint_in

# PostgreSQL tries five custom plans before it weighs a generic one.
_VISITS = 8


async def _many_of_one_reporter(complaint_id: int, copies: int) -> None:
    """`copies` more complaints like this one, then fresh statistics: one reporter with
    thousands of complaints among few reporters (an organisation filing for many people; the
    bench's 1,000,000), where a page's custom plans look cheaper than a generic one."""
    columns = [
        row["column_name"]
        for row in await db.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'complaints'"
            " AND column_name NOT IN ('id', 'number', 'idempotency_key') AND is_generated = 'NEVER'"
        )
    ]
    listed = ", ".join(f'"{name}"' for name in columns)
    copied = ", ".join(f'c."{name}"' for name in columns)
    await db.execute(
        f"INSERT INTO complaints (number, {listed}) SELECT 'TEST-' || g, {copied}"
        " FROM complaints c, generate_series(1, $2) AS g WHERE c.id = $1",
        complaint_id,
        copies,
    )
    await db.execute("ANALYZE complaints")


async def _fresh_connections() -> None:
    """The pool's connections replaced by new ones: their prepared statements' plan counts
    start at zero, whatever earlier tests asked on them (PostgreSQL weighs a generic plan
    against the average of the custom plans it made, over the statement's whole life)."""
    assert ENGINE.pool is not None
    await ENGINE.pool.expire_connections()


async def _plans(statement_start: str) -> tuple[int, int]:
    """Generic and custom plans of this connection's prepared statement(s) starting so."""
    rows = await db.fetch(
        "SELECT coalesce(sum(generic_plans), 0)::int AS generic,"
        " coalesce(sum(custom_plans), 0)::int AS custom"
        " FROM pg_prepared_statements WHERE statement LIKE $1",
        statement_start + "%",
    )
    return rows[0]["generic"], rows[0]["custom"]


async def test_my_complaints_is_planned_once(app: Litestar, unit_data: dict[str, int]) -> None:
    await _many_of_one_reporter(await make_complaint_in(unit_data), 20_000)
    await _fresh_connections()
    async with db.one_connection():
        for _ in range(_VISITS):
            complaints, total, more = await reading.my_complaints(unit_data["citizen"])
            assert (len(complaints), total, more) == (reading.PAGE_SIZE, db.COUNT_CAP + 1, True)
        # Read with other requests' (db.fetch_together): its statement for many visits.
        generic, custom = await _plans("SELECT grouped_items_rows.*%WITH listed AS")
    assert generic >= _VISITS - 5 and custom <= 5


async def test_a_staff_search_among_few_matches_is_planned_once(
    app: Litestar, unit_data: dict[str, int]
) -> None:
    await _many_of_one_reporter(await make_complaint_in(unit_data), 20_000)
    await make_complaint_in(unit_data, title="Jembatan zzzzqqq retak")
    # One match among 20,000 (a word found nowhere asks for no page at all: test_admin_list).
    filters = queue.QueueFilters(view="all", q="zzzzqqq")
    async with db.one_connection():
        for _ in range(_VISITS):
            rows, total = await queue.list_complaints(filters, officer_id=None, unit_id=None)
            assert total == 1 and rows[0]["title"] == "Jembatan zzzzqqq retak"
        generic, custom = await _plans("WITH page AS")
    assert generic >= _VISITS - 5 and custom <= 5
