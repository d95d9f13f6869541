"""The menus of the staff pages (units, categories, officers, reply templates) are rendered once
per distinct content and kept (web.templating.cached_fragment): a kept menu must never outlive
the data it shows, and what is selected in it follows each page, not the page it was first
rendered for."""

from __future__ import annotations

import re

from pengaduan.web import templating
from tests.factories import make_category, make_complaint, make_user
from tests.support.databases import fetch_rows


def _selected(html: str, select_id: str) -> list[str]:
    """The labels of the selected options of the <select id=select_id>."""
    menu = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert menu, select_id
    return re.findall(r"<option [^>]*selected>([^<]*)</option>", menu.group(0))


def _options(html: str, select_id: str) -> list[str]:
    menu = re.search(rf'<select id="{select_id}".*?</select>', html, re.S)
    assert menu, select_id
    # The menus' empty first choice ("—") left out.
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]*)</option>', menu.group(0))


async def test_officer_page_menus_follow_renames_and_each_complaint(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    templating._FRAGMENTS.clear()
    mine = await make_complaint(
        reporter=unit_data["citizen"],
        unit=unit_data["unit"],
        category=unit_data["category"],
        officer=unit_data["officer"],
    )
    second_category = await make_category(unit_data["unit"], "Drainase")
    other = await make_complaint(
        reporter=unit_data["citizen"],
        unit=unit_data["unit"],
        category=second_category,
        officer=unit_data["officer2"],
    )
    admin = await as_role("admin")

    page = (await admin.get(f"/petugas/pengaduan/{mine}")).text
    assert _selected(page, "f-category") == ["Jalan Rusak"]
    assert _selected(page, "f-officer") == ["Petugas"]
    assert "Dinas Uji" not in _options(page, "f-unit")  # its own unit is no forward target
    assert _options(page, "f-unit") == ["Dinas Lain"]

    # The same menus for another complaint: its own category and officer are selected.
    page = (await admin.get(f"/petugas/pengaduan/{other}")).text
    assert _selected(page, "f-category") == ["Drainase"]
    assert _selected(page, "f-officer") == ["Petugas2"]

    # Renamed data shows at once: the kept menus are keyed by what they show.
    await fetch_rows(
        db_dsn,
        "UPDATE categories SET name = 'Jalan Berlubang' WHERE id = $1",
        unit_data["category"],
    )
    await fetch_rows(
        db_dsn, "UPDATE units SET name = 'Dinas Kebersihan' WHERE id = $1", unit_data["other_unit"]
    )
    await fetch_rows(
        db_dsn, "UPDATE users SET full_name = 'Budi' WHERE id = $1", unit_data["officer"]
    )
    new_officer = await make_user("officer", "petugas.baru", unit=unit_data["unit"])
    page = (await admin.get(f"/petugas/pengaduan/{mine}")).text
    assert _selected(page, "f-category") == ["Jalan Berlubang"]
    assert _options(page, "f-unit") == ["Dinas Kebersihan"]
    assert _selected(page, "f-officer") == ["Budi"]
    assert "Petugas.Baru" in _options(page, "f-officer")
    assert new_officer
    # Forwarding lists the other unit's categories under it.
    assert '<optgroup label="Dinas Kebersihan"><option value="' in page


async def test_admin_list_menus_follow_filters_and_workload(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    templating._FRAGMENTS.clear()
    admin = await as_role("admin")
    page = (await admin.get("/admin/pengaduan")).text
    assert _selected(page, "f-officer") == []
    assert "Petugas (0 terbuka)" in page or "Petugas (0 open)" in page

    filtered = (await admin.get(f"/admin/pengaduan?unit={unit_data['other_unit']}")).text
    units = re.search(r'<select name="unit".*?</select>', filtered, re.S).group(0)
    assert re.findall(r"<option [^>]*selected>([^<]*)</option>", units) == ["Dinas Lain"]
    unfiltered = (await admin.get("/admin/pengaduan")).text
    units = re.search(r'<select name="unit".*?</select>', unfiltered, re.S).group(0)
    assert re.findall(r"<option [^>]*selected>([^<]*)</option>", units) == []

    # An officer's open complaints change: the menu counts them again.
    await make_complaint(
        reporter=unit_data["citizen"],
        unit=unit_data["unit"],
        category=unit_data["category"],
        officer=unit_data["officer"],
    )
    page = (await admin.get("/admin/pengaduan")).text
    assert re.search(r"Petugas \(1 (terbuka|open)\)", page)
    await fetch_rows(
        db_dsn, "UPDATE categories SET name = 'Got Mampet' WHERE id = $1", unit_data["category"]
    )
    page = (await admin.get("/admin/pengaduan")).text
    categories = re.search(r'<select name="category".*?</select>', page, re.S).group(0)
    assert "Got Mampet" in categories and "Jalan Rusak" not in categories


async def test_kept_timeline_entries_follow_the_audience_and_new_messages(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    """One message, kept per audience: the reporter's page names the officer, the tracking
    page (anyone with the number and code) never does; a new message shows at once."""
    templating._FRAGMENTS.clear()
    complaint = await make_complaint(
        reporter=unit_data["citizen"],
        unit=unit_data["unit"],
        category=unit_data["category"],
        tracking_code="ABCD2345",
    )
    (row,) = await fetch_rows(db_dsn, "SELECT number FROM complaints WHERE id = $1", complaint)
    await fetch_rows(
        db_dsn,
        "INSERT INTO messages (complaint, author, body, visibility, is_official_response,"
        " created_at) VALUES ($1, $2, 'Kami cek besok.', 'public', false, now())",
        complaint,
        unit_data["officer"],
    )
    await fetch_rows(
        db_dsn, "UPDATE users SET full_name = 'Budi Santoso' WHERE id = $1", unit_data["officer"]
    )
    citizen = await as_role("citizen")
    anonymous = await as_role(None)
    tracking = f"/lacak?nomor={row['number']}&kode=ABCD2345"
    for _ in range(2):  # the second time from the kept entries
        mine = (await citizen.get(f"/pengaduan/{complaint}")).text
        tracked = (await anonymous.get(tracking)).text
        assert "Kami cek besok." in mine and "Kami cek besok." in tracked
        assert "Budi Santoso" in mine.split('id="timeline"')[1]
        assert "Budi Santoso" not in tracked.split('id="timeline"')[1]

    await fetch_rows(
        db_dsn,
        "INSERT INTO messages (complaint, author, body, visibility, is_official_response,"
        " created_at) VALUES ($1, $2, 'Sudah diperbaiki.', 'public', true, now())",
        complaint,
        unit_data["officer"],
    )
    assert "Sudah diperbaiki." in (await anonymous.get(tracking)).text
