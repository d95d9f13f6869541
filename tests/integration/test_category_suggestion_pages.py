"""The category suggestion in the pages (issue 15): the citizen's form fragment (logged-in
citizens only, rate-limited, quiet when it knows nothing), and the officer's "suggested" mark
with the channel, cleared when an officer verifies the complaint."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from pengaduan.accounts import throttle
from pengaduan.categorising import learning
from tests.factories import make_complaint_in
from tests.support.databases import fetch_rows

HTMX = {"HX-Request": "true"}
ROAD_TEXTS = [
    ("Jalan berlubang di depan pasar", "Aspal rusak, lubang besar, motor jatuh."),
    ("Aspal mengelupas", "Jalan rusak dan berlubang setelah hujan."),
    ("Lubang jalan", "Lubang di aspal makin lebar."),
]
WASTE_TEXTS = [
    ("Sampah menumpuk", "Sampah tidak diangkut, bau menyengat."),
    ("TPS penuh", "Tumpukan sampah di TPS dikerumuni lalat."),
]


@pytest.fixture
async def learned(unit_data: dict[str, int]) -> dict[str, int]:
    for title, body in ROAD_TEXTS:
        await make_complaint_in(
            unit_data, title=title, body=body, status="verified", verified_at=datetime.now(UTC)
        )
    for title, body in WASTE_TEXTS:
        await make_complaint_in(
            unit_data,
            title=title,
            body=body,
            unit=unit_data["other_unit"],
            category=unit_data["other_category"],
            status="verified",
            verified_at=datetime.now(UTC),
        )
    await learning.rebuild()
    return unit_data


async def test_the_form_suggests_a_category_while_the_citizen_types(
    as_role, learned: dict[str, int]
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    form = await citizen.get("/pengaduan/baru")
    # The form fetches the fragment from the title and description; each choice has an id
    # the suggestion's label names.
    assert 'hx-get="/pengaduan/saran-kategori"' in form.text
    assert f'id="f-category-{learned["other_category"]}"' in form.text
    response = await citizen.get(
        "/pengaduan/saran-kategori",
        params={"title": "Sampah belum diangkut", "description": "Bau dan banyak lalat"},
        headers=HTMX,
    )
    assert response.status_code == 200
    labels = response.text.split('for="f-category-')[1:]
    assert labels and labels[0].startswith(f'{learned["other_category"]}"')
    assert "Sampah" in response.text and "<html" not in response.text
    # Nothing it knows, nothing typed: an empty fragment, no noise.
    for params in ({"title": "Halo", "description": "qwerty zxcv"}, {}):
        quiet = await citizen.get("/pengaduan/saran-kategori", params=params, headers=HTMX)
        assert quiet.status_code == 200 and "f-category-" not in quiet.text


async def test_the_fragment_is_for_logged_in_citizens(as_role, learned: dict[str, int]) -> None:
    params = {"title": "Jalan berlubang"}
    anonymous: httpx.AsyncClient = await as_role(None)
    assert (await anonymous.get("/pengaduan/saran-kategori", params=params)).status_code in (
        302,
        303,
        401,
    )
    officer: httpx.AsyncClient = await as_role("officer")
    assert (await officer.get("/pengaduan/saran-kategori", params=params)).status_code == 403


async def test_past_the_hours_allowance_the_form_stops_suggesting(
    as_role, learned: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(throttle.REQUESTS_PER_HOUR, "suggest", 2)
    citizen: httpx.AsyncClient = await as_role("citizen")
    params = {"title": "Jalan berlubang", "description": "aspal rusak"}
    shown = []
    for _ in range(3):
        response = await citizen.get("/pengaduan/saran-kategori", params=params, headers=HTMX)
        assert response.status_code == 200
        shown.append("f-category-" in response.text)
    assert shown == [True, True, False]


async def test_the_officer_sees_a_suggested_category_until_verifying_it(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    complaint = await make_complaint_in(
        unit_data, number="ADU-2026-000501", channel="email", category_suggested=True
    )
    officer: httpx.AsyncClient = await as_role("officer")
    queue = await officer.get("/petugas/antrean")
    row = queue.text.split('id="queue-row-')[1]
    assert 'class="badge suggested"' in row
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    facts = page.text.split('id="complaint-facts"')[1].split("</dl>")[0]
    assert 'class="badge suggested"' in facts
    assert "Surel" in facts or "Email" in facts  # the channel, in the reader's language
    # Verifying keeps the category (the officer confirms it): the mark goes.
    verified = await officer.post(f"/petugas/pengaduan/{complaint}/verifikasi", data={})
    assert verified.status_code == 303
    (row_after,) = await fetch_rows(
        db_dsn, "SELECT category_suggested FROM complaints WHERE id = $1", complaint
    )
    assert row_after["category_suggested"] is False
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert 'class="badge suggested"' not in page.text
    queue = await officer.get("/petugas/antrean")
    assert 'class="badge suggested"' not in queue.text


async def test_a_complaint_from_the_form_shows_no_mark(as_role, unit_data: dict[str, int]) -> None:
    complaint = await make_complaint_in(unit_data)
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert 'class="badge suggested"' not in page.text
    facts = page.text.split('id="complaint-facts"')[1].split("</dl>")[0]
    assert "Formulir web" in facts or "Web form" in facts
