"""The figures: cards, chart series and tables over complaints, for admins and for the public.

Counts come from the daily aggregate (`complaint_daily`, kept by triggers); what depends on
the clock (overdue now, resolved this month) comes from the complaints through indexes that
hold just what they need (migration 2026-12-02T14:00). Medians are exact (what PostgreSQL's
percentile_cont over every complaint in the filter gives, never a median of daily medians):
the aggregate counts the times per bucket, and the middle row is read from an index in order
of the time, entered at the right bucket (see `_median_sql`). Every figure is about complaints submitted in the chosen period, except
"resolved this month" (resolutions in the current calendar month).

Each query runs on a connection of its own, at the same time (the page costs the slowest
of them, not their sum).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from pengaduan import db
from pengaduan.complaints.tables import OPEN_STATUSES, STATUSES
from pengaduan.i18n import _
from pengaduan.web.values import date_message, day, record_id, shown

JAKARTA = ZoneInfo("Asia/Jakarta")
PERIODS = ("7", "30", "90", "365", "month", "last_month", "year", "all", "custom")
DEFAULT_PERIOD = "30"
# The transparency page offers fewer choices (and so fewer cached views).
PUBLIC_PERIODS = ("30", "365", "year", "all")
PUBLIC_DEFAULT = "365"
INTERVALS = ("day", "week", "month")
MAX_BUCKETS = 120
_OPEN_SQL = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
# The distribution of resolution times: upper bounds in hours (the last bucket is open).
RESOLUTION_BUCKETS = (24, 72, 168, 336, 720)
# Their counts in the daily aggregate (migration 2026-12-02T14:00), the last one open.
_BUCKET_COLUMNS = (
    "resolved_1d",
    "resolved_3d",
    "resolved_7d",
    "resolved_14d",
    "resolved_30d",
    "resolved_more",
)


def period_labels() -> dict[str, str]:
    return {
        "7": _("Last 7 days"),
        "30": _("Last 30 days"),
        "90": _("Last 90 days"),
        "365": _("Last 12 months"),
        "month": _("This month"),
        "last_month": _("Last month"),
        "year": _("This year"),
        "all": _("All time"),
        "custom": _("Dates of my choice"),
    }


def interval_labels() -> dict[str, str]:
    return {"": _("Automatic"), "day": _("Per day"), "week": _("Per week"), "month": _("Per month")}


def today_in_jakarta() -> date:
    return datetime.now(JAKARTA).date()


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class StatsFilters:
    """What the statistics are about, as it travels in the URL."""

    period: str = DEFAULT_PERIOD
    date_from: str = ""  # YYYY-MM-DD (days in Asia/Jakarta), with period "custom"
    date_to: str = ""  # inclusive
    unit: int | None = None
    category: int | None = None
    interval: str = ""  # "" = chosen from the length of the period
    errors: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> StatsFilters:
        """Filters from a query string. Unknown values fall back to the defaults; wrong dates
        are kept as typed, with a message, and the default period is shown meanwhile."""
        period = params.get("period", "") or DEFAULT_PERIOD
        interval = params.get("interval", "")
        filters = cls(
            period=period if period in PERIODS else DEFAULT_PERIOD,
            date_from=shown(params.get("from", "")).strip()[:20],
            date_to=shown(params.get("to", "")).strip()[:20],
            unit=record_id(params.get("unit")),
            category=record_id(params.get("category")),
            interval=interval if interval in INTERVALS else "",
        )
        if filters.period != "custom":
            return filters
        errors: dict[str, str] = {}
        parsed: dict[str, date] = {}
        for name, value in (("from", filters.date_from), ("to", filters.date_to)):
            typed = day(value)
            if typed is None:
                errors[name] = date_message()
            else:
                parsed[name] = typed
        if not errors and parsed["from"] > parsed["to"]:
            errors["to"] = _("The end date is before the start date.")
        return replace(filters, errors=errors)

    def query_string(self, **changes: Any) -> str:
        values = replace(self, **changes)
        pairs = {
            "period": values.period if values.period != DEFAULT_PERIOD else "",
            "from": values.date_from if values.period == "custom" else "",
            "to": values.date_to if values.period == "custom" else "",
            "unit": values.unit or "",
            "category": values.category or "",
            "interval": values.interval,
        }
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})

    def days(self, today: date | None = None) -> tuple[date | None, date]:
        """The period as days [start, end) in Asia/Jakarta; start None = from the beginning."""
        today = today or today_in_jakarta()
        tomorrow = today + timedelta(days=1)
        period = DEFAULT_PERIOD if self.period == "custom" and self.errors else self.period
        if period.isdigit():
            return tomorrow - timedelta(days=int(period)), tomorrow
        if period == "month":
            return _month_start(today), tomorrow
        if period == "last_month":
            end = _month_start(today)
            return _month_start(end - timedelta(days=1)), end
        if period == "year":
            return today.replace(month=1, day=1), tomorrow
        if period == "custom":
            return (
                date.fromisoformat(self.date_from),
                date.fromisoformat(self.date_to) + timedelta(days=1),
            )
        return None, tomorrow

    def bucket_interval(self, start: date, end: date) -> str:
        """Day, week or month: as chosen, else by the period's length; never more than
        MAX_BUCKETS bars."""
        length = (end - start).days
        interval = self.interval or (
            "day" if length <= 31 else "week" if length <= 182 else "month"
        )
        if interval == "day" and length > MAX_BUCKETS:
            interval = "week"
        if interval == "week" and length > MAX_BUCKETS * 7:
            interval = "month"
        return interval


def month_range(month: str) -> tuple[date, date] | None:
    """A month typed as YYYY-MM: its first day and the first day of the next one."""
    start = day(f"{month.strip()}-01")
    return None if start is None else (start, _next_month(start))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=JAKARTA)


class _Where:
    """A WHERE clause with asyncpg placeholders."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, sql: str, *values: Any) -> None:
        for value in values:
            self.args.append(value)
            sql = sql.replace("{}", f"${len(self.args)}", 1)
        self.clauses.append(sql)

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "true"


