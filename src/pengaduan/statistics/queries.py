"""The statistics' SQL: each figure's statement, built for a filter, and running them at once.

Counts come from the daily aggregate (`complaint_daily`, kept by triggers); what depends on
the clock (overdue now, resolved this month) comes from the complaints through indexes that
hold just what they need (migration 2026-12-02T14:00). Medians are exact (what PostgreSQL's
percentile_cont over every complaint in the filter gives, never a median of daily medians):
the aggregate counts the times per bucket, and the middle row is read from an index in order
of the time, entered at the right bucket (see `median_sql`).

Each builder gives (sql, args) with `$n` placeholders; `run_all` runs them each on a
connection of its own, at the same time (a page costs the slowest of them, not their sum).
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from pengaduan import db
from pengaduan.complaints import statuses
from pengaduan.statistics.filters import StatsFilters, midnight, month_start

Query = tuple[str, list[Any]]

# The distribution of resolution times: upper bounds in hours (the last bucket is open).
RESOLUTION_BUCKETS = (24, 72, 168, 336, 720)
# Their counts in the daily aggregate (migration 2026-12-02T14:00), the last one open.
BUCKET_COLUMNS = (
    "resolved_1d",
    "resolved_3d",
    "resolved_7d",
    "resolved_14d",
    "resolved_30d",
    "resolved_more",
)
# What the aggregate per day sums (the chart over time and, summed, the cards).
DAILY_SUMS = (
    "complaints",
    "resolved",
    "resolved_on_time",
    "rating_sum",
    "rating_count",
    *BUCKET_COLUMNS,
)

# What the public figures count: public complaints the reporter did not withdraw, as the
# archive shows them (archive.services.PUBLIC) and the home page counts them. Withdrawn ones
# were counted here and not there (issue 18: "34 reports" at home, 37 on /transparansi).
PUBLIC_WITHDRAWN = "withdrawn"


def scope(
    where: db.Where,
    filters: StatsFilters,
    public_only: bool,
    prefix: str = "",
    withdrawn_possible: bool = True,
) -> None:
    """The unit, category and public conditions. `withdrawn_possible` False: the query's own
    condition already leaves withdrawn complaints out (resolved, or open), and a status term
    would cost the index-only scans of the rows' indexes (they do not hold the status)."""
    if filters.unit:
        where.add(f"{prefix}unit = {{}}", filters.unit)
    if filters.category:
        where.add(f"{prefix}category = {{}}", filters.category)
    if public_only:
        where.add(f"{prefix}is_public")
        if withdrawn_possible:
            where.add(f"{prefix}status <> {{}}", PUBLIC_WITHDRAWN)


def aggregate_where(
    filters: StatsFilters, start: date | None, end: date, public_only: bool, *, first: int = 0
) -> db.Where:
    """The conditions on the daily aggregate's rows for a view (its values numbered after
    `first` values the statement already has)."""
    where = db.Where(first=first)
    if start is not None:
        where.add("day >= {}", start)
    where.add("day < {}", end)
    scope(where, filters, public_only)
    return where


def rows_where(
    filters: StatsFilters,
    start: date | None,
    end: date,
    public_only: bool,
    prefix: str = "",
    withdrawn_possible: bool = True,
    *,
    first: int = 0,
) -> db.Where:
    """The conditions on complaints for a view (submitted in the period, and in scope)."""
    where = db.Where(first=first)
    if start is not None:
        where.add(f"{prefix}submitted_at >= {{}}", midnight(start))
    where.add(f"{prefix}submitted_at < {{}}", midnight(end))
    scope(where, filters, public_only, prefix, withdrawn_possible)
    return where


def daily_sql(filters: StatsFilters, start: date | None, end: date, public_only: bool) -> Query:
    """The aggregate per day (the chart over time and, summed, the cards): a single hash
    aggregate, several times faster than grouping sets over the same rows (measured)."""
    where = aggregate_where(filters, start, end, public_only)
    sums = ", ".join(f"sum({name})::bigint AS {name}" for name in DAILY_SUMS)
    return f"SELECT day, {sums} FROM complaint_daily WHERE {where.sql} GROUP BY day", where.args


