"""The admin complaint list's rows kept rendered (handling.admin_list): once per distinct row,
and a new one as soon as anything a row shows is different: its language, whether it is
ticked, its age's text, or the complaint (issue 13, item 4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from pengaduan.complaints.tables import Complaint
from pengaduan.handling import admin_list, queue, queue_columns
from tests.factories import make_complaint_in
from tests.support.databases import fetch_rows


def _row(page: httpx.Response, complaint: int) -> str:
    assert page.status_code in (200, 422), page.text
    found = re.search(rf'<tr id="complaint-{complaint}".*?</tr>', page.text, re.S)
    assert found, complaint
    return found.group(0)


async def test_a_kept_row_follows_language_ticks_age_and_the_complaint(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, title="Lampu taman mati")
    other = await make_complaint_in(d, title="Pohon tumbang")
    admin: httpx.AsyncClient = await as_role("admin")
    admin_list.clear()
    first = _row(await admin.get("/admin/pengaduan"), complaint)
    assert admin_list.kept() == 2
    assert _row(await admin.get("/admin/pengaduan"), complaint) == first
    assert admin_list.kept() == 2
    assert 'aria-label="Pilih' in first and " checked" not in first

    # Ticked: a refused bulk assignment gives the list back with the selection.
    refused = await admin.post(
        "/admin/pengaduan/tugaskan", data={"complaint": [str(complaint)], "officer": "", "back": ""}
    )
    assert refused.status_code == 422
    assert " checked>" in _row(refused, complaint) and " checked" not in _row(refused, other)
    assert " checked" not in _row(await admin.get("/admin/pengaduan"), complaint)

    # Older: the age's text changes, and with it the row.
    await Complaint.update({Complaint.submitted_at: datetime.now(UTC) - timedelta(days=3)}).where(
        Complaint.id == complaint
    )
    aged = _row(await admin.get("/admin/pengaduan"), complaint)
    assert "3 hari" in aged and aged != first

    # Another language: the same complaint's row in it.
    switched = await admin.post("/bahasa", data={"lang": "en", "next": "/admin/pengaduan"})
    assert switched.status_code == 303
    english = _row(await admin.get("/admin/pengaduan"), complaint)
    assert 'aria-label="Select' in english and "3 days ago" in english

    # The complaint changes: its row at once.
    await Complaint.update({Complaint.title: "Lampu taman menyala lagi"}).where(
        Complaint.id == complaint
    )
    assert "Lampu taman menyala lagi" in _row(await admin.get("/admin/pengaduan"), complaint)


async def test_an_empty_page_still_has_its_count_and_choices(
    as_role, unit_data: dict[str, int]
) -> None:
    """The page, its count and the choices come in one statement (queue.page_sql): a page
    with no rows still brings the count and the choices."""
    d = unit_data
    for title in ("Got mampet", "Lampu padam"):
        await make_complaint_in(d, title=title)
    admin: httpx.AsyncClient = await as_role("admin")
    for path, count in (("/admin/pengaduan?page=3", "2"), ("/admin/pengaduan?q=tiada", "0")):
        page = await admin.get(path)
        assert page.status_code == 200
        assert (
            '<td colspan="6" class="muted">' in page.text and '<tr id="complaint-' not in page.text
        )
        counted = re.search(r'<p class="muted" id="complaint-count">(\d+)', page.text)
        assert counted and counted.group(1) == count, path
        # The choices: units, categories and officers.
        assert "Dinas Lain" in page.text and "Sampah" in page.text
        assert re.search(r'<option value="\d+">Petugas2 \(', page.text)


async def test_a_word_found_nowhere_costs_no_page_statement(
    as_role, unit_data: dict[str, int], count_queries: list[str]
) -> None:
    """The search finds no complaint: the page, empty, with its count 0 and the kept
    choices, comes without asking PostgreSQL for a page of nothing (queue.page_records)."""
    d = unit_data
    await make_complaint_in(d, title="Got mampet")
    admin: httpx.AsyncClient = await as_role("admin")
    admin_list.clear()
    await admin.get("/admin/pengaduan")  # the choices, kept
    officer: httpx.AsyncClient = await as_role("officer")
    for client, path in (
        (admin, "/admin/pengaduan?q=tiadakata"),
        (officer, "/petugas/antrean?q=tiadakata"),
    ):
        count_queries.clear()
        page = await client.get(path)
        assert page.status_code == 200, path
        searches = [sql for sql in count_queries if "FROM complaints c" in sql]
        assert len(searches) == 1 and "LIMIT 1001" in searches[0], count_queries
        assert '<tr id="complaint-' not in page.text and "Got mampet" not in page.text
    kept = await admin.get("/admin/pengaduan?q=tiadakata")
    assert re.search(r'<p class="muted" id="complaint-count">0', kept.text), kept.text
    assert "Dinas Lain" in kept.text and re.search(r'<option value="\d+">Petugas2 \(', kept.text)
    # A word that is found: its page, from PostgreSQL.
    count_queries.clear()
    found = await admin.get("/admin/pengaduan?q=mampet")
    assert "Got mampet" in found.text
    assert len([sql for sql in count_queries if "FROM complaints c" in sql]) == 2


async def test_the_kept_menus_follow_renames_and_the_chosen_officer(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    await make_complaint_in(d, title="Got mampet")
    admin: httpx.AsyncClient = await as_role("admin")
    admin_list.clear()
    page = (await admin.get("/admin/pengaduan")).text
    assert '<option value="{}">Dinas Lain</option>'.format(d["other_unit"]) in page
    assert re.search(r'<option value="\d+">Petugas2 \(', page)
    await fetch_rows(db_dsn, "UPDATE units SET name = 'Dinas Baru' WHERE id = $1", d["other_unit"])
    await fetch_rows(
        db_dsn, "UPDATE users SET full_name = 'Petugas Dua' WHERE id = $1", d["officer2"]
    )
    page = (await admin.get("/admin/pengaduan")).text
    assert '<option value="{}">Dinas Baru</option>'.format(d["other_unit"]) in page
    assert "Dinas Lain" not in page
    assert re.search(r'<option value="\d+">Petugas Dua \(', page) and "Petugas2" not in page
    # The officer chosen in a refused form stays chosen; the next page chooses none.
    refused = await admin.post(
        "/admin/pengaduan/tugaskan",
        data={"complaint": [], "officer": str(d["officer2"]), "back": ""},
    )
    assert refused.status_code == 422, refused.text
    assert f'<option value="{d["officer2"]}" selected>' in refused.text
    assert " selected>Petugas Dua" not in (await admin.get("/admin/pengaduan")).text


async def test_the_choices_are_read_again_only_when_the_admins_queue_version_changes(
    as_role, unit_data: dict[str, int], count_queries: list[str]
) -> None:
    """The units, categories and officers (with their open counts) are kept under the admin's
    queue version: the page's statement leaves them out until a change raises it."""
    d = unit_data
    await make_complaint_in(d, title="Got mampet")
    admin: httpx.AsyncClient = await as_role("admin")
    admin_list.clear()

    def reads_choices() -> bool:
        page_statements = [sql for sql in count_queries if "FROM complaints c" in sql]
        assert len(page_statements) == 1, count_queries
        return "AS officers" in page_statements[0]

    def open_count(page: httpx.Response) -> str:
        found = re.search(
            r'<option value="{}">Petugas2 \(([^)]*)\)'.format(d["officer2"]), page.text
        )
        assert found, page.text
        return found.group(1)

    count_queries.clear()
    page = await admin.get("/admin/pengaduan")
    assert reads_choices() and open_count(page) == "0 terbuka"
    count_queries.clear()
    kept = await admin.get("/admin/pengaduan")
    assert not reads_choices()
    assert "Dinas Lain" in kept.text and "Sampah" in kept.text and open_count(kept) == "0 terbuka"
    # A complaint given to the officer raises the version: its open count is read again.
    await make_complaint_in(d, title="Lampu padam", officer=d["officer2"])
    count_queries.clear()
    page = await admin.get("/admin/pengaduan")
    assert reads_choices() and open_count(page) == "1 terbuka"
    # A new officer raises it too (migration 2026-12-05T12:00): they are in the menu at once.
    form = {
        "role": "officer",
        "full_name": "Budi Santoso",
        "username": "budi.santoso",
        "email": "budi@pemkot.go.id",
        "nip": "198501012010011001",
        "unit": str(d["other_unit"]),
    }
    assert (await admin.post("/admin/pengguna/baru", data=form)).status_code == 303
    count_queries.clear()
    page = await admin.get("/admin/pengaduan")
    assert reads_choices() and re.search(r'<option value="\d+">Budi Santoso \(0 terbuka', page.text)


