"""The figures one statistics view shows: cards, chart series and tables, assembled from what
the queries (statistics/queries.py) give. Every figure is about complaints submitted in the
chosen period, except "resolved this month" (resolutions in the current calendar month)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pengaduan.complaints.statuses import OPEN_STATUSES, STATUSES
from pengaduan.i18n import _
from pengaduan.statistics import queries
from pengaduan.statistics.filters import (
    MAX_BUCKETS,
    StatsFilters,
    month_start,
    next_month,
    today_in_jakarta,
)


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


Sums = dict[str, int]  # n, resolved, on_time


@dataclass
class _Found:
    """What the queries gave, rolled up: the aggregate's totals and groupings, the overdue
    counts, the medians and the names to show."""

    total: dict[str, int]
    buckets: dict[date, int]
    groups: dict[str, dict[Any, Sums]]
    overdue: int = 0
    overdue_unit: dict[int, int] = field(default_factory=dict)
    overdue_officer: dict[int, int] = field(default_factory=dict)
    unit_medians: dict[int, float | None] = field(default_factory=dict)
    unit_names: dict[int, str] = field(default_factory=dict)
    categories: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def status_counts(self) -> dict[str, int]:
        return {status: sums["n"] for status, sums in self.groups["status"].items()}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _bucket_of(day: date, interval: str) -> date:
    if interval == "month":
        return day.replace(day=1)
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day


def _add(into: dict[Any, Sums], key: Any, row: Any) -> None:
    sums = into.setdefault(key, {"n": 0, "resolved": 0, "on_time": 0})
    sums["n"] += int(row["n"] or 0)
    sums["resolved"] += int(row["resolved"] or 0)
    sums["on_time"] += int(row["on_time"] or 0)


def rollup(daily: list[Any], dimensions: list[Any], interval: str) -> _Found:
    """The groupings the figures need, from the two aggregate queries."""
    total = dict.fromkeys(queries.DAILY_SUMS, 0)
    buckets: dict[date, int] = {}
    for row in daily:
        for name in queries.DAILY_SUMS:
            total[name] += int(row[name] or 0)
        bucket = _bucket_of(row["day"], interval)
        buckets[bucket] = buckets.get(bucket, 0) + int(row["complaints"] or 0)
    groups: dict[str, dict[Any, Sums]] = {
        name: {} for name in ("unit", "category", "status", "unit_status", "officer_status")
    }
    for row in dimensions:
        _add(groups["unit"], row["unit"], row)
        _add(groups["category"], row["category"], row)
        _add(groups["status"], row["status"], row)
        _add(groups["unit_status"], (row["unit"], row["status"]), row)
        _add(groups["officer_status"], (row["officer"], row["status"]), row)
    return _Found(total=total, buckets=buckets, groups=groups)


def _note_overdue(found: _Found, rows: list[Any]) -> None:
    """The overdue counts from the grouping sets: in all, per unit, per officer."""
    for row in rows:
        if row["mask"] == 0b11:
            found.overdue = int(row["n"])
        elif row["mask"] == 0b01:
            found.overdue_unit[row["unit"]] = int(row["n"])
        elif row["officer"] is not None:
            found.overdue_officer[row["officer"]] = int(row["n"])


def _note_unit_medians(found: _Found, rows: list[Any]) -> None:
    values: dict[int, list[Any]] = {}
    for row in rows:
        values.setdefault(row["unit"], []).append(row)
    found.unit_medians = {unit: queries.median(unit_rows) for unit, unit_rows in values.items()}


def _note_names(found: _Found, rows: list[Any]) -> None:
    found.unit_names = {r["id"]: r["name"] for r in rows if r["kind"] == "unit"}
    found.categories = {r["id"]: dict(r) for r in rows if r["kind"] == "category"}


def buckets_of(start: date | None, end: date, interval: str, found: dict[date, int]) -> list[date]:
    """Every bucket of the period, also those without complaints."""
    if start is None:
        if not found:
            return []
        start = min(found)
    first = start
    if interval == "month":
        first = month_start(start)
    elif interval == "week":
        first = start - timedelta(days=start.weekday())
    days: list[date] = []
    current = first
    while current < end and len(days) <= MAX_BUCKETS * 31:
        days.append(current)
        if interval == "month":
            current = next_month(current)
        else:
            current += timedelta(days=7 if interval == "week" else 1)
    return days


def _interval(filters: StatsFilters, start: date | None, end: date) -> str:
    """The bars' interval; all time is never shown per day."""
    if start is None:
        interval = filters.interval or "month"
        return "week" if interval == "day" else interval
    return filters.bucket_interval(start, end)