def dimensions_sql(
    filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> Query:
    """The aggregate per unit, category, status and officer (a few hundred rows), rolled up
    in Python into every chart and table that groups by them."""
    where = aggregate_where(filters, start, end, public_only)
    return (
        "SELECT unit, category, status, officer, sum(complaints)::bigint AS n,"
        " sum(resolved)::bigint AS resolved, sum(resolved_on_time)::bigint AS on_time"
        f" FROM complaint_daily WHERE {where.sql} GROUP BY unit, category, status, officer",
        where.args,
    )


def overdue_sql(filters: StatsFilters, start: date | None, end: date, public_only: bool) -> Query:
    """Open complaints past their due time: in all, per unit and per officer."""
    where = rows_where(filters, start, end, public_only, withdrawn_possible=False)
    sql = f"""
SELECT unit, officer, GROUPING(unit, officer) AS mask, count(*) AS n
FROM complaints WHERE status IN ({statuses.OPEN_SQL}) AND due_at < now() AND {where.sql}
GROUP BY GROUPING SETS ((unit), (officer), ())
"""
    return sql, where.args


# What a median measures: the time, whether a complaint has it, and the aggregate's buckets
# of it (column, lower bound in hours; the first bucket has none), in order.
MEDIANS = {
    "resolve": (
        "resolved_at - submitted_at",
        "resolved_at IS NOT NULL",
        tuple(zip(BUCKET_COLUMNS, (None, *RESOLUTION_BUCKETS), strict=True)),
    ),
    "first_response": (
        "first_response_at - submitted_at",
        "first_response_at IS NOT NULL",
        (
            ("responded_4h", None),
            ("responded_12h", 4),
            ("responded_1d", 12),
            ("responded_2d", 24),
            ("responded_more", 48),
        ),
    ),
}
_NO_LOWER_BOUND = -1_000_000  # hours: before any time a complaint can have
_NO_UPPER_BOUND = 1_000_000_000  # hours: after any time a complaint can have


def _pick_sql(buckets: tuple[tuple[str, int | None], ...], aggregate: str, group: str) -> str:
    """CTEs `counts`, `spans` and `pick`: per group (or once), how many complaints have the time
    (n, and whether it is even), and the two ways to the middle one (or two) in an index in
    order of the time: up from the lower bound of the bucket that holds the lower middle one
    (`skip_up` rows in), or down from the upper bound of the bucket that holds the upper middle
    one (`skip_down` rows in). The walk takes the shorter (`up`): at most half a bucket."""
    counts = ", ".join(f"coalesce(sum({column}), 0)" for column, _lower in buckets)
    bounds = [_NO_LOWER_BOUND if lower is None else lower for _c, lower in buckets]
    lowers = ", ".join(str(bound) for bound in bounds)
    uppers = ", ".join(str(bound) for bound in [*bounds[1:], _NO_UPPER_BOUND])
    selected = f"{group}, " if group else ""
    grouped = f" GROUP BY {group}" if group else ""
    same = f" AND hi.{group} = lo.{group}" if group else ""
    return f"""counts AS (
    SELECT {selected}ARRAY[{counts}]::bigint[] AS c FROM complaint_daily WHERE {aggregate}{grouped}
), spans AS (
    SELECT {selected}t.n, (t.n - 1) / 2 AS k, (t.n - 1) / 2 + (1 - t.n % 2) AS top, b.i,
           counts.c[b.i] AS size,
           coalesce((SELECT sum(counts.c[j]) FROM generate_series(1, b.i - 1) AS j), 0)::bigint
               AS below
    FROM counts
    CROSS JOIN LATERAL (SELECT sum(x)::bigint AS n FROM unnest(counts.c) AS x) AS t
    CROSS JOIN LATERAL generate_subscripts(counts.c, 1) AS b(i)
    WHERE t.n > 0
), pick AS (
    SELECT {"lo." + group + ", " if group else ""}lo.n, lo.n % 2 = 0 AS even,
           make_interval(hours => (ARRAY[{lowers}])[lo.i]) AS lower_bound,
           make_interval(hours => (ARRAY[{uppers}])[hi.i]) AS upper_bound,
           lo.k - lo.below AS skip_up, hi.below + hi.size - 1 - hi.top AS skip_down,
           lo.k - lo.below <= hi.below + hi.size - 1 - hi.top AS up
    FROM spans lo JOIN spans hi ON hi.below <= hi.top AND hi.below + hi.size > hi.top{same}
    WHERE lo.below <= lo.k AND lo.below + lo.size > lo.k
)"""


def median_sql(
    kind: str, filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> Query:
    """The exact median (as percentile_cont(0.5)) without sorting. The aggregate counts the
    complaints that have the time (n) per bucket of it; an index in order of the time, entered
    at the bucket that holds the middle, gives the middle one (odd n) or the middle two (even
    n: the second may lie in the next bucket, which the walk simply reaches), whose mean is
    the median. The walk goes up from the bucket's lower bound or down from its upper one,
    whichever is shorter (only one of the two branches runs). One statement: the counts and
    the walk see the same snapshot."""
    expr, present, buckets = MEDIANS[kind]
    aggregate = aggregate_where(filters, start, end, public_only)
    # A reply may answer a pending complaint that is then withdrawn; nothing withdrawn is
    # ever resolved (withdrawal is from pending only).
    rows = rows_where(
        filters,
        start,
        end,
        public_only,
        withdrawn_possible=kind == "first_response",
        first=len(aggregate.args),
    )
    walk = (
        f"SELECT extract(epoch FROM {expr})::float8 AS v FROM complaints"
        f" WHERE {present} AND {rows.sql}"
    )
    take = "LIMIT (SELECT CASE WHEN even THEN 2 ELSE 1 END FROM pick)"
    sql = f"""
WITH {_pick_sql(buckets, aggregate.sql, "")}
({walk} AND {expr} >= (SELECT lower_bound FROM pick) AND (SELECT up FROM pick)
 ORDER BY {expr} OFFSET (SELECT skip_up FROM pick) {take})
UNION ALL
({walk} AND {expr} < (SELECT upper_bound FROM pick) AND NOT (SELECT up FROM pick)
 ORDER BY {expr} DESC OFFSET (SELECT skip_down FROM pick) {take})
"""
    return sql, [*aggregate.args, *rows.args]


def unit_medians_sql(
    filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> Query:
    """The median time to resolve of each unit, the same way (walking the unit's part of the
    index complaints_stats_unit_resolve_time, up or down)."""
    _expr, _present, buckets = MEDIANS["resolve"]
    aggregate = aggregate_where(filters, start, end, public_only)
    rows = rows_where(
        filters,
        start,
        end,
        public_only,
        prefix="c.",
        withdrawn_possible=False,
        first=len(aggregate.args),
    )
    expr = "c.resolved_at - c.submitted_at"
    walk = (
        f"SELECT extract(epoch FROM {expr})::float8 AS v FROM complaints c"
        f" WHERE c.resolved_at IS NOT NULL AND c.unit = pick.unit AND {rows.sql}"
    )
    take = "LIMIT CASE WHEN pick.even THEN 2 ELSE 1 END"
    sql = f"""
WITH {_pick_sql(buckets, aggregate.sql, "unit")}
SELECT pick.unit, m.v FROM pick CROSS JOIN LATERAL (
    ({walk} AND {expr} >= pick.lower_bound AND pick.up
     ORDER BY {expr} OFFSET pick.skip_up {take})
    UNION ALL
    ({walk} AND {expr} < pick.upper_bound AND NOT pick.up
     ORDER BY {expr} DESC OFFSET pick.skip_down {take})
) AS m
"""
    return sql, [*aggregate.args, *rows.args]


# A median not asked for (no rows).
NOTHING: Query = ("SELECT NULL::float8 AS v WHERE false", [])


def median(rows: list[Any]) -> float | None:
    """The median from what a median query gave (the middle value, or the middle two)."""
    values = [row["v"] for row in rows]
    return sum(values) / len(values) if values else None


def resolved_this_month_sql(filters: StatsFilters, today: date, public_only: bool) -> Query:
    where = db.Where()
    where.add("resolved_at >= {}", midnight(month_start(today)))
    scope(where, filters, public_only, withdrawn_possible=False)
    return (
        f"SELECT count(*) AS n FROM complaints WHERE resolved_at IS NOT NULL AND {where.sql}",
        where.args,
    )


NAMES_SQL = """
SELECT 'unit' AS kind, id, name, '' AS icon, 0 AS unit FROM units
UNION ALL SELECT 'category', id, name, icon, default_unit FROM categories
"""
OFFICERS_SQL = """
SELECT id, full_name AS name, unit FROM users
WHERE role = 'officer' AND is_active AND ($1::int IS NULL OR unit = $1) ORDER BY full_name
"""


async def run_all(*queries: Query) -> list[list[Any]]:
    """The queries at once, each on a pool connection of its own (one after the other on one
    connection inside a transaction or without a pool)."""
    if db.ENGINE.pool is None or db.ENGINE.current_transaction.get() is not None:
        return [await db.fetch(sql, *args) for sql, args in queries]
    return list(await asyncio.gather(*(db.fetch(sql, *args) for sql, args in queries)))


async def rebuild() -> int:
    """Recount the daily aggregate from the complaints (rows written). Writers to complaints
    and ratings wait meanwhile (seconds for a million complaints). Without a pool (the
    command line) it runs on a connection of its own."""
    return int(await db.fetchval("SELECT complaint_daily_rebuild() AS n"))
