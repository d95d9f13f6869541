"""Password reset for a citizen who registered without email: a code by SMS (with a gateway),
or a code from the service desk after an officer checked the NIK on their KTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar

from pengaduan.accounts import reset_codes
from pengaduan.notifications.outbox import worker as outbox_worker
from tests.conftest import browser_client, log_in
from tests.support.databases import fetch_rows, settings_for
from tests.support.sms import GatewaySink

NIK = "3273014507900002"
OLD_PASSWORD = "kopi-susu-pagi-2026"
NEW_PASSWORD = "teh-manis-sore-2026"
CITIZEN = {
    "full_name": "Siti Aminah",
    "nik": NIK,
    "phone": "0812-3456-7890",
    "address": "Jl. Cihampelas No. 12, Bandung",
    "email": "",
    "username": "siti",
    "password": OLD_PASSWORD,
    "password_confirm": OLD_PASSWORD,
}
WRONG = "Nama pengguna atau kode salah, atau kode sudah kedaluwarsa."  # the default language


async def _register_without_email(app: Litestar) -> int:
    async with browser_client(app) as browser:
        response = await browser.post("/daftar", data=CITIZEN)
        assert response.status_code == 303, response.text
    from pengaduan.accounts.tables import User

    row = await User.select(User.id, User.email).where(User.username == "siti").first()
    assert row["email"] is None
    return row["id"]


@pytest.fixture
def gateway() -> Iterator[GatewaySink]:
    sink = GatewaySink().start()
    yield sink
    sink.stop()


async def _redeem(client: httpx.AsyncClient, code: str, password: str = NEW_PASSWORD, **more):
    data = {
        "identifier": "siti",
        "code": code,
        "password": password,
        "password_confirm": password,
        **more,
    }
    return await client.post("/lupa-sandi/kode", data=data)


# --- by SMS -------------------------------------------------------------------------------------


async def test_a_citizen_without_email_resets_with_a_code_by_sms(
    app: Litestar,
    client: httpx.AsyncClient,
    db_dsn: str,
    gateway: GatewaySink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_id = await _register_without_email(app)
    sms_settings = settings_for(db_dsn, **gateway.settings_env(), PENGADUAN_OUTBOX_IN_APP="false")
    # This app has an SMS gateway from here on.
    monkeypatch.setattr(app.state, "settings", sms_settings)
    page = await client.get("/lupa-sandi")
    assert 'href="/lupa-sandi/kode"' in page.text
    response = await client.post("/lupa-sandi", data={"identifier": "siti"})
    assert response.status_code == 200 and 'id="reset-sent"' in response.text
    # An unknown name gets the same answer and no message.
    same = await client.post("/lupa-sandi", data={"identifier": "tidak-ada"})
    assert same.status_code == 200 and 'id="reset-sent"' in same.text

    assert await outbox_worker.deliver_due(sms_settings) == 1
    [sms] = gateway.messages
    assert sms.body["to"].endswith("81234567890")
    code = re.search(r"\b([0-9]{6})\b", sms.body["text"]).group(1)
    # Only a keyed hash of it is stored.
    [stored] = await fetch_rows(db_dsn, "SELECT * FROM password_reset_codes")
    assert stored["channel"] == "sms" and code not in stored["code_hash"]

    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    wrong = await _redeem(client, wrong_code)
    assert wrong.status_code == 422 and WRONG in wrong.text and 'value="siti"' in wrong.text
    unknown = await _redeem(client, code, identifier="tidak-ada")
    assert unknown.status_code == 422 and WRONG in unknown.text
    weak = await _redeem(client, code, password="123")
    assert weak.status_code == 422 and WRONG not in weak.text
    # A weak password did not spend the right code; typed with spaces, it still works.
    done = await _redeem(client, f"{code[:3]} {code[3:]}")
    assert done.status_code == 303 and done.headers["location"] == "/masuk"
    assert (await _redeem(client, code, password="kue-lapis-legit-2026")).status_code == 422

    async with browser_client(app) as browser:
        await log_in(browser, "siti", NEW_PASSWORD)
    actions = [
        r["action"]
        for r in await fetch_rows(
            db_dsn, "SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id", str(user_id)
        )
    ]
    assert "account.reset_code_sent" in actions and "account.password_code_sms" in actions


async def test_a_code_takes_only_a_few_tries(
    app: Litestar, client: httpx.AsyncClient, db_dsn: str, gateway: GatewaySink, monkeypatch
) -> None:
    await _register_without_email(app)
    sms_settings = settings_for(db_dsn, **gateway.settings_env())
    monkeypatch.setattr(app.state, "settings", sms_settings)
    await client.post("/lupa-sandi", data={"identifier": "siti"})
    await outbox_worker.deliver_due(sms_settings)
    code = re.search(r"\b([0-9]{6})\b", gateway.messages[0].body["text"]).group(1)
    wrong_code = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(reset_codes.MAX_ATTEMPTS):
        assert (await _redeem(client, wrong_code)).status_code == 422
    # Spent: the right code no longer helps.
    assert (await _redeem(client, code)).status_code == 422


async def test_tries_at_codes_are_throttled_per_address(
    app: Litestar, client: httpx.AsyncClient, monkeypatch
) -> None:
    from pengaduan.accounts import throttle

    monkeypatch.setitem(throttle.REQUESTS_PER_HOUR, "reset_code", 2)
    for _ in range(2):
        assert (await _redeem(client, "123456", identifier="tidak-ada")).status_code == 422
    refused = await _redeem(client, "123456", identifier="tidak-ada")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


# --- at the service desk ------------------------------------------------------------------------


async def test_without_a_gateway_the_reset_page_sends_the_citizen_to_the_service_desk(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/lupa-sandi")
    assert "Datangi loket layanan dengan membawa KTP" in page.text
    assert "KTP" in page.text


async def test_officer_assisted_reset_checks_the_nik_and_is_audited(
    app: Litestar, client: httpx.AsyncClient, db_dsn: str, people: dict[str, int], as_role
) -> None:
    user_id = await _register_without_email(app)
    officer: httpx.AsyncClient = await as_role("officer")
    assert 'href="/petugas/layanan-sandi"' in (await officer.get("/petugas")).text
    found = await officer.get("/petugas/layanan-sandi?username=Siti")
    assert found.status_code == 200 and "Siti Aminah" in found.text
    assert f'action="/petugas/layanan-sandi/{user_id}"' in found.text
    # Forgot the username too: the NIK on the KTP finds the account.
    by_nik = await officer.get("/petugas/layanan-sandi?username=3273-0145-0790-0002")
    assert f'action="/petugas/layanan-sandi/{user_id}"' in by_nik.text

    wrong = await officer.post(
        f"/petugas/layanan-sandi/{user_id}", data={"nik": "3273014507900003"}
    )
    assert wrong.status_code == 422 and 'id="desk-code"' not in wrong.text
    assert await fetch_rows(db_dsn, "SELECT * FROM password_reset_codes") == []

    right = await officer.post(
        f"/petugas/layanan-sandi/{user_id}", data={"nik": "3273 0145 0790 0002"}
    )
    assert right.status_code == 200 and "no-store" in right.headers["cache-control"]
    code = re.search(r'id="desk-code".*?<strong>([0-9]{8})</strong>', right.text, re.S).group(1)

    audit = await fetch_rows(
        db_dsn,
        "SELECT actor, action FROM audit_log WHERE target_id = $1 AND action LIKE 'account.desk%'"
        " ORDER BY id",
        str(user_id),
    )
    assert [(r["actor"], r["action"]) for r in audit] == [
        (people["officer"], "account.desk_reset_refused"),
        (people["officer"], "account.desk_reset"),
    ]
    # Staff accounts are not reset at the desk.
    staff = await officer.post(f"/petugas/layanan-sandi/{people['admin']}", data={"nik": NIK})
    assert staff.status_code == 404

    # The citizen sets a password of their own with the code, once.
    done = await _redeem(client, code)
    assert done.status_code == 303 and done.headers["location"] == "/masuk"
    assert (await _redeem(client, code, password="kue-lapis-legit-2026")).status_code == 422
    async with browser_client(app) as browser:
        await log_in(browser, "siti", NEW_PASSWORD)
    [changed] = await fetch_rows(
        db_dsn,
        "SELECT actor FROM audit_log WHERE action = 'account.password_code_desk'",
    )
    assert changed["actor"] == user_id


async def test_the_service_desk_is_for_staff_only(app: Litestar, as_role) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    assert (await citizen.get("/petugas/layanan-sandi")).status_code == 403
    admin: httpx.AsyncClient = await as_role("admin")
    assert (await admin.get("/petugas/layanan-sandi")).status_code == 200


async def test_a_search_the_database_cannot_store_is_said_not_a_500(as_role) -> None:
    """A NUL or broken UTF-8 in the desk's search (found by the fuzz test): a message in the
    form, what was typed shown back, no lookup."""
    officer: httpx.AsyncClient = await as_role("officer")
    answer = await officer.get("/petugas/layanan-sandi?username=Siti%00Aminah")
    assert answer.status_code == 422
    assert 'aria-invalid="true"' in answer.text and "Siti" in answer.text