async def test_a_new_citizen_leaves_the_queue_versions_alone_a_new_officer_raises_them(
    unit_data: dict[str, int], db_dsn: str
) -> None:
    """Citizens register all day and no queue shows them; a new staff account is in menus."""
    version = "SELECT coalesce(sum(version), 0) AS v FROM queue_versions"
    insert = (
        "INSERT INTO users (username, full_name, role, unit, password_hash, is_active)"
        " VALUES ($1, $2, $3, $4, '', true)"
    )
    (before,) = await fetch_rows(db_dsn, version)
    await fetch_rows(db_dsn, insert, "warga.baru", "Warga Baru", "citizen", None)
    (after_citizen,) = await fetch_rows(db_dsn, version)
    assert after_citizen["v"] == before["v"]
    await fetch_rows(db_dsn, insert, "petugas.baru", "Petugas Baru", "officer", unit_data["unit"])
    (after_officer,) = await fetch_rows(db_dsn, version)
    assert after_officer["v"] > before["v"]


async def test_packed_rows_hold_what_the_columns_hold(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    """The list reads each row as one JSON text (queue.page_sql's `packed`): unpacked, a row
    is what the columns give, whatever its title holds, with or without a due date or an
    officer; and the page shows it escaped."""
    d = unit_data
    hostile = 'Lampu "mati" <b>&</b> \\ 🚨 jalan\u2028rusak'
    overdue = await make_complaint_in(
        d,
        title=hostile,
        officer=d["officer2"],
        priority="urgent",
        due_at=datetime.now(UTC) - timedelta(days=1, microseconds=7),
    )
    await make_complaint_in(d, title="Got mampet", status="verified")
    no_due = await make_complaint_in(d, title="Pohon tumbang")
    await fetch_rows(db_dsn, "UPDATE complaints SET due_at = NULL WHERE id = $1", no_due)
    filters = queue.QueueFilters.from_query({}, default_view="all")
    plain = await queue.page_records(filters, officer_id=None, unit_id=None)
    packed = await queue.page_records(filters, officer_id=None, unit_id=None, packed=True)
    assert packed.fields == ("id", "packed", "age") and packed.total == plain.total == 3
    for columns, (complaint_id, text, age) in zip(plain.rows, packed.rows, strict=True):
        by_name = dict(zip(plain.fields, columns, strict=True))
        assert complaint_id == by_name["id"]
        assert abs(age - by_name["age"]) < timedelta(minutes=1)  # two statements' now()
        assert queue_columns.unpacked(text) == {name: by_name[name] for name in queue.PACKED_FIELDS}
    unpacked = {row[0]: queue_columns.unpacked(row[1]) for row in packed.rows}
    assert unpacked[overdue]["title"] == hostile and unpacked[overdue]["is_overdue"] is True
    assert unpacked[no_due]["due_at"] is None

    admin: httpx.AsyncClient = await as_role("admin")
    admin_list.clear()
    row = _row(await admin.get("/admin/pengaduan"), overdue)
    assert "Lampu &#34;mati&#34; &lt;b&gt;&amp;&lt;/b&gt; \\ 🚨" in row and "<b>" not in row
    assert "Petugas2" in row and "Terlambat" in row
    assert "—" in _row(await admin.get("/admin/pengaduan"), no_due)
