"""Statements planned for their values (db.fetch_planned) and in one process (the pool's
session settings, db.engine.SESSION_SETTINGS): what a search needs whose best plan depends on
how common its word is (handling.queue_search)."""

from __future__ import annotations

from pengaduan import db

_SQL = "SELECT count(*) AS n FROM generate_series(1, $1::int) AS s(i) WHERE i % 7 = 0"
_KEPT = "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"


async def test_a_planned_statement_is_not_kept_and_a_fetched_one_is(app) -> None:
    """`fetch` keeps its statement prepared (after five runs PostgreSQL may plan it once for
    any values); `fetch_planned` sends PostgreSQL's unnamed statement, planned at each run
    for its values and replaced by the next: none is kept, and none is left to close."""
    async with db.one_connection():
        for n in range(1, 9):
            assert (await db.fetch_planned(_SQL, n * 7))[0]["n"] == n
        kept = await db.fetch(_KEPT)
        assert not [row for row in kept if row["statement"] == _SQL]
        for n in range(1, 9):
            assert (await db.fetch(_SQL, n * 7))[0]["n"] == n
        kept = [row for row in await db.fetch(_KEPT) if row["statement"] == _SQL]
        assert len(kept) == 1 and kept[0]["generic_plans"] + kept[0]["custom_plans"] == 8


async def test_pool_connections_plan_without_parallel_workers(app) -> None:
    assert await db.fetchval("SHOW max_parallel_workers_per_gather") == "0"
    async with db.pooled() as conn:
        assert await conn.fetchval("SHOW max_parallel_workers_per_gather") == "0"
