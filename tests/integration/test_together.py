"""db.fetch_together: the same read asked by many requests of a worker at once goes in one
statement, and each request still gets exactly its own rows (issue 13: the logged-in pages
under load)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.agency.tables import Unit
from pengaduan.db import ENGINE, together
from tests.support.waiting import wait_until_async

# Rows that depend on both values, in an order of their own; none for n = 0.
_SERIES = "SELECT g AS n, $2::text AS tag FROM generate_series(1, $1::int) AS g ORDER BY g DESC"


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many items each statement that fetch_together sends carries."""
    sent: list[int] = []
    original = together.with_connection

    async def counting(call: Callable[[asyncpg.Connection], Any]) -> Any:
        async def counted(conn: asyncpg.Connection) -> Any:
            answers = await call(conn)  # one per item
            sent.append(len(answers))
            return answers

        return await original(counted)

    monkeypatch.setattr(together, "with_connection", counting)
    return sent


async def test_reads_asked_at_once_go_in_one_statement_each_with_its_own_rows(
    app: Litestar, statements: list[int]
) -> None:
    asked = [(n % 4, f"request {n}") for n in range(20)]
    answers = await asyncio.gather(*(db.fetch_together(_SERIES, *args) for args in asked))
    for (n, tag), rows in zip(asked, answers, strict=True):
        assert rows == [{"n": k, "tag": tag} for k in range(n, 0, -1)]
    # All asked before the statement started: one statement.
    assert statements == [len(asked)]


async def test_reads_asked_while_a_statement_is_on_its_way_go_in_the_next_one(
    app: Litestar, statements: list[int]
) -> None:
    slow = _SERIES.replace("AS g", "AS g, pg_sleep($3::float8) AS held")
    first = asyncio.ensure_future(db.fetch_together(slow, 1, "first", 0.3))

    def on_its_way() -> bool:
        read = together._READS.get(slow)
        queues = read.group._queues.values() if read else ()
        return any(queue.writing and not queue.waiting for queue in queues)

    await wait_until_async(on_its_way, "the first statement on its way", 5)
    rest = [db.fetch_together(slow, 2, f"next {n}", 0) for n in range(5)]
    answers = await asyncio.gather(first, *rest)
    assert answers[0] == [{"n": 1, "tag": "first"}]
    assert answers[1:] == [[{"n": k, "tag": f"next {n}"} for k in (2, 1)] for n in range(5)]
    assert statements == [1, 5]


async def test_values_that_are_null_and_reads_without_parameters(app: Litestar) -> None:
    sql = "SELECT $1::int IS NULL AS missing, coalesce($1::int, 0) + 1 AS next"
    answers = await asyncio.gather(*(db.fetch_together(sql, value) for value in (None, 4, None)))
    assert answers == [
        [{"missing": True, "next": 1}],
        [{"missing": False, "next": 5}],
        [{"missing": True, "next": 1}],
    ]
    constant = "SELECT 1 AS one UNION ALL SELECT 2 ORDER BY 1 DESC"
    answers = await asyncio.gather(*(db.fetch_together(constant) for _ in range(5)))
    assert answers == [[{"one": 2}, {"one": 1}]] * 5


async def test_the_reads_own_names_are_its_own(app: Litestar) -> None:
    # Aliases a statement may well use (p, q, one) do not hide the items' values.
    sql = "SELECT p.x + $1::int AS y FROM (SELECT 1 AS x) AS p, (SELECT 2) AS q, (SELECT 3) AS one"
    answers = await asyncio.gather(*(db.fetch_together(sql, n) for n in (10, 20)))
    assert answers == [[{"y": 11}], [{"y": 21}]]


async def test_a_read_with_an_array_parameter_goes_alone(app: Litestar) -> None:
    sql = "SELECT v FROM unnest($1::int[]) AS v ORDER BY v"
    for _ in range(2):  # the first finds it out, the second knows
        answers = await asyncio.gather(db.fetch_together(sql, [3, 1]), db.fetch_together(sql, []))
        assert answers == [[{"v": 1}, {"v": 3}], []]


