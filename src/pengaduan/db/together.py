"""One statement for the same read that many requests of a worker ask at the same moment.

`fetch_together(sql, *args)` gives the rows `fetch(sql, *args)` gives, as dicts
(`fetch_together_values`: the column names and the rows as tuples). The requests
of a worker that ask the same SQL while a statement of it is on its way wait for it to end,
then go in one statement (grouped.Grouped, as the session lookups and the submissions do):
each parameter an array of their values, unnested, and `sql` run beside each row of them
(LATERAL). With no load nothing waits: a read goes at once, alone.

Why: a statement costs PostgreSQL and the worker far more than the reading it does. The
officer's complaint page at a million complaints, 2,000 times one after the other: 0.12 ms of
PostgreSQL and 0.07 ms of the worker per statement; ten in one statement, 0.035 and 0.015 ms
each. Under load each statement also wakes a backend and then the worker again. Loaded with
100 connections (bench/user_pages_load.py, median of two rounds), the page went from 9.4 %
of the ceiling to 17.0 %, and its p99 from 69 to 40 ms.

For the reads a page makes on every visit, looking rows up by key: the grouped statement is
planned once for all values (a generic plan), so not for a read whose best plan depends on
the values (a pattern, a search). A statement with an array parameter cannot be grouped
(unnest would flatten it), nor one with "$1" inside a string: its reads go alone, as
`fetch`'s do. A read's snapshot is taken after it was asked (a statement on its way when it
came is never joined): a request reads what it wrote.

Inside a transaction, or without the pool (the CLI, tests), a read goes alone at once (in the
grouped statement all the same), on the transaction's connection.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import asyncpg

from pengaduan.db.grouped import Grouped
from pengaduan.db.sql import fetch, with_connection

# At most this many requests' reads in one statement.
MOST = 50
# The SQL texts whose reads are grouped, per worker (the least recently asked forgotten).
KEPT = 256
# Each row's item (its place in the statement): the last column of the grouped statement.
ITEM = "grouped_item"
# The items' values (a1, a2, ... for $1, $2, ...) under a name no statement of ours uses (a
# table alias of the same name inside `sql` would hide them).
ITEMS = "grouped_items"

_PLACEHOLDER = re.compile(r"\$(\d+)")
# A string, or a comment (whose apostrophes start no string), whichever comes first.
_LITERAL = re.compile(r"'(?:[^']|'')*'|--[^\n]*")

Row = dict[str, Any]
# A read's column names and its rows' values in their order.
Values = tuple[tuple[str, ...], list[tuple[Any, ...]]]


class _Read:
    """A SQL text's group, and its grouped statement once its parameters' types are known."""

    __slots__ = ("alone", "group", "grouped_sql", "share", "sql")

    def __init__(self, sql: str, share: bool = False) -> None:
        self.sql = sql
        self.share = share
        self.grouped_sql: str | None = None
        self.alone = False  # an array parameter, or "$n" in a string: not to be grouped
        self.group: Grouped[tuple[Any, ...], Values] = Grouped(self._many, most=MOST)

    async def _many(self, items: list[tuple[Any, ...]]) -> Sequence[Values]:
        """Each item's column names and rows; with `share`, items asking the same values are
        read once (each given its own list of the same rows)."""
        if self.share:
            try:
                unique = list(dict.fromkeys(items))
            except TypeError:  # a value that cannot be compared so: each read
                unique = items
            if len(unique) < len(items):
                answers = dict(zip(unique, await self._each(unique), strict=True))
                return [(answers[item][0], list(answers[item][1])) for item in items]
        return await self._each(items)

    async def _each(self, items: list[tuple[Any, ...]]) -> Sequence[Values]:
        """Each item's column names and rows (tuples of values)."""
        # The parameters: each one's values in the items' order; without any, how many items.
        values = [list(column) for column in zip(*items, strict=True)] if items[0] else [len(items)]

        async def run(conn: asyncpg.Connection) -> list[Values]:
            if self.grouped_sql is None:
                self.grouped_sql = await grouped_sql(conn, self.sql)
                self.alone = self.grouped_sql == ""
            if self.alone:  # found out now: these few one by one
                return [as_values(await conn.fetch(self.sql, *item)) for item in items]
            rows = await conn.fetch(self.grouped_sql, *values)
            answers: list[list[tuple[Any, ...]]] = [[] for _ in items]
            for row in rows:
                answers[row[-1] - 1].append(row[:-1])  # the item's place is the last value
            names = tuple(rows[0].keys())[:-1] if rows else ()
            return [(names, answer) for answer in answers]

        return await with_connection(run)


