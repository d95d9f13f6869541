"""The officers' queue rows kept rendered per process by the JSON text the page's statement
gives each row (handling.queue_rows): a row follows its complaint, its age, the language and
whether the unit shows, and what a reporter wrote stays escaped (issue 13: the queue with the
page cache bypassed)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import httpx

from pengaduan.complaints.tables import Complaint
from pengaduan.handling import queue_routes, queue_rows
from pengaduan.web import pagecache
from tests.factories import make_category, make_complaint_in


def _row(page: httpx.Response, complaint: int) -> str:
    assert page.status_code == 200, page.text
    found = re.search(
        rf'<li class="queue-row[^"]*" id="queue-row-{complaint}".*?</li>', page.text, re.S
    )
    assert found, page.text
    return found.group(0)


async def _fresh(client: httpx.AsyncClient, path: str = "/petugas/antrean") -> httpx.Response:
    """The page rendered again (not given from the page cache)."""
    pagecache.clear()
    return await client.get(path)


async def test_a_kept_queue_row_follows_its_complaint_age_language_and_unit(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    hostile = 'Lampu "mati" <b>&</b> 🚨'
    late = await make_complaint_in(
        d, title=hostile, priority="urgent", due_at=datetime.now(UTC) - timedelta(hours=2)
    )
    other = await make_complaint_in(d, title="Pohon tumbang")
    officer: httpx.AsyncClient = await as_role("officer")
    queue_rows.clear()
    first = _row(await _fresh(officer), late)
    assert queue_rows.kept() == 2
    assert "Lampu &#34;mati&#34; &lt;b&gt;&amp;&lt;/b&gt; 🚨" in first and "<b>" not in first
    assert "is-overdue" in first and "Terlambat" in first and "Mendesak" in first
    assert "Dinas" not in first  # an officer's own unit: not shown
    assert _row(await _fresh(officer), late) == first and queue_rows.kept() == 2

    # The complaint changes: its row at once; the other row is the one kept.
    await Complaint.update({Complaint.title: "Lampu taman menyala"}).where(Complaint.id == late)
    changed = await _fresh(officer)
    assert "Lampu taman menyala" in _row(changed, late) and queue_rows.kept() == 3
    assert "Pohon tumbang" in _row(changed, other)

    # Older: the age's text changes, and with it the row.
    await Complaint.update({Complaint.submitted_at: datetime.now(UTC) - timedelta(days=3)}).where(
        Complaint.id == other
    )
    assert "3 hari" in _row(await _fresh(officer), other)

    # Another language: the same complaint's row in it.
    switched = await officer.post("/bahasa", data={"lang": "en", "next": "/petugas/antrean"})
    assert switched.status_code == 303
    english = _row(await _fresh(officer), late)
    assert "Overdue" in english and "Urgent" in english and "Terlambat" not in english

    # An admin's queue shows the unit: a row of its own.
    admin: httpx.AsyncClient = await as_role("admin")
    assert "Dinas" in _row(await _fresh(admin), late)


async def test_the_kept_filter_form_follows_the_filters_language_and_version(
    app, as_role, unit_data: dict[str, int], count_queries: list[str]
) -> None:
    """With the page cache off the filter form is kept rendered per staff queue version,
    filters and language (queue_routes.FORMS), as the admin list keeps its menus: a new
    category shows at once, each page's form shows its own filters."""
    d = unit_data
    await make_complaint_in(d, title="Got mampet")
    officer: httpx.AsyncClient = await as_role("officer")
    settings = app.state.settings
    app.state.settings = dataclasses.replace(settings, page_cache=False)

    def form(page: httpx.Response) -> str:
        return page.text.split('class="filters card"', 1)[1].split("</form>", 1)[0]

    try:
        queue_routes.FORMS.clear()
        first = form(await officer.get("/petugas/antrean"))
        count_queries.clear()
        assert form(await officer.get("/petugas/antrean")) == first
        assert not any("FROM categories" in sql for sql in count_queries), count_queries
        assert "Jalan Rusak" in first
        # Other filters: the form of its own, the filter chosen.
        urgent = form(await officer.get("/petugas/antrean?priority=urgent"))
        assert urgent != first and re.search(r'value="urgent"[^>]*selected', urgent)
        # A new category raises the version: in the form at once.
        await make_category(d["unit"], "Banjir", deadline_days=3)
        assert "Banjir" in form(await officer.get("/petugas/antrean"))
        # Another language.
        switched = await officer.post("/bahasa", data={"lang": "en", "next": "/petugas/antrean"})
        assert switched.status_code == 303
        english = form(await officer.get("/petugas/antrean"))
        assert "Banjir" in english and english != first
    finally:
        app.state.settings = settings
