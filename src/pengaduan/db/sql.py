"""The one way to run hand-written SQL: asyncpg with `$n` placeholders, on the connection of the
Piccolo transaction in progress when there is one. Piccolo's query builder is for writes and
single-table reads; SQL that reads several tables, or that was measured to matter, comes here.
`Where` builds a WHERE clause from optional filters; `escape_like` quotes a LIKE pattern;
`packed_sql` and `unpacked` read a row as one JSON text."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from pengaduan.db.engine import ENGINE, pinned_connection, pooled


async def with_connection(call: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
    """`call` on the transaction's connection, else the pinned one (`one_connection`), else
    one from the pool, else on a connection of its own (no pool: the CLI and tests)."""
    transaction = ENGINE.current_transaction.get()
    if transaction is not None:
        return await call(transaction.connection)
    pinned = pinned_connection()
    if pinned is not None:
        return await call(pinned)
    if ENGINE.pool is not None:
        async with pooled() as conn:
            return await call(conn)
    conn = await ENGINE.get_new_connection()
    try:
        return await call(conn)
    finally:
        await conn.close()


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    """The rows of `sql`. asyncpg keeps each statement prepared per connection, so after a few
    runs PostgreSQL no longer plans it either; for the reads every request makes this is
    cheaper than Piccolo's query building."""
    return await with_connection(lambda conn: conn.fetch(sql, *args))


async def fetch_planned(sql: str, *args: Any) -> list[asyncpg.Record]:
    """The rows of `sql`, planned for these very values. A statement kept prepared (`fetch`)
    is planned for its first runs' values, then once for any; this one is prepared for this
    call alone, as PostgreSQL's unnamed statement (the next one replaces it: nothing to
    close), so one round trip more than `fetch`. For a search, whose best plan depends on how
    common its word is: a rare word's matches read from its index, a common word's first ones
    by a scan that stops there."""

    async def run(conn: asyncpg.Connection) -> list[asyncpg.Record]:
        return await (await conn.prepare(sql, name="")).fetch(*args)

    return await with_connection(run)


async def fetchrow(sql: str, *args: Any) -> asyncpg.Record | None:
    """The first row of `sql`, or None."""
    return await with_connection(lambda conn: conn.fetchrow(sql, *args))


async def fetchval(sql: str, *args: Any) -> Any:
    """The first column of the first row of `sql`, or None."""
    return await with_connection(lambda conn: conn.fetchval(sql, *args))


async def execute(sql: str, *args: Any) -> str:
    """Run `sql` for its effect; PostgreSQL's status line (e.g. "UPDATE 3")."""
    return await with_connection(lambda conn: conn.execute(sql, *args))


# Lists count their matches up to here, then say "more than 1,000": an exact count of a wide
# filter over a million complaints costs more than the page it is shown on.
COUNT_CAP = 1000


def capped_count(select_sql: str, cap: int) -> str:
    """SQL counting the rows `select_sql` (a SELECT) returns, stopping one past `cap`: a
    result above `cap` means "more than `cap`"."""
    return f"SELECT count(*) AS n FROM ({select_sql} LIMIT {int(cap) + 1}) AS counted"


def packed_sql(alias: str, names: Sequence[str]) -> str:
    """SQL for the columns `names` of `alias` as one JSON text (an array in their order).

    For a list whose rows are kept rendered per process (the admin complaint list, My
    complaints): the worker reads one value instead of a dozen, and the text is the row's key,
    one string to hash (the same text is the same row). `unpacked` reads it when a row is
    rendered anew."""
    return f"json_build_array({', '.join(f'{alias}.{name}' for name in names)})::text"


def unpacked(text: str, names: Sequence[str], timestamps: Collection[str] = ()) -> dict[str, Any]:
    """A `packed_sql` text's values by name, as asyncpg would give the columns: the names in
    `timestamps` (timestamptz, ISO text in JSON) are aware datetimes again."""
    row = dict(zip(names, json.loads(text), strict=True))
    for name in timestamps:
        if row[name] is not None:
            row[name] = datetime.fromisoformat(row[name])
    return row


def escape_like(text: str) -> str:
    """`text` as a LIKE/ILIKE pattern that matches only itself (backslash is the escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Where:
    """A WHERE clause built from conditions that apply or not, with `$n` placeholders.

    Each `add` takes SQL with one `{}` per value; values are numbered in the order added,
    after `first` values the query already uses (a LIMIT, say), so the same clause can be
    used in several statements of one query with each value passed once:

        where = Where()
        if unit: where.add("c.unit = {}", unit)
        where.add("c.status = ANY({})", list(statuses))
        rows = await fetch(f"SELECT ... FROM complaints c {where} ORDER BY ...", *where.args)
    """

    def __init__(self, *, first: int = 0) -> None:
        self._first = first
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def param(self, value: Any) -> str:
        """A placeholder for `value`, for SQL outside the conditions (a CASE, say). Not for a
        page's LIMIT and OFFSET: as parameters they can make PostgreSQL plan the statement
        anew on every execution; written in as integers, it keeps one generic plan (see
        tests/integration/test_generic_plans.py)."""
        self.args.append(value)
        return f"${self._first + len(self.args)}"

    def add(self, sql: str, *values: Any) -> Where:
        parts = sql.split("{}")
        if len(parts) != len(values) + 1:
            raise ValueError(f"{len(values)} values for {len(parts) - 1} placeholders: {sql}")
        out = parts[0]
        for value, part in zip(values, parts[1:], strict=True):
            out += self.param(value) + part
        self.conditions.append(out)
        return self

    @property
    def sql(self) -> str:
        """The conditions joined by AND ("true" when there are none)."""
        return " AND ".join(f"({c})" for c in self.conditions) if self.conditions else "true"

    def __str__(self) -> str:
        return f"WHERE {self.sql}"