def as_values(rows: list[asyncpg.Record]) -> Values:
    """`fetch`'s rows as `fetch_together_values` gives them: the names, and tuples."""
    return (tuple(rows[0].keys()) if rows else (), [tuple(row) for row in rows])


async def grouped_sql(conn: asyncpg.Connection, sql: str) -> str:
    """`sql` for many items at once: each parameter an array of the items' values (without
    parameters, one: how many items); each row of the answer ends with its item's place.
    "" when `sql` has an array parameter, or "$n" inside a string (which would be read as a
    placeholder)."""
    statement = await conn.prepare(sql)
    parameters = statement.get_parameters()
    if any(kind.kind == "array" for kind in parameters) or any(
        literal.startswith("'") and _PLACEHOLDER.search(literal)
        for literal in _LITERAL.findall(sql)
    ):
        return ""  # an array, or a "$1" inside a string: alone, as written
    # Each array behind a sub-select: its length unknown when planning, the custom plans
    # PostgreSQL tries first cost what a generic plan does, which it then keeps (planned for
    # the length given, every execution was planned anew).
    arrays = ", ".join(
        f'(SELECT ${number}::"{kind.schema}"."{kind.name}"[])'
        for number, kind in enumerate(parameters, 1)
    )
    names = ", ".join(f"a{number}" for number in range(1, len(parameters) + 1))
    source = (
        f"unnest({arrays}) WITH ORDINALITY AS {ITEMS}({names}, {ITEM})"
        if parameters
        else f"generate_series(1, (SELECT $1::int)) AS {ITEMS}({ITEM})"
    )
    body = _PLACEHOLDER.sub(lambda match: f"{ITEMS}.a{match.group(1)}", sql)
    # OFFSET 0 keeps `sql` a subquery run for each item in turn, its rows in its own order
    # (PostgreSQL would merge a simple one into the join, free to mix the items' rows).
    return (
        f"SELECT {ITEMS}_rows.*, {ITEMS}.{ITEM} FROM {source}\n"
        f"CROSS JOIN LATERAL (SELECT * FROM (\n{body}\n) AS one OFFSET 0) AS {ITEMS}_rows"
    )


_READS: OrderedDict[str, _Read] = OrderedDict()


def _read(sql: str, share: bool = False) -> _Read:
    read = _READS.get(sql)
    if read is None:
        read = _READS[sql] = _Read(sql, share)
        if len(_READS) > KEPT:
            _READS.popitem(last=False)
    else:
        _READS.move_to_end(sql)
    return read


async def fetch_together_values(sql: str, *args: Any, share: bool = False) -> Values:
    """The column names of `sql` with `args` and its rows as tuples of values (without rows,
    the names may be missing), read with whatever other requests of the worker ask of the
    same `sql` at the moment (see the module's text).

    `share`: requests asking the same values at the same moment get the rows of one read,
    for reads that many people make alike (a unit's queue, the admin list: after a change
    every open queue of the unit asks again at once). Not for a read of one person's own
    (one person does not ask it many times at once)."""
    read = _read(sql, share)
    if read.alone:
        return as_values(await fetch(sql, *args))
    return await read.group.run(args)


async def fetch_together(sql: str, *args: Any) -> list[Row]:
    """The rows of `sql` with `args`, as dicts: `fetch_together_values`'s."""
    names, rows = await fetch_together_values(sql, *args)
    return [dict(zip(names, row, strict=True)) for row in rows]
