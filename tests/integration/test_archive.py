"""The public archive (list, search, filters, detail) and similar complaints, on real PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan import db, demo
from pengaduan.archive import services
from pengaduan.archive.filters import ArchiveFilters
from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE
from pengaduan.settings import Settings
from tests.factories import make_unit, make_user

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@pytest.fixture
async def world(app: Litestar) -> dict[str, int]:
    """Two units with a category each, a named reporter with contact data, an officer."""
    roads = await make_unit("Dinas PUPR")
    waste = await make_unit("Dinas Lingkungan Hidup")
    reporter = await make_user("citizen", "siti", email="siti.aminah@contoh.id")
    await Complaint.raw(
        "UPDATE users SET full_name = 'Siti Aminah Lestari', phone_encrypted = 'PHONE-SECRET',"
        " address_encrypted = 'ADDRESS-SECRET', nik_encrypted = 'NIK-SECRET' WHERE id = {}",
        reporter,
    )
    officer = await make_user("officer", "budi", unit=roads)
    ids = {"roads": roads, "waste": waste, "reporter": reporter, "officer": officer}
    for key, name, icon, unit in (
        ("road_cat", "Jalan Rusak", "🛣️", roads),
        ("waste_cat", "Sampah", "🗑️", waste),
    ):
        rows = await Complaint.raw(
            "INSERT INTO categories (name, description, icon, is_active, default_unit,"
            " deadline_days, created_at, updated_at) VALUES ({}, '', {}, true, {}, 7, now(), now())"
            " RETURNING id",
            name,
            icon,
            unit,
        )
        ids[key] = rows[0]["id"]
    return ids


async def add_complaint(
    world: dict[str, int],
    title: str,
    body: str = "Mohon segera ditindaklanjuti.",
    *,
    status: str = "pending",
    public: bool = True,
    anonymous: bool = False,
    category: str = "road_cat",
    location: str = "Jl. Merdeka, Bandung",
    submitted: datetime | None = None,
) -> dict[str, Any]:
    number = f"ADU-2026-{next(_numbers):06d}"
    unit = world["roads"] if category == "road_cat" else world["waste"]
    rows = await Complaint.raw(
        "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
        " location_text, status, priority, citizen_urgency, is_anonymous, is_public,"
        " submitted_at, updated_at)"
        " VALUES ({}, 'TRACK123', {}, {}, {}, {}, {}, {}, {}, 'normal', 'normal', {}, {}, {}, {})"
        " RETURNING id",
        number,
        world["reporter"],
        world[category],
        unit,
        title,
        body,
        location,
        status,
        anonymous,
        public,
        submitted or NOW,
        submitted or NOW,
    )
    return {"id": rows[0]["id"], "number": number}


async def add_history(
    complaint_id: int, old: str | None, new: str, by: int, note: str = ""
) -> None:
    await Complaint.raw(
        "INSERT INTO status_history (complaint, old_status, new_status, changed_by, note,"
        " changed_at) VALUES ({}, {}, {}, {}, {}, now())",
        complaint_id,
        old,
        new,
        by,
        note,
    )


async def add_message(
    complaint_id: int, author: int, body: str, visibility: str = "public", official: bool = False
) -> None:
    await Complaint.raw(
        "INSERT INTO messages (complaint, author, body, visibility, is_official_response,"
        " created_at) VALUES ({}, {}, {}, {}, {}, now())",
        complaint_id,
        author,
        body,
        visibility,
        official,
    )


def numbers_in(html: str) -> list[str]:
    """Complaint numbers linked from a page, in order (each once)."""
    return list(dict.fromkeys(re.findall(r'href="/arsip/(ADU-\d{4}-\d{6})"', html)))


def count_in(html: str) -> int:
    match = re.search(r'id="archive-count">(\d+)', html)
    assert match, html
    return int(match.group(1))


@pytest.fixture
async def visitor(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """An anonymous visitor reading in English (the texts tests look for)."""
    client.cookies.set("lang", "en")
    return client


# --- the list ----------------------------------------------------------------------------------


async def test_archive_lists_public_complaints_newest_first_without_private_or_withdrawn(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    old = await add_complaint(world, "Lampu jalan mati", submitted=NOW - timedelta(days=3))
    new = await add_complaint(world, "Trotoar rusak", status="in_progress")
    private = await add_complaint(world, "Jalan rahasia pribadi", public=False)
    withdrawn = await add_complaint(world, "Sudah dicabut", status="withdrawn")

    response = await visitor.get("/arsip")
    assert response.status_code == 200
    assert numbers_in(response.text) == [new["number"], old["number"]]
    assert count_in(response.text) == 2
    for hidden in (private, withdrawn):
        assert hidden["number"] not in response.text
    assert "Jalan rahasia pribadi" not in response.text
    assert "Dinas PUPR" in response.text and "Jalan Rusak" in response.text
    assert 'class="badge status-in_progress"' in response.text


async def test_search_finds_word_variants_through_indonesian_stemming(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    big = await add_complaint(world, "Jalan berlubang besar membahayakan pengendara")
    hole = await add_complaint(world, "Ada lubang di jalan depan sekolah")
    repair = await add_complaint(world, "Mohon jembatan segera diperbaiki")
    await add_complaint(world, "Sampah menumpuk di TPS", category="waste_cat")

    found = numbers_in((await visitor.get("/arsip", params={"q": "jalan berlubang"})).text)
    assert sorted(found) == sorted([big["number"], hole["number"]])

    found = numbers_in((await visitor.get("/arsip", params={"q": "perbaikan"})).text)
    assert found == [repair["number"]]
    found = numbers_in((await visitor.get("/arsip", params={"q": "baik"})).text)
    assert found == [repair["number"]]


async def test_search_ranks_the_closest_match_first(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    weak = await add_complaint(
        world, "Saluran air tersumbat", "Air meluap sampai ke jalan.", submitted=NOW
    )
    strong = await add_complaint(
        world,
        "Jalan rusak, jalan berlubang",
        "Jalan di depan pasar rusak parah, jalan makin berlubang.",
        submitted=NOW - timedelta(days=30),
    )
    found = numbers_in((await visitor.get("/arsip", params={"q": "jalan"})).text)
    assert found == [strong["number"], weak["number"]]


async def test_private_complaints_never_appear_in_search_or_counts(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    public = await add_complaint(world, "Jalan berlubang di Gg. Mawar")
    private = await add_complaint(world, "Jalan berlubang di rumah saya", public=False)
    response = await visitor.get("/arsip", params={"q": "jalan berlubang"})
    assert numbers_in(response.text) == [public["number"]]
    assert count_in(response.text) == 1
    assert private["number"] not in response.text
    home = await visitor.get("/")
    assert private["number"] not in home.text and public["number"] in home.text


async def test_filters_by_category_status_period_and_location(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    a = await add_complaint(
        world,
        "Lubang di Jl. Dago",
        location="Jl. Dago No. 5, Coblong",
        status="resolved",
        submitted=datetime(2026, 1, 15, 3, tzinfo=UTC),
    )
    b = await add_complaint(
        world,
        "Sampah di Cicadas",
        category="waste_cat",
        location="Kel. Cicadas",
        submitted=datetime(2026, 2, 20, 3, tzinfo=UTC),
    )
    # 23:30 in Jakarta on 28 February is still the 28th there (16:30 UTC).
    c = await add_complaint(
        world,
        "Sampah di pasar",
        category="waste_cat",
        location="Pasar Kosambi",
        status="closed",
        submitted=datetime(2026, 2, 28, 16, 30, tzinfo=UTC),
    )

    async def found(**params: str) -> list[str]:
        response = await visitor.get("/arsip", params=params)
        assert response.status_code == 200, response.text
        return sorted(numbers_in(response.text))

    assert await found(category=str(world["waste_cat"])) == sorted([b["number"], c["number"]])
    assert await found(status="resolved") == [a["number"]]
    assert await found(**{"from": "2026-02-01", "to": "2026-02-28"}) == sorted(
        [b["number"], c["number"]]
    )
    assert await found(**{"to": "2026-02-27"}) == sorted([a["number"], b["number"]])
    assert await found(location="cicadas") == [b["number"]]
    assert await found(location="100%") == []  # LIKE wildcards are taken literally
    assert await found(category=str(world["waste_cat"]), status="closed") == [c["number"]]
    assert await found(q="sampah", location="pasar") == [c["number"]]


async def test_filter_state_lives_in_the_url_and_the_form_keeps_it(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    await add_complaint(world, "Sampah di Cicadas", category="waste_cat", location="Cicadas")
    response = await visitor.get(
        "/arsip",
        params={"q": "sampah", "category": str(world["waste_cat"]), "location": "Cicadas"},
    )
    html = response.text
    assert 'name="q" type="search" value="sampah"' in html
    assert f'<option value="{world["waste_cat"]}" selected>' in html
    assert 'value="Cicadas"' in html
    assert '<form method="get" action="/arsip"' in html


async def test_an_invalid_date_is_shown_beside_its_field_and_ignored(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    a = await add_complaint(world, "Jalan retak")
    response = await visitor.get("/arsip", params={"from": "kemarin", "q": "jalan"})
    assert response.status_code == 422
    assert 'id="e-from"' in response.text and 'value="kemarin"' in response.text
    assert numbers_in(response.text) == [a["number"]]
    response = await visitor.get("/arsip", params={"from": "2026-03-01", "to": "2026-02-01"})
    assert response.status_code == 422 and 'id="e-to"' in response.text


async def test_pagination_shows_twenty_a_page(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    made = [
        await add_complaint(world, f"Jalan rusak nomor {i}", submitted=NOW - timedelta(hours=i))
        for i in range(45)
    ]
    first = await visitor.get("/arsip")
    assert numbers_in(first.text) == [m["number"] for m in made[:20]]
    assert count_in(first.text) == 45
    assert 'href="/arsip?page=2"' in first.text
    third = await visitor.get("/arsip", params={"page": "3"})
    assert numbers_in(third.text) == [m["number"] for m in made[40:]]
    assert 'href="/arsip?page=2"' in third.text and "page=4" not in third.text
    searched = await visitor.get("/arsip", params={"q": "jalan", "page": "2"})
    assert len(numbers_in(searched.text)) == 20
    assert 'href="/arsip?q=jalan&amp;page=3"' in searched.text
    beyond = await visitor.get("/arsip", params={"page": "99"})
    assert beyond.status_code == 200 and numbers_in(beyond.text) == []


async def test_an_htmx_request_gets_only_the_results_with_vary(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    a = await add_complaint(world, "Jalan berlubang")
    response = await visitor.get("/arsip", params={"q": "lubang"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "<form" not in response.text
    assert numbers_in(response.text) == [a["number"]]
    assert "HX-Request" in response.headers["vary"]
    # The address htmx pushes is the short one (a GET form sends every empty field too).
    assert response.headers["hx-push-url"] == "/arsip?q=lubang"
    page = await visitor.get("/arsip")
    assert "<html" in page.text and "HX-Request" in page.headers["vary"]
    assert "hx-push-url" not in page.headers


def test_the_filter_address_keeps_every_value_but_the_first_page() -> None:
    filters = ArchiveFilters.from_query(
        {"q": "jalan", "category": "1", "status": "closed", "from": "2026-01-01", "page": "1"}
    )
    assert filters.query_string() == "q=jalan&category=1&status=closed&from=2026-01-01"
    assert filters.query_string(page=2).endswith("&page=2")
    assert ArchiveFilters.from_query({"page": "x", "status": "bogus"}).query_string() == ""


async def test_the_list_page_makes_the_same_few_queries_for_any_number_of_rows(
    visitor: httpx.AsyncClient, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    original = ENGINE.run_querystring

    async def counting(querystring, in_pool: bool = True):  # a spy, the query still runs
        queries.append(str(querystring))
        return await original(querystring, in_pool)

    monkeypatch.setattr(ENGINE, "run_querystring", counting)

    async def queries_for_list() -> int:
        queries.clear()
        assert (await visitor.get("/arsip")).status_code == 200
        return len(queries)

    await add_complaint(world, "Satu")
    with_one = await queries_for_list()
    for i in range(25):
        complaint = await add_complaint(world, f"Keluhan {i}", status="resolved")
        await add_message(complaint["id"], world["officer"], "Sudah selesai.", official=True)
    assert await queries_for_list() == with_one
    assert with_one <= 3  # rows, count, categories for the form


# --- the search index ----------------------------------------------------------------------------


async def fill_archive(world: dict[str, int], rows: int, holes_every: int = 100) -> None:
    """Many complaints (mostly public; one in `holes_every` about holes in roads, the others
    about queues), then fresh statistics."""
    await Complaint.raw(
        "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
        " location_text, status, priority, citizen_urgency, is_anonymous, is_public,"
        " submitted_at, updated_at)"
        " SELECT 'ADU-2025-' || lpad(i::text, 6, '0'), 'T', {}, {}, {},"
        " CASE WHEN i % {} = 0 THEN 'Jalan berlubang ' || i ELSE 'Antrean puskesmas ' || i END,"
        " 'Keterangan lengkap nomor ' || i, 'Kel. Sukajadi', 'pending', 'normal', 'normal',"
        " false, i % 7 <> 0, now() - i * interval '1 hour', now()"
        " FROM generate_series(1, {}) AS i",
        world["reporter"],
        world["road_cat"],
        world["roads"],
        holes_every,
        rows,
    )
    await Complaint.raw("ANALYZE complaints")


async def test_the_search_uses_the_full_text_gin_index(world: dict[str, int]) -> None:
    await fill_archive(world, 20_000)
    # What autovacuum does on a live server: the new rows move from the GIN pending list
    # into the index proper (the planner prices a long pending list as slow).
    await Complaint.raw("SELECT gin_clean_pending_list('complaints_search')")
    filters = ArchiveFilters.from_query({"q": "berlubang"})
    rows_sql, row_args, count_sql, count_args = services.archive_queries(filters)
    for sql, args in ((rows_sql, row_args), (count_sql, count_args)):
        async with ENGINE.transaction():
            await Complaint.raw("SELECT set_config('enable_seqscan', 'off', true)")
            plan = await db.fetch("EXPLAIN " + sql, *args)
        lines = [row["QUERY PLAN"] for row in plan]
        assert any("Bitmap Index Scan on complaints_search" in line for line in lines), "\n".join(
            lines
        )
    found = await services.search_archive(filters)
    assert found.total == 172 and len(found.rows) == 20  # every 100th, minus the private 700th
    assert found.pages == 9 and found.has_next and not found.capped


async def test_similar_complaints_read_a_bounded_window_not_every_match(
    world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 20,000 open complaints, most of them public and sharing the words typed: no step of the
    # statement reads (or ranks) much more than the newest SIMILAR_WINDOW.
    monkeypatch.setattr(services, "SIMILAR_WINDOW", 500)
    await fill_archive(world, 20_000, holes_every=2)
    await Complaint.raw("SELECT gin_clean_pending_list('complaints_search')")
    # Words half the complaints hold, then words as common but never together (titles are
    # "Antrean puskesmas <n>" or "Jalan berlubang <n>"): the older ones that hold every word
    # are then looked for through the full-text index, not by walking every open complaint
    # in search of them (1.2 s at a million complaints).
    for title, found in (("antrean puskesmas", 5), ("antrean berlubang", 5)):
        window = services.similar_query(title)
        summary = (await db.fetch(*window))[0]
        statements = [window]
        if summary["full_matches"] < services.SIMILAR_LIMIT:  # as similar_open decides
            statements.append(services.older_similar_query(window, summary["oldest"]))
        assert len(statements) == (1 if title == "antrean puskesmas" else 2)
        for sql, *values in statements:
            async with ENGINE.transaction():
                if sql is not window[0]:  # as similar_open asks for them
                    await db.execute(services.ONLY_BITMAP_SCANS)
                plan = await db.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *values)
            nodes = [json.loads(plan[0]["QUERY PLAN"])[0]["Plan"]]
            while nodes:
                node = nodes.pop()
                nodes.extend(node.get("Plans", []))
                # What a step read: what it gave, and what it read and threw away (the
                # window's walk passes over the private ones, one in seven).
                read = sum(node.get(k, 0) for k in ("Actual Rows", "Rows Removed by Filter"))
                assert read * node.get("Actual Loops", 1) <= 600, (title, node)
        assert len(await services.similar_open(title)) == found


# --- the detail page ------------------------------------------------------------------------------


async def test_detail_shows_the_public_timeline_and_highlights_the_official_response(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    c = await add_complaint(world, "Jalan berlubang besar", "Lubang satu meter.", status="resolved")
    await add_history(c["id"], None, "pending", world["reporter"])
    await add_history(c["id"], "pending", "verified", world["officer"], "catatan kerja petugas")
    await add_message(c["id"], world["officer"], "Tim kami akan meninjau lokasi.")
    await add_message(c["id"], world["officer"], "RAHASIA: anggaran habis", visibility="internal")
    await add_message(c["id"], world["reporter"], "Terima kasih, mohon segera.")
    await add_history(c["id"], "in_progress", "resolved", world["officer"])
    await add_message(c["id"], world["officer"], "Lubang sudah ditambal.", official=True)
    await Complaint.raw(
        "INSERT INTO evidence_files (complaint, original_name, storage_key, mime_type, size,"
        " sha256, uploaded_by, uploaded_at) VALUES ({}, 'foto-rumah-saya.jpg', 'abc123',"
        " 'image/jpeg', 10, 'ff', {}, now())",
        c["id"],
        world["reporter"],
    )

    response = await visitor.get(f"/arsip/{c['number']}")
    assert response.status_code == 200
    html = response.text
    for shown in (
        "Jalan berlubang besar",
        "Lubang satu meter.",
        "Tim kami akan meninjau lokasi.",
        "Terima kasih, mohon segera.",
        "Jalan Rusak",
        "Dinas PUPR",
        "Jl. Merdeka, Bandung",
    ):
        assert shown in html, shown
    assert re.search(r'id="official-response".*Lubang sudah ditambal\.', html, re.S)
    assert 'class="timeline-message official"' in html
    assert '<dd id="reporter">Siti A.</dd>' in html
    for hidden in (
        "RAHASIA",
        "catatan kerja petugas",  # a working note on a status change
        "Siti Aminah",
        "Lestari",
        "siti.aminah@contoh.id",
        "PHONE-SECRET",
        "ADDRESS-SECRET",
        "NIK-SECRET",
        "TRACK123",
        "foto-rumah-saya",
        "abc123",
    ):
        assert hidden not in html, hidden


async def test_a_rejection_shows_its_reason(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    c = await add_complaint(world, "Jalan nasional rusak", status="rejected")
    await add_history(c["id"], None, "pending", world["reporter"])
    await add_history(
        c["id"], "pending", "rejected", world["officer"], "Bukan kewenangan pemerintah kota."
    )
    html = (await visitor.get(f"/arsip/{c['number']}")).text
    assert "Bukan kewenangan pemerintah kota." in html


async def test_an_anonymous_complaint_shows_no_reporter(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    c = await add_complaint(world, "Pungutan liar di kelurahan", anonymous=True)
    await add_message(c["id"], world["reporter"], "Saya diminta Rp50.000.")
    response = await visitor.get(f"/arsip/{c['number']}")
    assert response.status_code == 200
    assert '<dd id="reporter">Anonymous</dd>' in response.text
    assert "Siti" not in response.text


@pytest.mark.parametrize("kind", ["private", "withdrawn", "missing"])
async def test_a_private_withdrawn_or_missing_complaint_is_the_same_404(
    as_role, world: dict[str, int], kind: str
) -> None:
    number = {
        "private": (await add_complaint(world, "Rahasia", public=False))["number"],
        "withdrawn": (await add_complaint(world, "Dicabut", status="withdrawn"))["number"],
        "missing": "ADU-2026-999999",
    }[kind]
    for role in (None, "citizen", "officer", "admin"):
        client = await as_role(role)
        response = await client.get(f"/arsip/{number}")
        assert response.status_code == 404, (kind, role)
        assert "Rahasia" not in response.text and "Dicabut" not in response.text


# --- similar complaints ---------------------------------------------------------------------------


async def test_similar_complaints_are_up_to_five_open_public_ones_best_first(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    best = await add_complaint(world, "Jalan berlubang di depan SD Negeri 1", status="verified")
    others = [
        await add_complaint(world, f"Jalan berlubang di gang {i}", status=status)
        for i, status in enumerate(["pending", "in_progress", "pending", "verified", "pending"])
    ]
    private = await add_complaint(world, "Jalan berlubang di depan SD Negeri 1", public=False)
    closed = [
        await add_complaint(world, "Jalan berlubang di depan SD Negeri 1", status=status)
        for status in ("resolved", "closed", "rejected", "withdrawn")
    ]
    unrelated = await add_complaint(world, "Antrean puskesmas panjang")

    response = await visitor.get("/pengaduan/serupa", params={"title": "jalan berlubang depan SD"})
    assert response.status_code == 200
    found = numbers_in(response.text)
    assert len(found) == 5
    assert found[0] == best["number"]
    assert set(found) <= {best["number"], *(o["number"] for o in others)}
    for hidden in (private, *closed, unrelated):
        assert hidden["number"] not in response.text
    assert "Similar complaints already reported" in response.text


async def test_similar_complaints_match_word_variants_too(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    c = await add_complaint(world, "Mohon perbaikan lampu penerangan", status="in_progress")
    response = await visitor.get("/pengaduan/serupa", params={"title": "lampu diperbaiki"})
    assert numbers_in(response.text) == [c["number"]]


async def test_similar_complaints_come_from_the_newest_open_ones_and_older_full_matches(
    visitor: httpx.AsyncClient, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The newest SIMILAR_WINDOW open public complaints are looked at, whatever the words: a
    # common word ranked over every open complaint cost 2.5 s at 1M. Older ones count only
    # when they hold every word typed and the newest hold fewer than five such.
    monkeypatch.setattr(services, "SIMILAR_WINDOW", 3)
    long_ago = NOW - timedelta(days=200)
    every_word = await add_complaint(world, "Jembatan gantung Cisitu retak", submitted=long_ago)
    one_word = await add_complaint(
        world, "Jembatan kayu lapuk", submitted=long_ago + timedelta(days=1)
    )
    # Older than the window, closed: never suggested.
    await add_complaint(
        world, "Jembatan gantung Cisitu retak lagi", status="resolved", submitted=long_ago
    )
    newest = [
        await add_complaint(world, title, submitted=NOW - timedelta(hours=hours))
        for hours, title in (
            (1, "Jembatan penyeberangan kotor"),
            (2, "Sampah di TPS"),
            (3, "Antre"),
        )
    ]

    response = await visitor.get("/pengaduan/serupa", params={"title": "jembatan gantung retak"})
    found = numbers_in(response.text)
    # Best first: every word of the title; then the newest that share one.
    assert found == [every_word["number"], newest[0]["number"]]
    assert one_word["number"] not in response.text  # older, and only one word in common

    # Five of the newest hold every word: the older ones are not looked at.
    monkeypatch.setattr(services, "SIMILAR_WINDOW", 6)
    recent = [
        await add_complaint(world, f"Jembatan gantung retak ke-{i}", submitted=NOW)
        for i in range(5)
    ]
    response = await visitor.get("/pengaduan/serupa", params={"title": "jembatan gantung retak"})
    assert sorted(numbers_in(response.text)) == sorted(r["number"] for r in recent)


async def test_older_similar_complaints_are_left_out_when_they_take_too_long(
    visitor: httpx.AsyncClient, world: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Words that are all common make the full-text index merge lists as long as the table:
    # past SIMILAR_OLDER_MS the newest ones are shown alone, never an error.
    monkeypatch.setattr(services, "SIMILAR_WINDOW", 1)
    older = await add_complaint(world, "Jembatan gantung retak", submitted=NOW - timedelta(days=9))
    newest = await add_complaint(world, "Jembatan baru", submitted=NOW)
    response = await visitor.get("/pengaduan/serupa", params={"title": "jembatan gantung"})
    assert numbers_in(response.text) == [older["number"], newest["number"]]

    original = services.older_similar_query

    def slow(query: tuple[str, str, str, str], before: datetime) -> tuple[Any, ...]:
        sql, *values = original(query, before)
        return (f"SELECT o.* FROM ({sql}) AS o, (SELECT pg_sleep(0.5)) AS s", *values)

    monkeypatch.setattr(services, "older_similar_query", slow)
    response = await visitor.get("/pengaduan/serupa", params={"title": "jembatan gantung"})
    assert response.status_code == 200
    assert numbers_in(response.text) == [newest["number"]]


async def test_similar_complaints_take_what_is_typed_as_words_only(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    # websearch syntax typed into a title (quotes, a minus, "or") is not an operator here.
    c = await add_complaint(world, "Lampu jalan mati di Jl. Merdeka", status="verified")
    for title in ('"lampu jalan" -mati or', "lampu -- jalan ''' or or", "!!! ??? ..."):
        response = await visitor.get("/pengaduan/serupa", params={"title": title})
        assert response.status_code == 200, title
    response = await visitor.get("/pengaduan/serupa", params={"title": '"lampu jalan" -mati'})
    assert numbers_in(response.text) == [c["number"]]


async def test_similar_complaints_need_four_characters(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    await add_complaint(world, "Jal")
    for title in ("", "jal", "  ja  "):
        response = await visitor.get("/pengaduan/serupa", params={"title": title})
        assert response.status_code == 200
        assert response.text.strip() == ""
    assert (await visitor.get("/pengaduan/serupa")).status_code == 200


async def test_similar_fragment_for_htmx_has_no_page_around_it_and_varies(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    await add_complaint(world, "Sampah menumpuk di TPS", category="waste_cat")
    response = await visitor.get(
        "/pengaduan/serupa", params={"title": "sampah menumpuk"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text and "<body" not in response.text
    assert "HX-Request" in response.headers["vary"]
    assert len(response.text) < 2000


# --- with the demo data ---------------------------------------------------------------------------


async def test_demo_data_archive_counts_only_public_complaints_and_hides_private_ones(
    visitor: httpx.AsyncClient, settings: Settings, db_dsn: str
) -> None:
    await demo.seed(settings, db_dsn)
    conn = await asyncpg.connect(db_dsn)
    try:
        public = await conn.fetchval(
            "SELECT count(*) FROM complaints WHERE is_public AND status <> 'withdrawn'"
        )
        private = await conn.fetch("SELECT number, title FROM complaints WHERE NOT is_public")
        anonymous = await conn.fetchval(
            "SELECT number FROM complaints WHERE is_anonymous AND is_public"
            " AND status <> 'withdrawn' LIMIT 1"
        )
        internal = [
            r["body"]
            for r in await conn.fetch("SELECT body FROM messages WHERE visibility = 'internal'")
        ]
    finally:
        await conn.close()
    assert private, "the demo data should hold private complaints"

    response = await visitor.get("/arsip")
    assert count_in(response.text) == public
    pages = [response.text]
    for page in range(2, -(-public // 20) + 1):
        pages.append((await visitor.get("/arsip", params={"page": str(page)})).text)
    listed = [n for html in pages for n in numbers_in(html)]
    assert len(listed) == public
    for row in private:
        assert row["number"] not in listed
        assert (await visitor.get(f"/arsip/{row['number']}")).status_code == 404
        similar = await visitor.get("/pengaduan/serupa", params={"title": row["title"]})
        assert row["number"] not in similar.text
    for number in listed[:15]:
        html = (await visitor.get(f"/arsip/{number}")).text
        assert not any(note in html for note in internal)
    if anonymous:
        html = (await visitor.get(f"/arsip/{anonymous}")).text
        assert '<dd id="reporter">Anonymous</dd>' in html


async def test_home_page_shows_the_five_newest_public_complaints(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    made = [
        await add_complaint(world, f"Keluhan {i}", submitted=NOW - timedelta(hours=i))
        for i in range(7)
    ]
    await add_complaint(world, "Pribadi terbaru", public=False, submitted=NOW + timedelta(hours=1))
    html = (await visitor.get("/")).text
    assert numbers_in(html) == [m["number"] for m in made[:5]]
    assert 'href="/arsip"' in html


def test_public_name_is_first_name_and_initial() -> None:
    assert services.public_name("Siti Aminah") == "Siti A."
    assert services.public_name("  budi  santoso wibowo ") == "budi S."
    assert services.public_name("Yanto") == "Yanto"
    assert services.public_name("") == ""


async def test_odd_input_never_breaks_the_archive(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    await add_complaint(world, "Jalan berlubang")
    for params in (
        {"q": '"jalan -" OR (&|!'},
        {"location": "%_\\"},
        {"page": "99999999999999999999"},
        {"category": "abc", "status": "withdrawn"},
    ):
        response = await visitor.get("/arsip", params=params)
        assert response.status_code == 200, params
    # A NUL byte cannot be stored or searched for: refused beside its field (web.input).
    for params in ({"q": "jalan\x00"}, {"location": "\x00%_\\"}):
        response = await visitor.get("/arsip", params=params)
        assert response.status_code == 422, params
        assert "characters that cannot be read" in response.text
    similar = await visitor.get("/pengaduan/serupa", params={"title": "jalan\x00 berlubang"})
    assert similar.status_code == 200
    assert (await visitor.get("/arsip/ADU%00")).status_code == 404
    assert (await visitor.get("/arsip/" + "9" * 300)).status_code == 404


# --- search at scale: stored document, bounded ranking, capped count, numbers -------------------


async def test_an_exact_title_match_ranks_above_a_newer_body_mention(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    mention = await add_complaint(
        world, "Saluran air tersumbat", "Airnya meluap sampai ke jembatan.", submitted=NOW
    )
    titled = await add_complaint(
        world, "Jembatan retak", "Mohon diperiksa.", submitted=NOW - timedelta(days=30)
    )
    found = numbers_in((await visitor.get("/arsip", params={"q": "jembatan"})).text)
    assert found == [titled["number"], mention["number"]]


async def fill_matching(world: dict[str, int], rows: int, start: int = 100_000) -> None:
    """`rows` public complaints that all mention 'antrean' (one INSERT ... SELECT)."""
    await Complaint.raw(
        "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
        " location_text, status, priority, citizen_urgency, is_anonymous, is_public,"
        " submitted_at, updated_at)"
        " SELECT 'ADU-2024-' || lpad(i::text, 6, '0'), 'T', {}, {}, {},"
        " 'Antrean puskesmas ' || i, 'Keterangan ' || i, 'Kel. Sukajadi', 'pending', 'normal',"
        " 'normal', false, true, {}::timestamptz - i * interval '1 minute', now()"
        " FROM generate_series({}::int, {}::int) AS i",
        world["reporter"],
        world["road_cat"],
        world["roads"],
        NOW,
        start,
        start + rows - 1,
    )
    await Complaint.raw("ANALYZE complaints")


async def test_past_a_thousand_matches_the_count_says_more_than_1000_and_pages_go_on(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    await fill_matching(world, 1100)
    for params in ({"q": "antrean"}, {}):
        html = (await visitor.get("/arsip", params=params)).text
        assert 'id="archive-count">more than 1,000 public complaints<' in html, html
        assert len(numbers_in(html)) == 20 and 'rel="next"' in html
        assert " of " not in re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    deep = (await visitor.get("/arsip", params={"page": "54"})).text
    assert 'rel="next"' in deep and 'rel="prev"' in deep and len(numbers_in(deep)) == 20
    last = (await visitor.get("/arsip", params={"page": "56"})).text
    assert 'rel="next"' not in last and len(numbers_in(last)) == 0
    # A search ranks the newest 1,000 matches: 50 pages, then no "next".
    html = (await visitor.get("/arsip", params={"q": "antrean", "page": "50"})).text
    assert len(numbers_in(html)) == 20 and 'rel="next"' not in html
    assert "1,000 newest matches" in html
    # In Indonesian, the default language.
    visitor.cookies.set("lang", "id")
    html = (await visitor.get("/arsip", params={"q": "antrean"})).text
    assert 'id="archive-count">lebih dari 1.000 pengaduan publik<' in html


async def test_a_status_or_category_is_counted_from_the_tallies_as_the_complaints_count(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    # Counting them read two indexes as large as the table (35 ms at a million complaints).
    for status in ("pending", "verified", "resolved", "resolved", "closed", "withdrawn"):
        await add_complaint(world, "Jalan berlubang", status=status)
    await add_complaint(world, "Jalan berlubang", status="resolved", public=False)
    for status in ("pending", "rejected"):
        await add_complaint(world, "Sampah menumpuk", status=status, category="waste_cat")
    views = [  # the archive's filters, the public complaints counted by hand
        ({}, 7),
        ({"status": "resolved"}, 2),
        ({"category": str(world["road_cat"])}, 5),
        ({"category": str(world["waste_cat"]), "status": "rejected"}, 1),
        ({"category": str(world["waste_cat"]), "status": "closed"}, 0),
    ]
    for params, expected in views:
        filters = ArchiveFilters.from_query(params)
        assert "complaint_tallies" in services.archive_queries(filters)[2], params
        assert count_in((await visitor.get("/arsip", params=params)).text) == expected, params
        assert (await services.search_archive(filters)).total == expected
    # Words, a place or dates count the complaints themselves.
    for params, expected in (({"q": "sampah"}, 2), ({"location": "Merdeka"}, 7)):
        filters = ArchiveFilters.from_query(params)
        assert "complaint_tallies" not in services.archive_queries(filters)[2], params
        assert count_in((await visitor.get("/arsip", params=params)).text) == expected, params


async def test_below_the_cap_the_count_is_exact(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    await fill_matching(world, 1000)
    html = (await visitor.get("/arsip", params={"q": "antrean"})).text
    assert count_in(html) == 1000 and "Page 1 of 50" in html


async def test_a_common_word_ranks_a_bounded_set_not_every_match(world: dict[str, int]) -> None:
    await fill_matching(world, 6000)
    filters = ArchiveFilters.from_query({"q": "antrean"})
    rows_sql, row_args, count_sql, count_args = services.archive_queries(filters)
    for sql, args in ((rows_sql, row_args), (count_sql, count_args)):
        plan = await db.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, *args)
        nodes = [json.loads(plan[0]["QUERY PLAN"])[0]["Plan"]]
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("Plans", []))
            # No step reads (or ranks) all 6,000 matches: the newest 1,000 at most.
            assert node["Actual Rows"] <= services.COUNT_CAP + 1, node


async def test_a_complaint_number_finds_that_public_complaint_only(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    wanted = await add_complaint(world, "Lampu jalan mati", submitted=NOW)
    await add_complaint(world, "Lampu taman mati", submitted=NOW)
    private = await add_complaint(world, "Pungutan liar", public=False)
    withdrawn = await add_complaint(world, "Salah kirim", status="withdrawn")
    number = wanted["number"]  # ADU-2026-0000NN
    year, serial = number.split("-")[1:]
    for typed in (
        number,
        number.lower(),
        f"  ADU {year} {serial} ",
        f"adu{year}{serial}",
        f"ADU-{year}-{int(serial)}",
    ):
        html = (await visitor.get("/arsip", params={"q": typed})).text
        assert numbers_in(html) == [number], typed
        assert count_in(html) == 1
    for hidden in (private, withdrawn):
        html = (await visitor.get("/arsip", params={"q": hidden["number"]})).text
        assert numbers_in(html) == [] and count_in(html) == 0
        # (The map link carries what was typed, as the search field does.)
        shown = html.split('id="archive-results"')[1].replace(f'value="{hidden["number"]}"', "")
        assert hidden["number"] not in shown.replace(f'peta?q={hidden["number"]}"', "")


async def test_a_number_typed_into_the_archive_form_finds_the_complaint_as_it_is_typed(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    """What the form sends (every field, the empty ones too) while htmx searches as the visitor
    types, and when the button is pressed without JavaScript: lower case, spaces, another
    dash, no "ADU" at all."""
    wanted = await add_complaint(world, "Lampu jalan mati")
    await add_complaint(world, "Lampu taman mati")
    number = wanted["number"]
    year, serial = number.split("-")[1:]
    page = (await visitor.get("/arsip")).text
    assert "or a complaint number" in page
    form = {"q": "", "category": "", "status": "", "from": "", "to": "", "location": ""}
    typing = {"HX-Request": "true", "HX-Trigger": "archive-form", "HX-Current-URL": "/arsip"}
    typed = f"adu {year} {int(serial)}"
    for end in range(1, len(typed) + 1):  # each pause while typing sends what is there so far
        response = await visitor.get("/arsip", params={**form, "q": typed[:end]}, headers=typing)
        assert response.status_code == 200, typed[:end]
    assert numbers_in(response.text) == [number] and count_in(response.text) == 1
    for typed in (
        f"{year}-{serial}",
        f"{year} {int(serial)}",
        f"ADU\u2013{year}\u2013{serial}",  # an en dash from a phone keyboard
        f" adu-{year}-{serial} ",
    ):
        for headers in (typing, {}):
            response = await visitor.get("/arsip", params={**form, "q": typed}, headers=headers)
            assert numbers_in(response.text) == [number], (typed, headers)
            assert count_in(response.text) == 1
    # A year alone, or words with numbers, are still a text search.
    assert ArchiveFilters.from_query({"q": year}).number is None
    assert ArchiveFilters.from_query({"q": f"lampu {year} 27"}).number is None


async def test_the_stored_document_follows_an_edited_title_and_body(
    visitor: httpx.AsyncClient, world: dict[str, int]
) -> None:
    c = await add_complaint(world, "Sampah menumpuk", "Di pinggir pasar.")
    await Complaint.update(
        {Complaint.title: "Banjir setinggi lutut", Complaint.body: "Di depan sekolah."}
    ).where(Complaint.id == c["id"])
    rows = await Complaint.raw(
        "SELECT search_document @@ to_tsquery('indonesian', 'banjir:A') AS title_a,"
        " search_document @@ to_tsquery('indonesian', 'sekolah:B') AS body_b,"
        " search_document @@ to_tsquery('indonesian', 'sampah') AS old"
        " FROM complaints WHERE id = {}",
        c["id"],
    )
    assert rows == [{"title_a": True, "body_b": True, "old": False}]
    assert numbers_in((await visitor.get("/arsip", params={"q": "banjir"})).text) == [c["number"]]
    assert numbers_in((await visitor.get("/arsip", params={"q": "sampah"})).text) == []
