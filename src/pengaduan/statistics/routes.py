"""Statistics pages: the admins' dashboard and its live cards, exports, the monthly report per
unit, and the public transparency page."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from pengaduan.agency import categories as agency
from pengaduan.agency.tables import Unit
from pengaduan.audit import services as audit
from pengaduan.errors import Checked
from pengaduan.handling import queue
from pengaduan.i18n import _
from pengaduan.statistics import charts, exports, figures, public
from pengaduan.statistics.filters import (
    PUBLIC_DEFAULT,
    PUBLIC_PERIODS,
    StatsFilters,
    interval_labels,
    month_range,
    now_utc,
    period_labels,
    today_in_jakarta,
)
from pengaduan.web import publiccache
from pengaduan.web.kit import client_ip
from pengaduan.web.templating import render

ADMIN = {"access": "admin"}
ANYONE = {"access": "anyone"}
PAGE = "/admin/statistik"
REPORT = "/admin/laporan"
COMPLAINT_EXPORT = "/admin/pengaduan/ekspor"


def _filters(request: Request) -> StatsFilters:
    return StatsFilters.from_query(dict(request.query_params))


async def _choices() -> dict[str, Any]:
    return {
        "units": await Unit.select(Unit.id, Unit.name).order_by(Unit.name),
        "categories": await agency.all_categories(),
        "period_labels": period_labels(),
        "interval_labels": interval_labels(),
    }


def _view(shown: figures.Figures, *, with_units: bool = True) -> dict[str, Any]:
    return {
        "figures": shown,
        "cards": shown.cards,
        "charts": charts.charts_for(shown, with_units=with_units),
        "fmt": {
            "number": charts.number,
            "percent": charts.percent,
            "duration": charts.duration,
        },
    }


async def _dashboard(request: Request, fragment: str, *, checks_filters: bool) -> Template:
    """The dashboard for the filters in the URL; an htmx request gets `fragment` back.
    `checks_filters`: wrong filters answer 422 (the cards' refresh answers 200 regardless)."""
    filters = _filters(request)
    shown = await figures.compute(filters)
    return render(
        request,
        "statistics/page.html",
        {"filters": filters, **_view(shown), **await _choices()},
        fragment=fragment,
        status_code=422 if checks_filters and filters.errors else 200,
    )


@get(PAGE, name="stats:page", opt=ADMIN)
async def statistics_page(request: Request) -> Template:
    """The dashboard; a filter change (htmx) gets only the region of figures back."""
    return await _dashboard(request, "statistics/_region.html", checks_filters=True)


@get(f"{PAGE}/kartu", name="stats:cards", opt=ADMIN)
async def statistics_cards(request: Request) -> Template:
    """The cards alone (refreshed every minute and on `sse:stats`)."""
    return await _dashboard(request, "statistics/_cards.html", checks_filters=False)


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _file(sheets: list[Any], fmt: str, name: str) -> Response:
    """The file, written in a thread: 50,000 rows take XlsxWriter seconds, which must not
    hold up the other requests of this worker."""
    stamp = today_in_jakarta().isoformat()
    if fmt == "csv":
        content = await asyncio.to_thread(exports.csv_bytes, sheets)
        return _download(content, exports.CSV_TYPE, f"{name}-{stamp}.csv")
    content = await asyncio.to_thread(exports.xlsx_bytes, sheets)
    return _download(content, exports.XLSX_TYPE, f"{name}-{stamp}.xlsx")


async def _statistics_export(request: Request, fmt: str) -> Response:
    filters = _filters(request)
    sheets = exports.statistics_sheets(await figures.compute(filters))
    await audit.record(
        actor_id=request.user.id,
        action="export.statistics",
        data={"format": fmt, "query": filters.query_string()},
        ip=client_ip(request),
    )
    return await _file(sheets, fmt, "statistik")


@get(f"{PAGE}/ekspor.csv", name="stats:export.csv", opt=ADMIN)
async def statistics_csv(request: Request) -> Response:
    return await _statistics_export(request, "csv")


@get(f"{PAGE}/ekspor.xlsx", name="stats:export.xlsx", opt=ADMIN)
async def statistics_xlsx(request: Request) -> Response:
    return await _statistics_export(request, "xlsx")


async def _complaints_export(request: Request, fmt: str) -> Response:
    """The admin complaint list with its filters, every page of it."""
    filters = queue.QueueFilters.from_query(dict(request.query_params), default_view="all")
    # Beyond the export's limit: refused (422, the error page says to narrow the filters).
    header, rows = await exports.complaint_rows(filters)
    await audit.record(
        actor_id=request.user.id,
        action="export.complaints",
        data={"format": fmt, "query": filters.query_string(page=1), "rows": len(rows)},
        ip=client_ip(request),
    )
    return await _file([(_("Complaints"), header, rows)], fmt, "pengaduan")


@get(f"{COMPLAINT_EXPORT}.csv", name="admin:complaints.export.csv", opt=ADMIN)
async def complaints_csv(request: Request) -> Response:
    return await _complaints_export(request, "csv")


@get(f"{COMPLAINT_EXPORT}.xlsx", name="admin:complaints.export.xlsx", opt=ADMIN)
async def complaints_xlsx(request: Request) -> Response:
    return await _complaints_export(request, "xlsx")


@get(REPORT, name="stats:report", opt=ADMIN)
async def monthly_report(request: Request) -> Template:
    """The monthly report of one unit, printable: choose the unit and the month."""
    params = request.query_params
    checked: Checked[None] = Checked(
        {"unit": params.get("unit", "").strip(), "month": params.get("month", "").strip()}
    )
    values = checked.values
    units = await Unit.select(Unit.id, Unit.name).order_by(Unit.name)
    unit = next((u for u in units if str(u["id"]) == values["unit"]), None)
    month = month_range(values["month"]) if values["month"] else None
    context: dict[str, Any] = {
        "values": values,
        "errors": checked.errors,
        "units": units,
        "unit": unit,
    }
    if values["unit"] or values["month"]:
        if unit is None:
            checked.error("unit", _("Choose a unit."))
        if month is None:
            checked.error("month", _("Enter a month as YYYY-MM."))
    if unit is not None and month is not None:
        start, end = month
        filters = StatsFilters(
            period="custom",
            date_from=start.isoformat(),
            date_to=(end - timedelta(days=1)).isoformat(),
            unit=unit["id"],
            interval="day",
        )
        context.update(
            _view(await figures.compute(filters), with_units=False),
            month_label=charts.bucket_label(start, "month"),
            generated=now_utc(),
        )
    return render(
        request, "statistics/report.html", context, status_code=200 if checked.ok else 422
    )


@get("/transparansi", name="transparency", opt=ANYONE)
async def transparency(request: Request) -> Response:
    """Aggregate figures over public complaints, for everyone; nothing personal, nothing from
    private complaints, no officers."""
    params = request.query_params
    period = params.get("period", "")
    filters = StatsFilters(period=period if period in PUBLIC_PERIODS else PUBLIC_DEFAULT)

    async def build() -> tuple[dict[str, Any], int]:
        context = {
            "filters": filters,
            **_view(await public.public_figures(filters)),
            "periods": PUBLIC_PERIODS,
            "period_labels": period_labels(),
        }
        return context, 200

    # Rendered once per address, language, minute and public version (web.publiccache).
    return await publiccache.respond(request, "statistics/transparency.html", build)


ROUTES = [
    statistics_page,
    statistics_cards,
    statistics_csv,
    statistics_xlsx,
    complaints_csv,
    complaints_xlsx,
    monthly_report,
    transparency,
]
