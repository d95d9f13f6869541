"""Charts drawn on the server: the geometry of SVG bar charts and the texts they show.

No chart JavaScript. Each chart is a list of bars with their value as text, a title and a
description (read by screen readers), and the same numbers go into a table beside it. The
drawing is 320 units wide, a phone's width: on a phone the text shows at its real size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from pengaduan import i18n
from pengaduan.i18n import _, ngettext
from pengaduan.web.labels import status_label

WIDTH = 320
ROW = 34  # a label line and a bar under it
COLUMN_HEIGHT = 140


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return format_decimal(round(value, digits), locale=i18n.get_locale())


def percent(share: float | None) -> str:
    if share is None:
        return "—"
    return format_percent(share, "#,##0.0%", locale=i18n.get_locale())


def duration(seconds: float | None) -> str:
    """A median time in hours up to two days, else in days (one decimal)."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 48:
        return _("%(value)s hours", value=number(hours, 1))
    return _("%(value)s days", value=number(hours / 24, 1))


def hours_range(lower: int, upper: int | None) -> str:
    def text(hours: int) -> str:
        if hours < 48:
            return ngettext("%(num)d hour", "%(num)d hours", hours)
        return ngettext("%(num)d day", "%(num)d days", hours // 24)

    if upper is None:
        return _("%(from)s or more", **{"from": text(lower)})
    if lower == 0:
        return _("under %(to)s", to=text(upper))
    return _("%(from)s to %(to)s", **{"from": text(lower), "to": text(upper)})


def bucket_label(start: date, interval: str, short: bool = False) -> str:
    locale = i18n.get_locale()
    if interval == "month":
        return format_date(start, "MMM yy" if short else "MMMM y", locale=locale)
    if interval == "week":
        text = format_date(start, "d MMM" if short else "d MMM y", locale=locale)
        return text if short else _("week of %(date)s", date=text)
    return format_date(start, "d MMM" if short else "d MMM y", locale=locale)


@dataclass
class Chart:
    """One chart: what the SVG draws and what the table beside it lists."""

    id: str
    title: str
    description: str
    kind: str  # "bars" (horizontal, labelled) or "columns" (over time)
    items: list[dict[str, Any]]
    height: int
    max_text: str = ""
    first_text: str = ""
    last_text: str = ""

    @property
    def empty(self) -> bool:
        return not any(item["value"] for item in self.items)


def _describe(title: str, items: list[dict[str, Any]]) -> str:
    if not items or not any(i["value"] for i in items):
        return _("No complaints in this selection.")
    top = max(items, key=lambda i: i["value"])
    total = sum(i["value"] for i in items)
    return _(
        "%(title)s: %(total)s complaints in total; the most, %(value)s, in %(label)s.",
        title=title,
        total=number(total),
        value=number(top["value"]),
        label=top["label"],
    )


def bars(chart_id: str, title: str, items: list[dict[str, Any]]) -> Chart:
    """Horizontal bars, one per item ({label, value}), longest for the largest value."""
    largest = max((i["value"] for i in items), default=0) or 1
    drawn = []
    for position, item in enumerate(items):
        width = round((WIDTH - 60) * item["value"] / largest, 1)
        drawn.append(
            {
                **item,
                "value_text": number(item["value"]),
                "y": position * ROW,
                "width": max(width, 1 if item["value"] else 0),
            }
        )
    return Chart(
        id=chart_id,
        title=title,
        description=_describe(title, items),
        kind="bars",
        items=drawn,
        height=max(ROW, len(items) * ROW),
    )


def columns(chart_id: str, title: str, series: list[dict[str, Any]], interval: str) -> Chart:
    """Columns over time, one per bucket ({start, value})."""
    largest = max((i["value"] for i in series), default=0) or 1
    count = max(1, len(series))
    step = (WIDTH - 40) / count
    drawn = []
    for position, item in enumerate(series):
        height = round(COLUMN_HEIGHT * item["value"] / largest, 1)
        drawn.append(
            {
                **item,
                "label": bucket_label(item["start"], interval),
                "value_text": number(item["value"]),
                "x": round(40 + position * step, 2),
                "width": round(max(step * 0.8, 0.5), 2),
                "height": height,
                "y": round(COLUMN_HEIGHT - height, 1),
            }
        )
    return Chart(
        id=chart_id,
        title=title,
        description=_describe(title, drawn),
        kind="columns",
        items=drawn,
        height=COLUMN_HEIGHT + 24,
        max_text=number(max((i["value"] for i in series), default=0)),
        first_text=bucket_label(series[0]["start"], interval, short=True) if series else "",
        last_text=bucket_label(series[-1]["start"], interval, short=True) if series else "",
    )


def charts_for(figures: Any, *, with_units: bool = True) -> list[Chart]:
    """The statistics page's charts, in the order shown."""
    interval_title = {
        "day": _("Complaints per day"),
        "week": _("Complaints per week"),
        "month": _("Complaints per month"),
    }[figures.interval]
    result = [
        columns("chart-time", interval_title, figures.over_time, figures.interval),
        bars(
            "chart-category",
            _("Complaints per category"),
            [{"label": c["label"], "value": c["value"]} for c in figures.by_category],
        ),
    ]
    if with_units:
        result.append(
            bars(
                "chart-unit",
                _("Complaints per unit"),
                [{"label": u["label"], "value": u["value"]} for u in figures.by_unit],
            )
        )
    result += [
        bars(
            "chart-status",
            _("Complaints per status"),
            [{"label": status_label(s["status"]), "value": s["value"]} for s in figures.by_status],
        ),
        bars(
            "chart-resolution",
            _("Time to resolve"),
            [
                {"label": hours_range(b["lower"], b["upper"]), "value": b["value"]}
                for b in figures.resolution_times
            ],
        ),
    ]
    return result
