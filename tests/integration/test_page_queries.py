"""What a logged-in page costs in SQL statements, rendered from the database (not the page
cache): the account page and the staff complaint page ask a fixed few queries however much
they show (issue 13, item 4). A count that grows back fails here."""

from __future__ import annotations

import httpx
import pytest

from pengaduan.web import pagecache
from tests.conftest import browser_client, log_in
from tests.factories import make_complaint_in, make_response_template


@pytest.fixture
def through_piccolo(monkeypatch: pytest.MonkeyPatch, count_queries: list[str]) -> list[str]:
    """The statements sent through Piccolo (its query builder or `raw`), beside the count:
    the hot pages' reads go straight through asyncpg (database.fetch)."""
    from pengaduan.db import ENGINE

    built: list[str] = []
    counting = ENGINE.run_querystring  # count_queries' wrapper

    async def noting(querystring, in_pool: bool = True):
        built.append(str(querystring))
        return await counting(querystring, in_pool=in_pool)

    monkeypatch.setattr(ENGINE, "run_querystring", noting)
    return built


async def test_the_account_page_costs_two_queries_however_many_sessions(
    app, as_role, count_queries: list[str]
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get("/akun")
    assert page.status_code == 200 and page.text.count("<li>") >= 1
    for _ in range(3):  # more sessions of the same account, each listed on the page
        other = browser_client(app)
        await log_in(other, "warga")
        await other.aclose()
    count_queries.clear()
    page = await citizen.get("/akun")
    assert page.status_code == 200
    assert "Warga" in page.text  # the account
    sessions = page.text.split('id="sess-h"', 1)[1].split("</ul>", 1)[0]
    assert sessions.count("<li>") == 4
    assert sessions.count('class="badge"') == 1  # this device, once
    # The session lookup; the account with its sessions.
    assert len(count_queries) == 2, count_queries


async def test_the_account_page_shows_the_live_sessions_up_to_ten(
    app, as_role, db_dsn: str
) -> None:
    import asyncpg

    from pengaduan.accounts.profile import SESSIONS_SHOWN

    citizen: httpx.AsyncClient = await as_role("citizen")
    for _ in range(SESSIONS_SHOWN + 2):
        other = browser_client(app)
        await log_in(other, "warga")
        await other.aclose()
    conn = await asyncpg.connect(db_dsn)
    try:  # the newest of the others left idle past the timeout: it lets nobody in
        idle = await conn.fetchval(
            "UPDATE sessions SET last_seen_at = now() - interval '2 hours'"
            " WHERE id = (SELECT max(id) FROM sessions) RETURNING id"
        )
        # The others last active in the reverse order of their making (minutes apart).
        await conn.execute(
            "UPDATE sessions SET last_seen_at = now() - make_interval(mins => id::int)"
            " WHERE id <> $1 AND id <> (SELECT min(id) FROM sessions)",
            idle,
        )
        by_activity = [
            row["id"]
            for row in await conn.fetch(
                "SELECT id FROM sessions WHERE id <> $1 AND id <> (SELECT min(id) FROM sessions)"
                " ORDER BY last_seen_at DESC",
                idle,
            )
        ]
    finally:
        await conn.close()
    page = await citizen.get("/akun")
    assert page.status_code == 200
    sessions = page.text.split('id="sess-h"', 1)[1].split("</form>\n</section>", 1)[0]
    listed = sessions.split("</ul>", 1)[0]
    assert listed.count("<li>") == SESSIONS_SHOWN
    assert listed.split("<li>")[1].count('class="badge"') == 1  # this device, first
    assert f"/akun/sesi/{idle}/akhiri" not in listed
    # After this device, the most recently active, in that order.
    shown = [
        int(item.split("/akun/sesi/", 1)[1].split("/", 1)[0]) for item in listed.split("<li>")[2:]
    ]
    assert shown == by_activity[: SESSIONS_SHOWN - 1]
    # This one and 12 others, one of them idle: 12 live, 10 shown.
    assert "dan 2 sesi lain yang lebih lama tidak dipakai" in sessions


async def test_the_account_page_reads_one_row_however_many_sessions(
    app, as_role, db_dsn: str
) -> None:
    """The account's columns (its ciphertexts among them) once, the shown sessions' fields as
    arrays beside them: not the account repeated on a row per session."""
    from datetime import UTC, datetime, timedelta

    import asyncpg

    from pengaduan.accounts import profile

    await as_role("citizen")
    for _ in range(3):
        other = browser_client(app)
        await log_in(other, "warga")
        await other.aclose()
    conn = await asyncpg.connect(db_dsn)
    try:
        user, current = await conn.fetchrow(
            'SELECT u.id, max(s.id_hash) FROM users u JOIN sessions s ON s."user" = u.id'
            " WHERE u.username = 'warga' GROUP BY u.id"
        )
        now = datetime.now(UTC)
        rows = await conn.fetch(
            profile._PROFILE_AND_SESSIONS_SQL, user, now, now - timedelta(minutes=30), current
        )
    finally:
        await conn.close()
    assert len(rows) == 1
    assert rows[0]["sessions"] == 4
    assert len(rows[0]["s_id"]) == len(rows[0]["s_user_agent"]) == 4
    assert rows[0]["s_id_hash"][0] == current  # this device first


@pytest.mark.parametrize("status", ["pending", "in_progress"])
async def test_the_staff_complaint_page_costs_two_queries(
    as_role, unit_data: dict[str, int], count_queries: list[str], status: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, title="Jembatan retak", status=status)
    await make_response_template(d["category"], "Sedang kami tinjau")
    await make_response_template(None, "Untuk semua kategori")
    officer: httpx.AsyncClient = await as_role("officer")
    await officer.get(f"/petugas/pengaduan/{complaint}")
    pagecache.clear()
    count_queries.clear()
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert page.status_code == 200
    assert "Jembatan retak" in page.text
    # The reply templates (the category's and the shared one); the other unit to forward to.
    assert "Sedang kami tinjau" in page.text and "Untuk semua kategori" in page.text
    assert "Dinas Lain" in page.text
    # The session lookup, and the complaint with its timeline and every list the page offers
    # (evidence, templates, units, officers and for an open one the categories) as one.
    assert len(count_queries) == 2, count_queries


async def test_the_citizen_pages_cost_a_fixed_few_queries(
    as_role, unit_data: dict[str, int], count_queries: list[str], through_piccolo: list[str]
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, title="Lampu jalan padam")
    for n in range(3):
        await make_complaint_in(d, title=f"Keluhan lain {n}")
    citizen: httpx.AsyncClient = await as_role("citizen")
    # Path, what it must show, and its queries: the session lookup first, then the complaint
    # with its evidence and its public timeline (status history and public messages) in one;
    # the page of My complaints with their count (one query); the page of notifications.
    for path, shown, expected in (
        (f"/pengaduan/{complaint}", "Lampu jalan padam", 2),
        ("/pengaduan-saya", "Keluhan lain 2", 2),
        ("/notifikasi", "<h1", 2),
    ):
        await citizen.get(path)
        count_queries.clear()
        through_piccolo.clear()
        page = await citizen.get(path)
        assert page.status_code == 200 and shown in page.text, path
        assert len(count_queries) == expected, (path, count_queries)
        assert through_piccolo == [], path


async def test_the_admin_complaint_list_costs_two_queries(
    as_role, unit_data: dict[str, int], count_queries: list[str]
) -> None:
    d = unit_data
    await make_complaint_in(d, title="Trotoar rusak", officer=d["officer2"])
    admin: httpx.AsyncClient = await as_role("admin")
    await admin.get("/admin/pengaduan")
    pagecache.clear()
    count_queries.clear()
    page = await admin.get("/admin/pengaduan")
    assert page.status_code == 200 and "Trotoar rusak" in page.text
    assert "Dinas Lain" in page.text and "Sampah" in page.text  # the unit and category choices
    # The session lookup, and the rows with their count and the units, categories and
    # officers to choose from as one.
    assert len(count_queries) == 2, count_queries


async def test_the_tracking_page_with_number_and_code_costs_one_query_through_asyncpg(
    client: httpx.AsyncClient,
    unit_data: dict[str, int],
    count_queries: list[str],
    through_piccolo: list[str],
) -> None:
    await make_complaint_in(unit_data, number="ADU-2026-000777", title="Got mampet", is_public=True)
    path = "/lacak?nomor=ADU-2026-000777&kode=KODE1234"
    await client.get(path)
    count_queries.clear()
    through_piccolo.clear()
    page = await client.get(path)
    assert page.status_code == 200 and "Got mampet" in page.text
    # The complaint with its public timeline (status history and public messages) in one
    # statement (no session: anonymous).
    assert len(count_queries) == 1, count_queries
    assert through_piccolo == []


async def test_the_admin_complaint_list_keeps_its_rows_rendered_until_they_change(
    as_role, unit_data: dict[str, int]
) -> None:
    from pengaduan.complaints.tables import Complaint
    from pengaduan.handling import admin_list

    complaint = await make_complaint_in(unit_data, title="Saluran tersumbat")
    admin: httpx.AsyncClient = await as_role("admin")
    admin_list.clear()
    page = await admin.get("/admin/pengaduan")
    assert "Saluran tersumbat" in page.text
    assert admin_list.kept() == 1
    assert (await admin.get("/admin/pengaduan")).text == page.text
    await Complaint.update({Complaint.title: "Saluran sudah dibuka"}).where(
        Complaint.id == complaint
    )
    page = await admin.get("/admin/pengaduan")
    assert "Saluran sudah dibuka" in page.text and "Saluran tersumbat" not in page.text


async def test_my_complaints_keeps_its_rows_rendered_until_they_change(
    as_role, unit_data: dict[str, int]
) -> None:
    from pengaduan.complaints import pages
    from pengaduan.complaints.tables import Complaint

    complaint = await make_complaint_in(unit_data, title="Pohon tumbang")
    citizen: httpx.AsyncClient = await as_role("citizen")
    pages._MINE_ROWS.clear()
    page = await citizen.get("/pengaduan-saya")
    assert "Pohon tumbang" in page.text
    assert len(pages._MINE_ROWS) == 1
    page = await citizen.get("/pengaduan-saya")  # the same row again: no new entry
    assert "Pohon tumbang" in page.text and len(pages._MINE_ROWS) == 1
    await Complaint.update({Complaint.status: "verified"}).where(Complaint.id == complaint)
    page = await citizen.get("/pengaduan-saya")
    assert "status-verified" in page.text and "status-pending" not in page.text