def _queries(
    filters: StatsFilters, start: date | None, end: date, today: date, public_only: bool
) -> list[queries.Query]:
    """The statements of a view, in the order `_Rows` names their results."""
    wanted = [
        queries.daily_sql(filters, start, end, public_only),
        queries.dimensions_sql(filters, start, end, public_only),
        queries.overdue_sql(filters, start, end, public_only),
        queries.resolved_this_month_sql(filters, today, public_only),
        (queries.NAMES_SQL, []),
        # The public page shows no time to first response: not computed for it (a withdrawn
        # complaint may have one, and leaving those out would cost the index-only walk).
        queries.NOTHING
        if public_only
        else queries.median_sql("first_response", filters, start, end, False),
        queries.median_sql("resolve", filters, start, end, public_only),
        queries.unit_medians_sql(filters, start, end, public_only),
    ]
    if not public_only:
        wanted.append((queries.OFFICERS_SQL, [filters.unit]))
    return wanted


@dataclass
class _Rows:
    """The rows of each statement of `_queries`, by name."""

    daily: list[Any]
    dimensions: list[Any]
    overdue: list[Any]
    resolved_month: list[Any]
    names: list[Any]
    first_response: list[Any]
    resolve: list[Any]
    unit_medians: list[Any]
    officers: list[Any] = field(default_factory=list)


def _cards(found: _Found, rows: _Rows) -> dict[str, Any]:
    total = found.total
    status_counts = found.status_counts
    rating_count = total["rating_count"]
    return {
        "total": total["complaints"],
        "open": sum(status_counts.get(s, 0) for s in OPEN_STATUSES),
        "overdue": found.overdue,
        "resolved_this_month": int(rows.resolved_month[0]["n"]),
        "median_first_response": queries.median(rows.first_response),
        "median_resolve": queries.median(rows.resolve),
        "on_time_share": _share(total["resolved_on_time"], total["resolved"]),
        "resolved": total["resolved"],
        "rating_average": total["rating_sum"] / rating_count if rating_count else None,
        "rating_count": rating_count,
    }


def _by_category(found: _Found) -> list[dict[str, Any]]:
    categories = found.categories
    return sorted(
        (
            {
                "id": category,
                "label": categories.get(category, {}).get("name", "?"),
                "icon": categories.get(category, {}).get("icon", ""),
                "value": sums["n"],
            }
            for category, sums in found.groups["category"].items()
            if sums["n"]
        ),
        key=lambda item: (-item["value"], item["label"]),
    )


def _by_unit(found: _Found) -> list[dict[str, Any]]:
    return sorted(
        (
            {"id": unit, "label": found.unit_names.get(unit, "?"), "value": sums["n"]}
            for unit, sums in found.groups["unit"].items()
            if sums["n"]
        ),
        key=lambda item: (-item["value"], item["label"]),
    )


def _by_status(found: _Found) -> list[dict[str, Any]]:
    counts = found.status_counts
    return [{"status": s, "value": counts[s]} for s in STATUSES if counts.get(s)]


def _resolution_times(found: _Found) -> list[dict[str, Any]]:
    bounds = zip(
        (0, *queries.RESOLUTION_BUCKETS),
        (*queries.RESOLUTION_BUCKETS, None),
        queries.BUCKET_COLUMNS,
        strict=True,
    )
    return [
        {"lower": lower, "upper": upper, "value": found.total[column]}
        for lower, upper, column in bounds
    ]


