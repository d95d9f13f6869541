"""Markup rules the browser or the HTML standard holds the templates to: machine-readable times
without microseconds, and no inline style attributes (the Content-Security-Policy blocks them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from pengaduan.settings import project_root
from pengaduan.web.templating import machine_datetime

TEMPLATES = project_root() / "templates"
# HTML's "valid global date and time string": a fraction of a second has at most 3 digits.
GLOBAL_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$"
)


def test_a_machine_readable_moment_has_whole_seconds_and_its_offset() -> None:
    jakarta = timezone(timedelta(hours=7))
    moment = datetime(2026, 12, 4, 17, 15, 2, 439399, tzinfo=UTC)
    assert machine_datetime(moment) == "2026-12-04T17:15:02+00:00"
    assert machine_datetime(moment.astimezone(jakarta)) == "2026-12-05T00:15:02+07:00"
    assert GLOBAL_DATE_TIME.match(machine_datetime(moment))
    assert machine_datetime(None) == ""


def test_every_time_element_takes_its_datetime_from_machine_datetime() -> None:
    found = []
    for path in TEMPLATES.rglob("*.html"):
        for value in re.findall(r'<time[^>]*\sdatetime="([^"]*)"', path.read_text()):
            if not value.startswith("{{ machine_datetime("):
                found.append(f"{path.relative_to(TEMPLATES)}: {value}")
    assert found == [], "use machine_datetime(...) (no microseconds): " + "; ".join(found)


def test_no_page_template_has_an_inline_style_attribute() -> None:
    # Mail is read in mail programs, which need inline styles; pages are served with a CSP.
    found = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).parts[0] != "mail"
        and re.search(r"\sstyle\s*=", path.read_text())
    ]
    assert found == [], "move these styles into static/css/app.css: " + ", ".join(found)
