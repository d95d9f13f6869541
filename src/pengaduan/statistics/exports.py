"""Exports: the admins' filtered complaint list and the statistics, as CSV (UTF-8 with a byte
order mark, which Excel needs to read UTF-8) and as XLSX (XlsxWriter).

The reporter of an anonymous complaint is never read: the query joins the reporter only for
complaints that are not anonymous. An export holds at most EXPORT_LIMIT rows; a bigger list
is refused with a message to narrow the filters (not cut silently).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pengaduan import db
from pengaduan.clock import JAKARTA
from pengaduan.complaints import statuses
from pengaduan.errors import INVALID, Refused
from pengaduan.handling import queue
from pengaduan.i18n import _, ngettext
from pengaduan.statistics import charts
from pengaduan.statistics.figures import Figures
from pengaduan.web.labels import priority_label, status_label

EXPORT_LIMIT = 50_000
# Litestar adds "; charset=utf-8" to every text/* type itself (a second one made the header
# read "charset=utf-8; charset=utf-8").
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _complaints_sql(
    filters: queue.QueueFilters, where: db.Where, limit: int
) -> tuple[str, list[Any]]:
    """Every complaint the admin list shows for `filters` (all pages, `where` their
    conditions), oldest first."""
    listed = ", ".join(queue.literal(s) for s in queue.statuses_of(filters))
    priority = f" AND c.priority = {queue.literal(filters.priority)}" if filters.priority else ""
    sql = f"""
SELECT c.number, c.submitted_at, c.title, cat.name AS category, u.name AS unit, c.status,
       c.priority, o.full_name AS officer, c.due_at, c.first_response_at, c.resolved_at,
       c.is_anonymous, c.is_public, c.location_text,
       coalesce(c.due_at < now() AND c.status IN ({statuses.OPEN_SQL}), false)
           AS is_overdue,
       r.full_name AS reporter
FROM complaints c
JOIN units u ON u.id = c.unit
JOIN categories cat ON cat.id = c.category
LEFT JOIN users o ON o.id = c.officer
LEFT JOIN users r ON r.id = c.reporter AND NOT c.is_anonymous
WHERE {where.sql} AND c.status IN ({listed}){priority}
ORDER BY c.submitted_at, c.id
LIMIT {int(limit) + 1}
"""
    return sql, where.args


def _local(value: datetime | None) -> datetime | None:
    # Spreadsheets know no time zones: times are written as Western Indonesia Time.
    return value.astimezone(JAKARTA).replace(tzinfo=None, microsecond=0) if value else None


async def complaint_rows(
    filters: queue.QueueFilters, limit: int | None = None
) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows of the filtered list; refused (INVALID) when the list holds
    more than `limit` (default EXPORT_LIMIT, read at call time: tests lower it)."""
    limit = limit or EXPORT_LIMIT
    where = await queue.with_search(filters, None, None)
    sql, args = _complaints_sql(filters, where, limit)
    records = await db.fetch(sql, *args)
    if len(records) > limit:
        count = await db.fetch(queue.count_sql(filters, where), *where.args)
        raise Refused(
            ngettext(
                "The list has %(num)d complaint; an export holds at most %(max)d. Narrow the filters.",
                "The list has %(num)d complaints; an export holds at most %(max)d. Narrow the filters.",
                count[0]["n"],
                max=limit,
            ),
            INVALID,
        )
    header = [
        _("Number"),
        _("Submitted"),
        _("Title"),
        _("Category"),
        _("Unit"),
        _("Status"),
        _("Priority"),
        _("Officer"),
        _("Due"),
        _("First response"),
        _("Resolved"),
        _("Overdue"),
        _("Public"),
        _("Location"),
        _("Reporter"),
    ]
    yes, no, anonymous = _("Yes"), _("No"), _("Anonymous")
    rows = [
        [
            r["number"],
            _local(r["submitted_at"]),
            r["title"],
            r["category"],
            r["unit"],
            status_label(r["status"]),
            priority_label(r["priority"]),
            r["officer"] or "",
            _local(r["due_at"]),
            _local(r["first_response_at"]),
            _local(r["resolved_at"]),
            yes if r["is_overdue"] else no,
            yes if r["is_public"] else no,
            r["location_text"],
            anonymous if r["is_anonymous"] else (r["reporter"] or ""),
        ]
        for r in records
    ]
    return header, rows


