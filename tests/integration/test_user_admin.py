"""Admin user management: list, search, filter, create staff by invitation, role, (de)activation,
reset links; every action in the audit log with who, what, when and from where."""

from __future__ import annotations

import json
import re

import httpx
from litestar import Litestar

from tests.conftest import browser_client, log_in
from tests.factories import PASSWORD, make_user
from tests.support.databases import fetch_rows


async def _last_mail(dsn: str) -> dict:
    rows = await fetch_rows(dsn, "SELECT recipient, payload FROM outbox ORDER BY id DESC LIMIT 1")
    return {"to": rows[0]["recipient"], **json.loads(rows[0]["payload"])}


def _path(mail: dict) -> str:
    return re.search(r"https?://\S+?(/[a-z-]+/[A-Za-z0-9._-]+)", mail["text"]).group(1)


async def test_list_search_and_filter_users(as_role, people: dict[str, int]) -> None:
    for i in range(30):
        await make_user("citizen", f"warga{i:02d}")
    admin: httpx.AsyncClient = await as_role("admin")
    page = await admin.get("/admin/pengguna")
    assert page.status_code == 200 and "33 pengguna" in page.text
    # 25 a page, by username: admin, petugas, warga, warga00 ... warga21
    assert "warga21<" in page.text and "warga22<" not in page.text
    second = await admin.get("/admin/pengguna?page=2")
    assert "warga22<" in second.text
    found = await admin.get("/admin/pengguna?q=PETUGAS")
    assert "1 pengguna" in found.text and f"/admin/pengguna/{people['officer']}" in found.text
    officers = await admin.get(f"/admin/pengguna?role=officer&unit={people['unit']}")
    assert "1 pengguna" in officers.text
    # The search box asks htmx for the results fragment only.
    fragment = await admin.get("/admin/pengguna?q=warga0", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "10 pengguna" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]


async def test_admin_creates_an_officer_who_sets_a_password_and_logs_in(
    app: Litestar, as_role, people: dict[str, int], db_dsn: str
) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    bad = await admin.post(
        "/admin/pengguna/baru",
        data={
            "role": "officer",
            "full_name": "Budi",
            "username": "budi",
            "email": "budi@x",
            "nip": "123",
            "unit": "",
        },
    )
    assert bad.status_code == 422
    for field in ("email", "nip", "unit"):
        assert f'id="e-{field}"' in bad.text
    assert 'value="Budi"' in bad.text
    form = {
        "role": "officer",
        "full_name": "Budi Santoso",
        "username": "Budi.Santoso",
        "email": "budi@pemkot.go.id",
        "nip": "198501012010011001",
        "unit": str(people["unit"]),
    }
    created = await admin.post("/admin/pengguna/baru", data=form)
    assert created.status_code == 303
    (user,) = await fetch_rows(db_dsn, "SELECT * FROM users WHERE username = 'budi.santoso'")
    assert user["role"] == "officer" and user["unit"] == people["unit"]
    mail = await _last_mail(db_dsn)
    assert mail["to"] == "budi@pemkot.go.id" and mail["kind"] == "account_invite"
    async with browser_client(app) as budi:
        link = _path(mail)
        assert (await budi.get(link)).status_code == 200
        done = await budi.post(
            link, data={"password": "kerja-keras-2026", "password_confirm": "kerja-keras-2026"}
        )
        assert done.status_code == 303
        response = await budi.post(
            "/masuk", data={"identifier": "budi.santoso", "password": "kerja-keras-2026"}
        )
        assert response.headers["location"] == "/petugas"
        assert "Dinas Uji" in (await budi.get("/petugas")).text
    audit = await fetch_rows(
        db_dsn, "SELECT actor, action, ip, data FROM audit_log WHERE action = 'user.create'"
    )
    assert audit[0]["actor"] == people["admin"] and audit[0]["ip"]
    assert json.loads(audit[0]["data"])["role"] == "officer"


async def test_changing_a_role_ends_that_users_sessions(
    app: Litestar, as_role, people: dict[str, int], db_dsn: str
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    assert (await officer.get("/petugas")).status_code == 200
    admin: httpx.AsyncClient = await as_role("admin")
    response = await admin.post(
        f"/admin/pengguna/{people['officer']}/peran", data={"role": "admin", "unit": ""}
    )
    assert response.status_code == 303
    assert (await officer.get("/petugas")).status_code == 303  # logged out
    async with browser_client(app) as again:
        await log_in(again, "petugas")
        assert (await again.get("/admin/pengguna")).status_code == 200
    (entry,) = await fetch_rows(
        db_dsn, "SELECT data FROM audit_log WHERE action = 'user.role_changed'"
    )
    assert json.loads(entry["data"]) == {"from": "officer", "to": "admin", "unit": people["unit"]}


async def test_deactivation_ends_sessions_and_blocks_login_until_reactivated(
    app: Litestar, as_role, people: dict[str, int], db_dsn: str
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    admin: httpx.AsyncClient = await as_role("admin")
    await admin.post(f"/admin/pengguna/{people['citizen']}/nonaktifkan")
    assert (await citizen.get("/akun")).status_code == 303
    async with browser_client(app) as client:
        refused = await client.post("/masuk", data={"identifier": "warga", "password": PASSWORD})
        assert refused.status_code == 422
    await admin.post(f"/admin/pengguna/{people['citizen']}/aktifkan")
    async with browser_client(app) as client:
        await log_in(client, "warga")
    actions = [
        r["action"]
        for r in await fetch_rows(
            db_dsn,
            "SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id",
            str(people["citizen"]),
        )
    ]
    assert "user.deactivated" in actions and "user.reactivated" in actions


async def test_admin_sends_a_reset_link(as_role, people: dict[str, int], db_dsn: str) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    response = await admin.post(f"/admin/pengguna/{people['citizen']}/kirim-reset")
    assert response.status_code == 303
    mail = await _last_mail(db_dsn)
    assert mail["kind"] == "password_reset" and mail["to"] == "warga@uji.test"
    page = await admin.get(response.headers["location"])
    assert "warga@uji.test" in page.text  # the flash message says where it went
    assert "user.reset_link_sent" in page.text  # and the history shows it


async def test_admin_cannot_lock_themselves_out(as_role, people: dict[str, int]) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    await admin.post(f"/admin/pengguna/{people['admin']}/nonaktifkan")
    await admin.post(f"/admin/pengguna/{people['admin']}/peran", data={"role": "citizen"})
    assert (await admin.get("/admin/pengguna")).status_code == 200


async def test_unknown_user_is_404(as_role, people: dict[str, int]) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    assert (await admin.get("/admin/pengguna/999999")).status_code == 404


def test_filters_keep_a_unit_numbered_one_in_page_links() -> None:
    from pengaduan.accounts.user_admin import UserFilters

    assert "unit=1" in UserFilters(unit=1, page=2).query_string(page=3)
    assert "page" not in UserFilters(unit=1, page=2).query_string(page=1)