def _unit_ranking(found: _Found) -> list[dict[str, Any]]:
    """Units by overdue complaints, then by their median time to resolve."""
    unit_open: dict[int, int] = {}
    for (unit_id, status), sums in found.groups["unit_status"].items():
        if status in OPEN_STATUSES:
            unit_open[unit_id] = unit_open.get(unit_id, 0) + sums["n"]
    ranking = [
        {
            "id": unit_id,
            "name": found.unit_names.get(unit_id, "?"),
            "total": sums["n"],
            "open": unit_open.get(unit_id, 0),
            "overdue": found.overdue_unit.get(unit_id, 0),
            "median_resolve": found.unit_medians.get(unit_id),
            "on_time_share": _share(sums["on_time"], sums["resolved"]),
        }
        for unit_id, sums in found.groups["unit"].items()
        if sums["n"]
    ]
    ranking.sort(key=lambda u: (-u["overdue"], -(u["median_resolve"] or 0), u["name"]))
    return ranking


def _officer_work(found: _Found) -> dict[int, dict[str, int]]:
    """Per officer (0: none), complaints assigned, still open and resolved."""
    work: dict[int, dict[str, int]] = {}
    for (officer_id, status), sums in found.groups["officer_status"].items():
        counts = work.setdefault(officer_id, {"assigned": 0, "open": 0, "resolved": 0})
        counts["assigned"] += sums["n"]
        if status in OPEN_STATUSES:
            counts["open"] += sums["n"]
        counts["resolved"] += sums["resolved"]
    return work


def _officers(found: _Found, officer_rows: list[Any]) -> list[dict[str, Any]]:
    """The active officers (of the unit, if one is chosen) with their work, and those no
    longer active who still hold complaints of the view."""
    work = _officer_work(found)
    idle = {"assigned": 0, "open": 0, "resolved": 0}
    officers = [
        {
            "id": r["id"],
            "name": r["name"],
            "unit": found.unit_names.get(r["unit"], ""),
            **work.get(r["id"], idle),
            "overdue": found.overdue_officer.get(r["id"], 0),
        }
        for r in officer_rows
    ]
    listed = {r["id"] for r in officer_rows}
    # Complaints still with someone no longer an active officer of the unit.
    officers.extend(
        {
            "id": officer_id,
            "name": _("Former officer #%(id)d", id=officer_id),
            "unit": "",
            **counts,
            "overdue": found.overdue_officer.get(officer_id, 0),
        }
        for officer_id, counts in work.items()
        if officer_id and officer_id not in listed and counts["assigned"]
    )
    officers.sort(key=lambda o: (-o["open"], -o["overdue"], o["name"]))
    return officers


async def compute(
    filters: StatsFilters, *, public_only: bool = False, today: date | None = None
) -> Figures:
    """The figures for `filters`; with `public_only`, public complaints only and nothing
    about officers."""
    started = time.perf_counter()
    today = today or today_in_jakarta()
    start, end = filters.days(today)
    interval = _interval(filters, start, end)
    rows = _Rows(*await queries.run_all(*_queries(filters, start, end, today, public_only)))
    found = rollup(rows.daily, rows.dimensions, interval)
    _note_overdue(found, rows.overdue)
    _note_unit_medians(found, rows.unit_medians)
    _note_names(found, rows.names)
    over_time = [
        {"start": day, "value": found.buckets.get(day, 0)}
        for day in buckets_of(start, end, interval, found.buckets)
    ]
    return Figures(
        filters=filters,
        start=start,
        end=end,
        interval=interval,
        cards=_cards(found, rows),
        over_time=over_time,
        by_category=_by_category(found),
        by_unit=_by_unit(found),
        by_status=_by_status(found),
        resolution_times=_resolution_times(found),
        unit_ranking=_unit_ranking(found),
        officers=[] if public_only else _officers(found, rows.officers),
        seconds=time.perf_counter() - started,
    )