# What the public figures count: public complaints the reporter did not withdraw, as the
# archive shows them (archive.services.PUBLIC) and the home page counts them. Withdrawn ones
# were counted here and not there (issue 18: "34 reports" at home, 37 on /transparansi).
PUBLIC_WITHDRAWN = "withdrawn"


def _scope(
    where: _Where,
    filters: StatsFilters,
    public_only: bool,
    prefix: str = "",
    withdrawn_possible: bool = True,
) -> None:
    """`withdrawn_possible` False: the query's own condition already leaves withdrawn
    complaints out (resolved, or open), and a status term would cost the index-only scans of
    the rows' indexes (they do not hold the status)."""
    if filters.unit:
        where.add(f"{prefix}unit = {{}}", filters.unit)
    if filters.category:
        where.add(f"{prefix}category = {{}}", filters.category)
    if public_only:
        where.add(f"{prefix}is_public")
        if withdrawn_possible:
            where.add(f"{prefix}status <> {{}}", PUBLIC_WITHDRAWN)


_DAILY_SUMS = (
    "complaints",
    "resolved",
    "resolved_on_time",
    "rating_sum",
    "rating_count",
    *_BUCKET_COLUMNS,
)


def _daily_sql(
    filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> tuple[str, list[Any]]:
    """The aggregate per day (the chart over time and, summed, the cards): a single hash
    aggregate, several times faster than grouping sets over the same rows (measured)."""
    where = _Where()
    sql = _aggregate_where(where, filters, start, end, public_only)
    sums = ", ".join(f"sum({name})::bigint AS {name}" for name in _DAILY_SUMS)
    return f"SELECT day, {sums} FROM complaint_daily WHERE {sql} GROUP BY day", where.args


def _dimensions_sql(
    filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> tuple[str, list[Any]]:
    """The aggregate per unit, category, status and officer (a few hundred rows), rolled up
    in Python into every chart and table that groups by them."""
    where = _Where()
    sql = _aggregate_where(where, filters, start, end, public_only)
    return (
        "SELECT unit, category, status, officer, sum(complaints)::bigint AS n,"
        " sum(resolved)::bigint AS resolved, sum(resolved_on_time)::bigint AS on_time"
        f" FROM complaint_daily WHERE {sql} GROUP BY unit, category, status, officer",
        where.args,
    )


def _bucket_of(day: date, interval: str) -> date:
    if interval == "month":
        return day.replace(day=1)
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day


def _rollup(daily: list[Any], dimensions: list[Any], interval: str) -> dict[str, Any]:
    """The groupings the figures need, from the two aggregate queries."""
    total = dict.fromkeys(_DAILY_SUMS, 0)
    buckets: dict[date, int] = {}
    for row in daily:
        for name in _DAILY_SUMS:
            total[name] += int(row[name] or 0)
        bucket = _bucket_of(row["day"], interval)
        buckets[bucket] = buckets.get(bucket, 0) + int(row["complaints"] or 0)

    def add(into: dict[Any, dict[str, int]], key: Any, row: Any) -> None:
        sums = into.setdefault(key, {"n": 0, "resolved": 0, "on_time": 0})
        sums["n"] += int(row["n"] or 0)
        sums["resolved"] += int(row["resolved"] or 0)
        sums["on_time"] += int(row["on_time"] or 0)

    groups: dict[str, dict[Any, dict[str, int]]] = {
        name: {} for name in ("unit", "category", "status", "unit_status", "officer_status")
    }
    for row in dimensions:
        add(groups["unit"], row["unit"], row)
        add(groups["category"], row["category"], row)
        add(groups["status"], row["status"], row)
        add(groups["unit_status"], (row["unit"], row["status"]), row)
        add(groups["officer_status"], (row["officer"], row["status"]), row)
    return {"total": total, "buckets": buckets, **groups}


def _overdue_sql(
    filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> tuple[str, list[Any]]:
    where = _Where()
    rows = _rows_where(where, filters, start, end, public_only, withdrawn_possible=False)
    sql = f"""
SELECT unit, officer, GROUPING(unit, officer) AS mask, count(*) AS n
FROM complaints WHERE status IN ({_OPEN_SQL}) AND due_at < now() AND {rows}
GROUP BY GROUPING SETS ((unit), (officer), ())
"""
    return sql, where.args


def _aggregate_where(
    where: _Where, filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> str:
    where.clauses = []
    if start is not None:
        where.add("day >= {}", start)
    where.add("day < {}", end)
    _scope(where, filters, public_only)
    return where.sql


def _rows_where(
    where: _Where,
    filters: StatsFilters,
    start: date | None,
    end: date,
    public_only: bool,
    prefix: str = "",
    withdrawn_possible: bool = True,
) -> str:
    where.clauses = []
    if start is not None:
        where.add(f"{prefix}submitted_at >= {{}}", _midnight(start))
    where.add(f"{prefix}submitted_at < {{}}", _midnight(end))
    _scope(where, filters, public_only, prefix, withdrawn_possible)
    return where.sql


# What a median measures: the time, whether a complaint has it, and the aggregate's buckets
# of it (column, lower bound in hours; the first bucket has none), in order.
_MEDIANS = {
    "resolve": (
        "resolved_at - submitted_at",
        "resolved_at IS NOT NULL",
        tuple(zip(_BUCKET_COLUMNS, (None, *RESOLUTION_BUCKETS), strict=True)),
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


def _pick_sql(buckets: tuple[tuple[str, int | None], ...], aggregate: str, group: str) -> str:
    """CTEs `counts` and `pick`: per group (or once), how many complaints have the time (n),
    the offset of the lower middle one (k), the bucket it falls in (its lower bound in hours)
    and how many lie in the buckets before it (below)."""
    counts = ", ".join(f"coalesce(sum({column}), 0)" for column, _lower in buckets)
    lowers = ", ".join(str(_NO_LOWER_BOUND if lower is None else lower) for _c, lower in buckets)
    selected = f"{group}, " if group else ""
    grouped = f" GROUP BY {group}" if group else ""
    return f"""counts AS (
    SELECT {selected}ARRAY[{counts}]::bigint[] AS c FROM complaint_daily WHERE {aggregate}{grouped}
), pick AS (
    SELECT {selected}t.n, (t.n - 1) / 2 AS k, b.below,
           make_interval(hours => (ARRAY[{lowers}])[b.i]) AS lower_bound
    FROM counts
    CROSS JOIN LATERAL (SELECT sum(x)::bigint AS n FROM unnest(counts.c) AS x) AS t
    CROSS JOIN LATERAL (
        SELECT i, coalesce((SELECT sum(counts.c[j]) FROM generate_series(1, i - 1) AS j), 0)
                  ::bigint AS below
        FROM generate_subscripts(counts.c, 1) AS i
    ) AS b
    WHERE t.n > 0 AND b.below <= (t.n - 1) / 2 AND b.below + counts.c[b.i] > (t.n - 1) / 2
)"""


def _median_sql(
    kind: str, filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> tuple[str, list[Any]]:
    """The exact median (as percentile_cont(0.5)) without sorting. The aggregate counts the
    complaints that have the time (n) per bucket of it; an index in order of the time, entered
    at the bucket that holds the middle, gives the middle one (odd n) or the middle two (even
    n: the second may lie in the next bucket, which the walk simply reaches), whose mean is
    the median. One statement: the counts and the walk see the same snapshot."""
    expr, present, buckets = _MEDIANS[kind]
    where = _Where()
    aggregate = _aggregate_where(where, filters, start, end, public_only)
    # A reply may answer a pending complaint that is then withdrawn; nothing withdrawn is
    # ever resolved (withdrawal is from pending only).
    rows = _rows_where(
        where, filters, start, end, public_only, withdrawn_possible=kind == "first_response"
    )
    sql = f"""
WITH {_pick_sql(buckets, aggregate, "")}
SELECT extract(epoch FROM {expr})::float8 AS v FROM complaints
WHERE {present} AND {rows} AND {expr} >= (SELECT lower_bound FROM pick)
ORDER BY {expr}
OFFSET (SELECT k - below FROM pick)
LIMIT (SELECT CASE WHEN n % 2 = 0 THEN 2 ELSE 1 END FROM pick)
"""
    return sql, where.args


def _unit_medians_sql(
    filters: StatsFilters, start: date | None, end: date, public_only: bool
) -> tuple[str, list[Any]]:
    """The median time to resolve of each unit, the same way (walking the unit's part of the
    index complaints_stats_unit_resolve_time)."""
    _expr, _present, buckets = _MEDIANS["resolve"]
    where = _Where()
    aggregate = _aggregate_where(where, filters, start, end, public_only)
    rows = _rows_where(
        where, filters, start, end, public_only, prefix="c.", withdrawn_possible=False
    )
    sql = f"""
WITH {_pick_sql(buckets, aggregate, "unit")}
SELECT pick.unit, m.v FROM pick CROSS JOIN LATERAL (
    SELECT extract(epoch FROM c.resolved_at - c.submitted_at)::float8 AS v FROM complaints c
    WHERE c.resolved_at IS NOT NULL AND c.unit = pick.unit AND {rows}
      AND c.resolved_at - c.submitted_at >= pick.lower_bound
    ORDER BY c.resolved_at - c.submitted_at
    OFFSET pick.k - pick.below LIMIT CASE WHEN pick.n % 2 = 0 THEN 2 ELSE 1 END
) AS m
"""
    return sql, where.args


_NOTHING: tuple[str, list[Any]] = ("SELECT NULL::float8 AS v WHERE false", [])


def _median(rows: list[Any]) -> float | None:
    values = [row["v"] for row in rows]
    return sum(values) / len(values) if values else None


def _resolved_this_month_sql(
    filters: StatsFilters, today: date, public_only: bool
) -> tuple[str, list[Any]]:
    where = _Where()
    where.add("resolved_at >= {}", _midnight(_month_start(today)))
    _scope(where, filters, public_only, withdrawn_possible=False)
    return f"SELECT count(*) AS n FROM complaints WHERE resolved_at IS NOT NULL AND {where.sql}", (
        where.args
    )


async def public_status_counts(today: date | None = None) -> dict[str, int]:
    """The public complaints in each status, all time, from the daily aggregate as the
    transparency page counts them (the home page shows these; no scan of complaints)."""
    tomorrow = (today or today_in_jakarta()) + timedelta(days=1)
    where = _Where()
    sql = _aggregate_where(where, StatsFilters(period="all"), None, tomorrow, public_only=True)
    rows = await db.fetch(
        "SELECT status, sum(complaints)::bigint AS n FROM complaint_daily"
        f" WHERE {sql} GROUP BY status",
        *where.args,
    )
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({row["status"]: int(row["n"] or 0) for row in rows})
    counts.pop(PUBLIC_WITHDRAWN, None)
    return counts


NAMES_SQL = """
SELECT 'unit' AS kind, id, name, '' AS icon, 0 AS unit FROM units
UNION ALL SELECT 'category', id, name, icon, default_unit FROM categories
"""
OFFICERS_SQL = """
SELECT id, full_name AS name, unit FROM users
WHERE role = 'officer' AND is_active AND ($1::int IS NULL OR unit = $1) ORDER BY full_name
"""


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """Everything one statistics view shows (plain data; the templates format it)."""

    filters: StatsFilters
    start: date | None
    end: date
    interval: str
    cards: dict[str, Any]
    over_time: list[dict[str, Any]]
    by_category: list[dict[str, Any]]
    by_unit: list[dict[str, Any]]
    by_status: list[dict[str, Any]]
    resolution_times: list[dict[str, Any]]
    unit_ranking: list[dict[str, Any]]
    officers: list[dict[str, Any]]
    seconds: float = 0.0

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


async def _all(*queries: tuple[str, list[Any]]) -> list[list[Any]]:
    """The queries at once, each on a pool connection of its own (one after the other on one
    connection inside a transaction or without a pool)."""
    if db.ENGINE.pool is None or db.ENGINE.current_transaction.get() is not None:
        return [await db.fetch(sql, *args) for sql, args in queries]
    return list(await asyncio.gather(*(db.fetch(sql, *args) for sql, args in queries)))


def _buckets(start: date | None, end: date, interval: str, found: dict[date, int]) -> list[date]:
    """Every bucket of the period, also those without complaints."""
    if start is None:
        if not found:
            return []
        start = min(found)
    first = start
    if interval == "month":
        first = _month_start(start)
    elif interval == "week":
        first = start - timedelta(days=start.weekday())
    days: list[date] = []
    current = first
    while current < end and len(days) <= MAX_BUCKETS * 31:
        days.append(current)
        if interval == "month":
            current = _next_month(current)
        else:
            current += timedelta(days=7 if interval == "week" else 1)
    return days


async def figures(
    filters: StatsFilters, *, public_only: bool = False, today: date | None = None
) -> Figures:
    """The figures for `filters`; with `public_only`, public complaints only and nothing
    about officers."""
    started = time.perf_counter()
    today = today or today_in_jakarta()
    start, end = filters.days(today)
    span_start = start or date(today.year - 1, today.month, 1)
    interval = filters.bucket_interval(span_start, end) if start else (filters.interval or "month")
    if start is None and interval == "day":
        interval = "week"
    queries = [
        _daily_sql(filters, start, end, public_only),
        _dimensions_sql(filters, start, end, public_only),
        _overdue_sql(filters, start, end, public_only),
        _resolved_this_month_sql(filters, today, public_only),
        (NAMES_SQL, []),
        # The public page shows no time to first response: not computed for it (a withdrawn
        # complaint may have one, and leaving those out would cost the index-only walk).
        _NOTHING if public_only else _median_sql("first_response", filters, start, end, False),
        _median_sql("resolve", filters, start, end, public_only),
        _unit_medians_sql(filters, start, end, public_only),
    ]
    if not public_only:
        queries.append((OFFICERS_SQL, [filters.unit]))
    results = await _all(*queries)
    daily, dimensions, overdue_rows, resolved_month, names = results[:5]
    first_response_rows, resolve_rows, unit_median_rows = results[5:8]
    officer_rows = results[8] if not public_only else []

    groups = _rollup(daily, dimensions, interval)
    total_row = groups["total"]
    total = total_row["complaints"]
    resolved = total_row["resolved"]
    on_time = total_row["resolved_on_time"]
    rating_sum = total_row["rating_sum"]
    rating_count = total_row["rating_count"]
    status_counts = {status: sums["n"] for status, sums in groups["status"].items()}

    overdue_total = 0
    overdue_unit: dict[int, int] = {}
    overdue_officer: dict[int, int] = {}
    for row in overdue_rows:
        if row["mask"] == 0b11:
            overdue_total = int(row["n"])
        elif row["mask"] == 0b01:
            overdue_unit[row["unit"]] = int(row["n"])
        elif row["officer"] is not None:
            overdue_officer[row["officer"]] = int(row["n"])

    unit_values: dict[int, list[Any]] = {}
    for row in unit_median_rows:
        unit_values.setdefault(row["unit"], []).append(row)
    unit_medians = {unit: _median(rows) for unit, rows in unit_values.items()}

    unit_names = {r["id"]: r["name"] for r in names if r["kind"] == "unit"}
    categories = {r["id"]: dict(r) for r in names if r["kind"] == "category"}

    cards = {
        "total": total,
        "open": sum(status_counts.get(s, 0) for s in OPEN_STATUSES),
        "overdue": overdue_total,
        "resolved_this_month": int(resolved_month[0]["n"]),
        "median_first_response": _median(first_response_rows),
        "median_resolve": _median(resolve_rows),
        "on_time_share": _share(on_time, resolved),
        "resolved": resolved,
        "rating_average": rating_sum / rating_count if rating_count else None,
        "rating_count": rating_count,
    }

    found = groups["buckets"]
    over_time = [
        {"start": day, "value": found.get(day, 0)} for day in _buckets(start, end, interval, found)
    ]
    by_category = sorted(
        (
            {
                "id": category,
                "label": categories.get(category, {}).get("name", "?"),
                "icon": categories.get(category, {}).get("icon", ""),
                "value": sums["n"],
            }
            for category, sums in groups["category"].items()
            if sums["n"]
        ),
        key=lambda item: (-item["value"], item["label"]),
    )
    by_unit = sorted(
        (
            {"id": unit, "label": unit_names.get(unit, "?"), "value": sums["n"]}
            for unit, sums in groups["unit"].items()
            if sums["n"]
        ),
        key=lambda item: (-item["value"], item["label"]),
    )
    by_status = [{"status": s, "value": status_counts[s]} for s in STATUSES if status_counts.get(s)]
    resolution_times = []
    for lower, upper, column in zip(
        (0, *RESOLUTION_BUCKETS), (*RESOLUTION_BUCKETS, None), _BUCKET_COLUMNS, strict=True
    ):
        resolution_times.append({"lower": lower, "upper": upper, "value": total_row[column]})

    unit_open: dict[int, int] = {}
    for (unit_id, status), sums in groups["unit_status"].items():
        if status in OPEN_STATUSES:
            unit_open[unit_id] = unit_open.get(unit_id, 0) + sums["n"]
    unit_ranking = []
    for unit_id, r in groups["unit"].items():
        if not r["n"]:
            continue
        unit_ranking.append(
            {
                "id": unit_id,
                "name": unit_names.get(unit_id, "?"),
                "total": r["n"],
                "open": unit_open.get(unit_id, 0),
                "overdue": overdue_unit.get(unit_id, 0),
                "median_resolve": unit_medians.get(unit_id),
                "on_time_share": _share(r["on_time"], r["resolved"]),
            }
        )
    unit_ranking.sort(key=lambda u: (-u["overdue"], -(u["median_resolve"] or 0), u["name"]))

    officers: list[dict[str, Any]] = []
    if not public_only:
        work: dict[int, dict[str, int]] = {}
        for (officer_id, status), sums in groups["officer_status"].items():
            counts = work.setdefault(officer_id, {"assigned": 0, "open": 0, "resolved": 0})
            counts["assigned"] += sums["n"]
            if status in OPEN_STATUSES:
                counts["open"] += sums["n"]
            counts["resolved"] += sums["resolved"]
        listed = {r["id"] for r in officer_rows}
        for r in officer_rows:
            counts = work.get(r["id"], {"assigned": 0, "open": 0, "resolved": 0})
            officers.append(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "unit": unit_names.get(r["unit"], ""),
                    **counts,
                    "overdue": overdue_officer.get(r["id"], 0),
                }
            )
        # Complaints still with someone no longer an active officer of the unit.
        for officer_id, counts in work.items():
            if officer_id and officer_id not in listed and counts["assigned"]:
                officers.append(
                    {
                        "id": officer_id,
                        "name": _("Former officer #%(id)d", id=officer_id),
                        "unit": "",
                        **counts,
                        "overdue": overdue_officer.get(officer_id, 0),
                    }
                )
        officers.sort(key=lambda o: (-o["open"], -o["overdue"], o["name"]))

    return Figures(
        filters=filters,
        start=start,
        end=end,
        interval=interval,
        cards=cards,
        over_time=over_time,
        by_category=by_category,
        by_unit=by_unit,
        by_status=by_status,
        resolution_times=resolution_times,
        unit_ranking=unit_ranking,
        officers=officers,
        seconds=time.perf_counter() - started,
    )


# --- the public page's short cache ----------------------------------------------------------

PUBLIC_CACHE_SECONDS = 60
_public_cache: dict[str, tuple[float, Figures]] = {}


async def public_figures(filters: StatsFilters) -> Figures:
    """Figures over public complaints only, computed at most once a minute per view and
    process (the page is open to everyone; a minute's delay in public numbers is fine)."""
    key = filters.query_string()
    now = time.monotonic()
    cached = _public_cache.get(key)
    if cached and now - cached[0] < PUBLIC_CACHE_SECONDS and cached[1].end > today_in_jakarta():
        return cached[1]
    result = await figures(filters, public_only=True)
    if len(_public_cache) > 256:
        _public_cache.clear()
    _public_cache[key] = (now, result)
    return result


def clear_public_cache() -> None:
    _public_cache.clear()


async def rebuild() -> int:
    """Recount the daily aggregate from the complaints (rows written). Writers to complaints
    and ratings wait meanwhile (seconds for a million complaints)."""
    rows = await db.fetch("SELECT complaint_daily_rebuild() AS n")
    return int(rows[0]["n"])


async def rebuild_once() -> int:
    """`rebuild` on a connection of its own (the command line has no pool)."""
    import asyncpg

    conn = await asyncpg.connect(db.ENGINE.config["dsn"])
    try:
        return int(await conn.fetchval("SELECT complaint_daily_rebuild()"))
    finally:
        await conn.close()


def now_utc() -> datetime:
    return datetime.now(UTC)
