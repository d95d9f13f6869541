"""Statistics rules without a database: periods as days, chart geometry, texts."""

from __future__ import annotations

from datetime import date

from pengaduan import i18n
from pengaduan.statistics import charts
from pengaduan.statistics.filters import StatsFilters, month_range

TODAY = date(2026, 12, 2)


def test_periods_are_half_open_ranges_of_jakarta_days() -> None:
    assert StatsFilters().days(TODAY) == (date(2026, 11, 3), date(2026, 12, 3))
    assert StatsFilters(period="month").days(TODAY) == (date(2026, 12, 1), date(2026, 12, 3))
    assert StatsFilters(period="last_month").days(TODAY) == (date(2026, 11, 1), date(2026, 12, 1))
    assert StatsFilters(period="year").days(TODAY) == (date(2026, 1, 1), date(2026, 12, 3))
    assert StatsFilters(period="all").days(TODAY) == (None, date(2026, 12, 3))
    custom = StatsFilters.from_query({"period": "custom", "from": "2026-01-31", "to": "2026-02-02"})
    assert custom.days(TODAY) == (date(2026, 1, 31), date(2026, 2, 3))


def test_wrong_custom_dates_fall_back_to_the_default_and_say_why() -> None:
    backwards = StatsFilters.from_query(
        {"period": "custom", "from": "2026-02-02", "to": "2026-01-01"}
    )
    assert set(backwards.errors) == {"to"}
    assert backwards.days(TODAY) == StatsFilters().days(TODAY)
    assert set(StatsFilters.from_query({"period": "custom", "from": "x"}).errors) == {"from", "to"}


def test_unknown_values_fall_back_and_the_url_leaves_out_defaults() -> None:
    filters = StatsFilters.from_query({"period": "forever", "unit": "abc", "interval": "hour"})
    assert (filters.period, filters.unit, filters.interval) == ("30", None, "")
    assert filters.query_string() == ""
    assert StatsFilters(period="all", unit=3).query_string() == "period=all&unit=3"


def test_bars_never_exceed_the_drawing_and_keep_their_numbers() -> None:
    chart = charts.bars("c", "Per unit", [{"label": "A", "value": 10}, {"label": "B", "value": 1}])
    widths = [item["width"] for item in chart.items]
    assert widths[0] == charts.WIDTH - 60 and 0 < widths[1] < widths[0]
    assert [item["value_text"] for item in chart.items] == ["10", "1"]
    assert "10" in chart.description and "A" in chart.description


def test_an_empty_chart_says_so() -> None:
    assert charts.bars("c", "Per unit", []).empty
    assert charts.columns("t", "Per day", [{"start": TODAY, "value": 0}], "day").empty


def test_durations_read_in_hours_then_days() -> None:
    i18n.set_locale("en")
    assert charts.duration(5 * 3600) == "5 hours"
    assert charts.duration(3 * 86400) == "3 days"
    assert charts.duration(None) == "—"
    i18n.set_locale("id")
    assert charts.duration(36 * 3600) == "36 jam"


def test_month_of_the_report() -> None:
    assert month_range("2026-02") == (date(2026, 2, 1), date(2026, 3, 1))
    assert month_range("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert month_range("bulan lalu") is None and month_range("9999-12") is None