def statistics_sheets(figures: Figures) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The statistics as tables: (sheet name, header, rows)."""
    cards = figures.cards
    period_start = figures.start.isoformat() if figures.start else ""
    summary = [
        [_("Period from"), period_start],
        [_("Period to (exclusive)"), figures.end.isoformat()],
        [_("Total complaints"), cards["total"]],
        [_("Open"), cards["open"]],
        [_("Overdue"), cards["overdue"]],
        [_("Resolved this month"), cards["resolved_this_month"]],
        [_("Median time to first response (hours)"), _hours(cards["median_first_response"])],
        [_("Median time to resolve (hours)"), _hours(cards["median_resolve"])],
        [_("Resolved within the deadline (%)"), _pct(cards["on_time_share"])],
        [_("Average rating"), _round(cards["rating_average"], 2)],
        [_("Ratings"), cards["rating_count"]],
    ]
    over_time = [
        [charts.bucket_label(item["start"], figures.interval), item["value"]]
        for item in figures.over_time
    ]
    return [
        (_("Summary"), [_("Figure"), _("Value")], summary),
        (_("Over time"), [_("Period"), _("Complaints")], over_time),
        (
            _("Categories"),
            [_("Category"), _("Complaints")],
            [[c["label"], c["value"]] for c in figures.by_category],
        ),
        (
            _("Units"),
            [
                _("Unit"),
                _("Complaints"),
                _("Open"),
                _("Overdue"),
                _("Median time to resolve (hours)"),
                _("Resolved within the deadline (%)"),
            ],
            [
                [
                    u["name"],
                    u["total"],
                    u["open"],
                    u["overdue"],
                    _hours(u["median_resolve"]),
                    _pct(u["on_time_share"]),
                ]
                for u in figures.unit_ranking
            ],
        ),
        (
            _("Statuses"),
            [_("Status"), _("Complaints")],
            [[status_label(s["status"]), s["value"]] for s in figures.by_status],
        ),
        (
            _("Time to resolve"),
            [_("Time to resolve"), _("Complaints")],
            [
                [charts.hours_range(b["lower"], b["upper"]), b["value"]]
                for b in figures.resolution_times
            ],
        ),
        (
            _("Officers"),
            [_("Officer"), _("Unit"), _("Assigned"), _("Open"), _("Overdue"), _("Resolved")],
            [
                [o["name"], o["unit"], o["assigned"], o["open"], o["overdue"], o["resolved"]]
                for o in figures.officers
            ],
        ),
    ]


def _hours(seconds: float | None) -> float | str:
    return round(seconds / 3600, 1) if seconds is not None else ""


def _pct(share: float | None) -> float | str:
    return round(share * 100, 1) if share is not None else ""


def _round(value: float | None, digits: int) -> float | str:
    return round(value, digits) if value is not None else ""


# --- writing ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        # A spreadsheet would run it as a formula (CSV injection): keep it text.
        return "'" + value
    return "" if value is None else value


def csv_bytes(sheets: Sequence[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """One table, or several one after the other (each under its name, a blank line between)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for position, (name, header, rows) in enumerate(sheets):
        if len(sheets) > 1:
            if position:
                writer.writerow([])
            writer.writerow([name])
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """A workbook with one sheet per table, the header bold and frozen."""
    import xlsxwriter

    buffer = io.BytesIO()
    # strings_to_formulas off: text is never run as a formula (nor URLs made into links).
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        },
    )
    bold = workbook.add_format({"bold": True})
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    used: set[str] = set()
    for name, header, rows in sheets:
        title = name[:31]
        for bad in "[]:*?/\\":
            title = title.replace(bad, " ")
        while title in used:
            title = title[:28] + f"_{len(used)}"
        used.add(title)
        sheet = workbook.add_worksheet(title)
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 0)
        widths = [len(str(h)) for h in header]
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(row_number, column, value, when)
                    width = 16
                elif value is None or value == "":
                    continue
                else:
                    sheet.write(row_number, column, value)
                    width = len(str(value))
                if width > widths[column]:
                    widths[column] = width
        for column, width in enumerate(widths):
            sheet.set_column(column, column, min(max(width + 2, 8), 60))
    workbook.close()
    return buffer.getvalue()
