"""The staff complaint page's timeline kept rendered per process by its JSON text and the
language (handling.detail_routes.staff_timeline): a note or a change shows at once, each
language gets its own, what a reporter wrote stays escaped, and a long timeline is rendered
every time instead of kept (issue 13, item 4)."""

from __future__ import annotations

import httpx
import pytest

from pengaduan.handling import detail_routes
from tests.factories import make_complaint_in


def _timeline(page: httpx.Response) -> str:
    assert page.status_code == 200, page.text
    return page.text.split('<ol class="staff-timeline" id="timeline" data-live-part>', 1)[1].split(
        "</ol>", 1
    )[0]


async def test_the_kept_timeline_follows_notes_changes_and_language(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, officer=d["officer"])
    officer: httpx.AsyncClient = await as_role("officer")
    page = f"/petugas/pengaduan/{complaint}"
    detail_routes._TIMELINES.clear()
    first = _timeline(await officer.get(page))
    assert first.count("<li ") == 1 and "Menunggu" in first
    assert _timeline(await officer.get(page)) == first and len(detail_routes._TIMELINES) == 1

    # A note, written as a reporter might have: the timeline shows it at once, escaped.
    note = 'Cek <script>alert("x")</script> & lampiran'
    posted = await officer.post(f"{page}/catatan", data={"note": note})
    assert posted.status_code == 303
    noted = _timeline(await officer.get(page))
    assert noted.count("<li ") == 2 and "badge internal" in noted
    assert "Cek &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; lampiran" in noted
    assert "<script>" not in noted
    # A status change: another entry.
    assert (await officer.post(f"{page}/verifikasi", data={})).status_code == 303
    verified = _timeline(await officer.get(page))
    assert verified.count("<li ") == 3 and "Terverifikasi" in verified

    # Another language: the same timeline in it, kept apart.
    switched = await officer.post("/bahasa", data={"lang": "en", "next": page})
    assert switched.status_code == 303
    english = _timeline(await officer.get(page))
    assert english.count("<li ") == 3 and "Internal note: staff only" in english
    assert "Catatan internal" not in english
    assert len(detail_routes._TIMELINES) == 4


async def test_a_long_timeline_is_rendered_every_time_not_kept(
    as_role, unit_data: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, officer=d["officer"])
    officer: httpx.AsyncClient = await as_role("officer")
    page = f"/petugas/pengaduan/{complaint}"
    posted = await officer.post(f"{page}/catatan", data={"note": "panjang " * 40})
    assert posted.status_code == 303
    monkeypatch.setattr(detail_routes, "TIMELINE_KEPT_CHARS", 200)
    detail_routes._TIMELINES.clear()
    for _ in range(2):
        shown = _timeline(await officer.get(page))
        assert shown.count("<li ") == 2 and "panjang panjang" in shown
    assert len(detail_routes._TIMELINES) == 0
