"""What a statistics view is about: the filter form as it travels in the URL (period, dates,
unit, category, interval), read and checked, and the days and buckets it stands for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pengaduan.clock import JAKARTA
from pengaduan.i18n import _
from pengaduan.web.values import date_message, day, record_id, shown

PERIODS = ("7", "30", "90", "365", "month", "last_month", "year", "all", "custom")
DEFAULT_PERIOD = "30"
# The transparency page offers fewer choices (and so fewer cached views).
PUBLIC_PERIODS = ("30", "365", "year", "all")
PUBLIC_DEFAULT = "365"
INTERVALS = ("day", "week", "month")
MAX_BUCKETS = 120


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


def now_utc() -> datetime:
    return datetime.now(UTC)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def midnight(day: date) -> datetime:
    """The start of `day` in Asia/Jakarta (the statistics' days are Jakarta's)."""
    return datetime(day.year, day.month, day.day, tzinfo=JAKARTA)


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
        return replace(filters, errors=_date_errors(filters.date_from, filters.date_to))

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
            return month_start(today), tomorrow
        if period == "last_month":
            end = month_start(today)
            return month_start(end - timedelta(days=1)), end
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


def _date_errors(date_from: str, date_to: str) -> dict[str, str]:
    """What is wrong with the dates of a custom period, per field ({} when nothing)."""
    errors: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name, value in (("from", date_from), ("to", date_to)):
        typed = day(value)
        if typed is None:
            errors[name] = date_message()
        else:
            parsed[name] = typed
    if not errors and parsed["from"] > parsed["to"]:
        errors["to"] = _("The end date is before the start date.")
    return errors


def month_range(month: str) -> tuple[date, date] | None:
    """A month typed as YYYY-MM: its first day and the first day of the next one."""
    start = day(f"{month.strip()}-01")
    return None if start is None else (start, next_month(start))