async def test_a_read_with_a_dollar_inside_a_string_goes_alone(app: Litestar) -> None:
    sql = "SELECT 'costs $1' AS text, $1::int AS n"
    answers = await asyncio.gather(*(db.fetch_together(sql, n) for n in (1, 2)))
    assert answers == [[{"text": "costs $1", "n": 1}], [{"text": "costs $1", "n": 2}]]
    assert together._READS[sql].alone
    # An apostrophe in a comment starts no string: this one is grouped.
    commented = "SELECT $1::int AS n -- the reader's own\n, 'x' AS x"
    answers = await asyncio.gather(*(db.fetch_together(commented, n) for n in (1, 2)))
    assert answers == [[{"n": 1, "x": "x"}], [{"n": 2, "x": "x"}]]
    assert not together._READS[commented].alone


async def test_a_value_that_cannot_be_sent_fails_its_own_read_only(
    app: Litestar, statements: list[int]
) -> None:
    answers = await asyncio.gather(
        db.fetch_together(_SERIES, 1, "a"),
        db.fetch_together(_SERIES, "two", "b"),  # not a number: asyncpg refuses to send it
        db.fetch_together(_SERIES, 2, "c"),
        return_exceptions=True,
    )
    assert answers[0] == [{"n": 1, "tag": "a"}]
    assert isinstance(answers[1], asyncpg.DataError | asyncpg.exceptions._base.DataError)
    assert answers[2] == [{"n": 2, "tag": "c"}, {"n": 1, "tag": "c"}]


async def test_a_read_asked_during_a_statement_sees_what_was_written_before_it(
    app: Litestar,
) -> None:
    # The first read is on its way (sleeping in PostgreSQL) when a unit is written; the read
    # asked after that waits for the next statement and sees the unit.
    sql = "SELECT count(*)::int AS units, pg_sleep($1::float8 / 1000) IS NULL AS slept FROM units"
    first = asyncio.ensure_future(db.fetch_together(sql, 300))
    await asyncio.sleep(0.1)
    await Unit.insert(Unit(name="Baru"))
    second = await db.fetch_together(sql, 0)
    assert second[0]["units"] == (await first)[0]["units"] + 1


async def test_inside_a_transaction_a_read_sees_the_transaction(app: Litestar) -> None:
    sql = "SELECT name FROM units WHERE name = $1"
    with pytest.raises(RuntimeError):
        async with ENGINE.transaction():
            await Unit.insert(Unit(name="Sementara"))
            assert await db.fetch_together(sql, "Sementara") == [{"name": "Sementara"}]
            raise RuntimeError("roll back")
    assert await db.fetch_together(sql, "Sementara") == []


async def test_the_values_of_a_read(app: Litestar) -> None:
    # For a caller that wants tuples (the queue's rows): no dict made for nothing.
    answers = await asyncio.gather(
        db.fetch_together_values(_SERIES, 2, "x"), db.fetch_together_values(_SERIES, 0, "y")
    )
    assert answers[0] == (("n", "tag"), [(2, "x"), (1, "x")])
    assert answers[1][1] == []  # no rows (and the names only when a neighbour had some)


async def test_a_shared_read_asked_alike_is_read_once_and_each_gets_its_own_list(
    app: Litestar, statements: list[int]
) -> None:
    """`share=True` (a unit's queue, the admin list): requests asking the same values at the
    same moment get the rows of one read; the others still their own; each a list of its own."""
    shared = _SERIES + " -- shared"
    asked = [(2, "unit a")] * 6 + [(1, "unit b")] * 3 + [(3, "unit a")]
    answers = await asyncio.gather(
        *(db.fetch_together_values(shared, *args, share=True) for args in asked)
    )
    for (n, tag), (names, rows) in zip(asked, answers, strict=True):
        assert names == ("n", "tag") and rows == [(k, tag) for k in range(n, 0, -1)]
    # One statement, with one item per distinct pair of values.
    assert statements == [3]
    answers[0][1].clear()  # a caller's list is its own
    assert answers[1][1] == [(2, "unit a"), (1, "unit a")]
    # Not shared: one item per request, as before.
    statements.clear()
    await asyncio.gather(*(db.fetch_together_values(_SERIES, *args) for args in asked))
    assert statements == [len(asked)]
