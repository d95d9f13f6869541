"""Admins manage units, categories and response templates: validation that keeps every typed
value, deactivation rules that keep history, and an audit row for every change."""

from __future__ import annotations

import json

import asyncpg
import httpx

from tests.factories import make_category, make_complaint, make_response_template
from tests.support.databases import fetch_rows


async def _english_admin(as_role, db_dsn: str) -> httpx.AsyncClient:
    """The admin, reading English (the login takes the account's language)."""
    await fetch_rows(db_dsn, "UPDATE users SET language = 'en' WHERE username = 'admin'")
    return await as_role("admin")


async def _audit(dsn: str, action: str) -> list[asyncpg.Record]:
    return await fetch_rows(
        dsn,
        "SELECT actor, target_type, target_id, data, ip FROM audit_log WHERE action = $1"
        " ORDER BY id",
        action,
    )


# --- units -----------------------------------------------------------------------------------


async def test_unit_form_errors_keep_the_typed_values(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    response = await admin.post(
        "/admin/unit/baru",
        data={"name": "  ", "description": "Jalan dan jembatan", "auto_assign": "on"},
    )
    assert response.status_code == 422
    assert 'id="e-name"' in response.text and "Enter a name." in response.text
    assert "Jalan dan jembatan</textarea>" in response.text
    assert 'id="f-auto_assign" name="auto_assign" type="checkbox" value="on" checked' in (
        response.text
    )
    # Names are unique whatever their case ("Dinas Uji" is the people fixture's unit).
    taken = await admin.post("/admin/unit/baru", data={"name": "dinas  UJI", "description": ""})
    assert taken.status_code == 422
    assert "A unit with this name exists already." in taken.text
    assert 'value="dinas UJI"' in taken.text
    assert await _audit(db_dsn, "unit.create") == []


async def test_admin_creates_and_edits_a_unit_and_each_change_is_audited(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    created = await admin.post(
        "/admin/unit/baru", data={"name": "Dinas Perhubungan", "description": "Lampu jalan"}
    )
    assert created.status_code == 303 and created.headers["location"] == "/admin/unit"
    (unit,) = await fetch_rows(db_dsn, "SELECT * FROM units WHERE name = 'Dinas Perhubungan'")
    assert unit["is_active"] and not unit["auto_assign"]
    listing = await admin.get("/admin/unit")
    assert "Unit Dinas Perhubungan created." in listing.text
    assert f'href="/admin/unit/{unit["id"]}">Dinas Perhubungan</a>' in listing.text

    page = await admin.get(f"/admin/unit/{unit['id']}")
    assert page.status_code == 200 and 'value="Dinas Perhubungan"' in page.text
    bad = await admin.post(
        f"/admin/unit/{unit['id']}", data={"name": "Dinas Uji", "description": "Baru"}
    )
    assert bad.status_code == 422 and 'id="e-name"' in bad.text and "Baru</textarea>" in bad.text
    saved = await admin.post(
        f"/admin/unit/{unit['id']}",
        data={"name": "Dinas Perhubungan", "description": "Lampu jalan", "auto_assign": "on"},
    )
    assert saved.status_code == 303
    (after,) = await fetch_rows(db_dsn, "SELECT auto_assign FROM units WHERE id = $1", unit["id"])
    assert after["auto_assign"] is True

    (create,) = await _audit(db_dsn, "unit.create")
    assert create["actor"] == people["admin"] and create["ip"] == "127.0.0.1"
    assert create["target_type"] == "unit" and create["target_id"] == str(unit["id"])
    (update,) = await _audit(db_dsn, "unit.update")
    assert json.loads(update["data"]) == {"changes": {"auto_assign": [False, True]}}
    history = await admin.get(f"/admin/unit/{unit['id']}")
    assert "unit.update" in history.text and "unit.create" in history.text


async def test_a_unit_receiving_an_active_category_cannot_be_deactivated(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    unit = people["unit"]
    roads = await make_category(unit, "Jalan Rusak")
    await make_category(unit, "Drainase")
    refused = await admin.post(f"/admin/unit/{unit}/nonaktifkan")
    assert refused.status_code == 409
    assert "Drainase, Jalan Rusak" in refused.text
    # With htmx the message comes as a toast and nothing is swapped.
    toast = await admin.post(f"/admin/unit/{unit}/nonaktifkan", headers={"HX-Request": "true"})
    assert (
        toast.status_code == 409
        and "Drainase, Jalan Rusak"
        in json.loads(toast.headers["hx-trigger"])["pengaduan:toast"]["message"]
    )
    (row,) = await fetch_rows(db_dsn, "SELECT is_active FROM units WHERE id = $1", unit)
    assert row["is_active"]

    await fetch_rows(db_dsn, "UPDATE categories SET is_active = false WHERE id <> $1", roads)
    still = await admin.post(f"/admin/unit/{unit}/nonaktifkan")
    assert still.status_code == 409 and "Jalan Rusak" in still.text and "Drainase" not in still.text
    assert (await admin.post(f"/admin/kategori/{roads}/nonaktifkan")).status_code == 303
    done = await admin.post(f"/admin/unit/{unit}/nonaktifkan")
    assert done.status_code == 303
    (row,) = await fetch_rows(db_dsn, "SELECT is_active FROM units WHERE id = $1", unit)
    assert not row["is_active"]
    # An inactive unit is no choice for a category, and its category stays inactive.
    form = await admin.get("/admin/kategori/baru")
    assert f'<option value="{unit}"' not in form.text
    again = await admin.post(f"/admin/kategori/{roads}/aktifkan")
    assert again.status_code == 409 and "unit of this category is inactive" in again.text

    assert (await admin.post(f"/admin/unit/{unit}/aktifkan")).status_code == 303
    actions = [
        r["action"]
        for r in await fetch_rows(
            db_dsn, "SELECT action FROM audit_log WHERE target_type <> 'user' ORDER BY id"
        )
    ]
    assert actions == ["category.deactivated", "unit.deactivated", "unit.reactivated"]


# --- categories ------------------------------------------------------------------------------


async def test_category_form_checks_every_field_and_keeps_the_values(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    await make_category(people["unit"], "Jalan Rusak")
    form = {
        "name": "jalan rusak",
        "icon": "x" * 17,
        "description": "Lubang dan retak",
        "default_unit": "",
        "deadline_days": "366",
    }
    response = await admin.post("/admin/kategori/baru", data=form)
    assert response.status_code == 422
    for field in ("name", "icon", "default_unit", "deadline_days"):
        assert f'id="e-{field}"' in response.text, field
    assert 'value="jalan rusak"' in response.text and 'value="366"' in response.text
    assert "Lubang dan retak</textarea>" in response.text
    for days in ("0", "abc", ""):
        again = await admin.post("/admin/kategori/baru", data={**form, "deadline_days": days})
        assert "Enter a number of days from 1 to 365." in again.text
    inactive = await fetch_rows(
        db_dsn, "INSERT INTO units (name, is_active) VALUES ('Dinas Lama', false) RETURNING id"
    )
    old_unit = await admin.post(
        "/admin/kategori/baru",
        data={**form, "name": "Baru", "icon": "🛣️", "default_unit": str(inactive[0]["id"])},
    )
    assert old_unit.status_code == 422 and "Choose one of the active units." in old_unit.text
    assert await _audit(db_dsn, "category.create") == []


async def test_a_new_category_is_offered_to_citizens_until_deactivated(
    as_role, client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    created = await admin.post(
        "/admin/kategori/baru",
        data={
            "name": "Lampu Jalan",
            "icon": "💡",
            "description": "PJU mati",
            "default_unit": str(people["unit"]),
            "deadline_days": "7",
        },
    )
    assert created.status_code == 303
    (category,) = await fetch_rows(db_dsn, "SELECT * FROM categories WHERE name = 'Lampu Jalan'")
    assert category["deadline_days"] == 7 and category["icon"] == "💡"
    assert category["default_unit"] == people["unit"] and category["is_active"]
    assert "Lampu Jalan" in (await client.get("/")).text

    edited = await admin.post(
        f"/admin/kategori/{category['id']}",
        data={
            "name": "Lampu Jalan",
            "icon": "💡",
            "description": "PJU mati",
            "default_unit": str(people["unit"]),
            "deadline_days": "5",
        },
    )
    assert edited.status_code == 303
    (update,) = await _audit(db_dsn, "category.update")
    assert json.loads(update["data"]) == {"changes": {"deadline_days": [7, 5]}}

    assert (await admin.post(f"/admin/kategori/{category['id']}/nonaktifkan")).status_code == 303
    assert "Lampu Jalan" not in (await client.get("/")).text
    listing = await admin.get("/admin/kategori")
    assert "Lampu Jalan" in listing.text  # admins still see it, marked inactive
    assert (await admin.post(f"/admin/kategori/{category['id']}/aktifkan")).status_code == 303
    assert "Lampu Jalan" in (await client.get("/")).text
    for action in ("category.create", "category.deactivated", "category.reactivated"):
        (entry,) = await _audit(db_dsn, action)
        assert entry["actor"] == people["admin"] and entry["ip"] == "127.0.0.1"
        assert entry["target_id"] == str(category["id"])


async def test_a_category_with_complaints_is_kept_and_an_unused_one_can_be_deleted(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    used = await make_category(people["unit"], "Jalan Rusak")
    unused = await make_category(people["unit"], "Salah Ketik")
    await make_complaint(reporter=people["citizen"], category=used, unit=people["unit"])
    page = await admin.get(f"/admin/kategori/{used}")
    assert f'action="/admin/kategori/{used}/hapus"' not in page.text
    assert "This category has 1 complaint, so it is kept for its history." in page.text
    refused = await admin.post(f"/admin/kategori/{used}/hapus")
    assert refused.status_code == 409 and "Deactivate it instead." in refused.text
    assert await fetch_rows(db_dsn, "SELECT 1 FROM categories WHERE id = $1", used)

    deleted = await admin.post(f"/admin/kategori/{unused}/hapus")
    assert deleted.status_code == 303
    assert not await fetch_rows(db_dsn, "SELECT 1 FROM categories WHERE id = $1", unused)
    (entry,) = await _audit(db_dsn, "category.delete")
    assert json.loads(entry["data"]) == {"name": "Salah Ketik"}
    assert (await admin.get(f"/admin/kategori/{unused}")).status_code == 404


# --- response templates ----------------------------------------------------------------------


async def test_response_templates_are_created_edited_and_deactivated(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    from pengaduan.agency.response_templates import templates_for_category

    admin = await _english_admin(as_role, db_dsn)
    roads = await make_category(people["unit"], "Jalan Rusak")
    closed = await make_category(people["unit"], "Lama", active=False)
    other = await make_category(people["unit"], "Sampah")
    await make_response_template(other, "Untuk sampah")

    bad = await admin.post(
        "/admin/templat-tanggapan/baru",
        data={"title": "", "body": "   ", "category": str(closed)},
    )
    assert bad.status_code == 422
    for field in ("title", "body", "category"):
        assert f'id="e-{field}"' in bad.text, field
    kept = await admin.post(
        "/admin/templat-tanggapan/baru",
        data={"title": "Survei lokasi", "body": "", "category": str(roads)},
    )
    assert 'value="Survei lokasi"' in kept.text
    assert f'<option value="{roads}" selected>' in kept.text

    for title, category in (("Survei lokasi", str(roads)), ("Salam pembuka", "")):
        created = await admin.post(
            "/admin/templat-tanggapan/baru",
            data={"title": title, "body": f"Teks {title}.\nBaris kedua.", "category": category},
        )
        assert created.status_code == 303
    rows = await fetch_rows(db_dsn, "SELECT id, title, category, body FROM response_templates")
    by_title = {r["title"]: r for r in rows}
    assert by_title["Salam pembuka"]["category"] is None
    assert by_title["Survei lokasi"]["body"] == "Teks Survei lokasi.\nBaris kedua."
    survey = by_title["Survei lokasi"]["id"]
    assert {t["title"] for t in await templates_for_category(roads)} == {
        "Survei lokasi",
        "Salam pembuka",
    }

    listing = await admin.get(f"/admin/templat-tanggapan?kategori={roads}")
    assert "Survei lokasi" in listing.text and "Untuk sampah" not in listing.text
    edited = await admin.post(
        f"/admin/templat-tanggapan/{survey}",
        data={"title": "Survei lokasi", "body": "Tim kami akan survei.", "category": str(roads)},
    )
    assert edited.status_code == 303
    assert (await admin.post(f"/admin/templat-tanggapan/{survey}/nonaktifkan")).status_code == 303
    assert {t["title"] for t in await templates_for_category(roads)} == {"Salam pembuka"}
    assert (await admin.post(f"/admin/templat-tanggapan/{survey}/aktifkan")).status_code == 303

    actions = [
        r["action"]
        for r in await fetch_rows(
            db_dsn,
            "SELECT action FROM audit_log WHERE target_type = 'response_template'"
            " AND target_id = $1 ORDER BY id",
            str(survey),
        )
    ]
    assert actions == [
        "response_template.create",
        "response_template.update",
        "response_template.deactivated",
        "response_template.reactivated",
    ]
    (update,) = await _audit(db_dsn, "response_template.update")
    assert update["actor"] == people["admin"] and update["ip"] == "127.0.0.1"
    assert set(json.loads(update["data"])["changes"]) == {"body"}


async def test_unknown_ids_are_not_found(as_role, people: dict[str, int]) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    for url in ("/admin/unit/999", "/admin/kategori/999", "/admin/templat-tanggapan/999"):
        assert (await admin.get(url)).status_code == 404, url
        assert (await admin.post(url, data={"name": "x"})).status_code == 404, url
        assert (await admin.post(url + "/nonaktifkan")).status_code == 404, url


async def test_response_templates_have_a_place_in_the_admin_navigation(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    """Reachable from every admin page and from the reply box where they are used, not
    only from the categories page; officers (who cannot manage them) get no such link."""
    admin = await _english_admin(as_role, db_dsn)
    roads = await make_category(people["unit"], "Jalan Rusak")
    await make_response_template(roads, "Survei lokasi")
    complaint = await make_complaint(
        reporter=people["citizen"], category=roads, unit=people["unit"], status="in_progress"
    )
    statistics = await admin.get("/admin/statistik")
    nav = statistics.text.split('<nav class="top-nav"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/admin/templat-tanggapan">Response templates</a>' in nav
    handling = await admin.get(f"/petugas/pengaduan/{complaint}")
    assert handling.status_code == 200
    assert f'href="/admin/templat-tanggapan?kategori={roads}"' in handling.text

    officer = await as_role("officer")
    queue = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert queue.status_code == 200 and "Survei lokasi" in queue.text
    assert "/admin/templat-tanggapan" not in queue.text
