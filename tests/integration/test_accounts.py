"""Registration, personal data at rest, login throttling, sessions, email confirmation, reset."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from pengaduan.accounts import sessions as session_service
from tests.conftest import browser_client, log_in
from tests.factories import PASSWORD, make_user
from tests.support.databases import fetch_rows, settings_for

NIK = "3273014507900002"  # Bandung, a woman born 05-07-1990
GOOD = {
    "full_name": "Siti Aminah",
    "nik": NIK,
    "phone": "0812-3456-7890",
    "address": "Jl. Cihampelas No. 12, Bandung",
    "email": "Siti.Aminah@Contoh.id",
    "username": "siti",
    "password": "kopi-susu-pagi-2026",
    "password_confirm": "kopi-susu-pagi-2026",
}


async def _mails(dsn: str, kind: str | None = None) -> list[dict]:
    rows = await fetch_rows(dsn, "SELECT recipient, payload FROM outbox ORDER BY id")
    mails = [{"to": r["recipient"], **json.loads(r["payload"])} for r in rows]
    return [m for m in mails if kind is None or m["kind"] == kind]


def _link(mail: dict) -> str:
    match = re.search(r"https?://\S+?(/[a-z-]+/[A-Za-z0-9._-]+)", mail["text"])
    assert match, mail["text"]
    return match.group(1)


# --- registration ---------------------------------------------------------------------------


async def test_registration_creates_a_citizen_and_sends_a_confirmation(
    client: httpx.AsyncClient, db_dsn: str
) -> None:
    response = await client.post("/daftar", data=GOOD)
    assert response.status_code == 303 and response.headers["location"] == "/masuk"
    (user,) = await fetch_rows(db_dsn, "SELECT * FROM users")
    assert user["username"] == "siti" and user["email"] == "siti.aminah@contoh.id"
    assert user["role"] == "citizen" and user["email_confirmed_at"] is None
    assert user["password_hash"].startswith("$2")
    (mail,) = await _mails(db_dsn)
    assert mail["to"] == "siti.aminah@contoh.id" and mail["kind"] == "confirm_email"
    assert "/konfirmasi-email/" in mail["text"]


async def test_no_personal_data_in_plain_text_in_the_raw_rows(
    client: httpx.AsyncClient, db_dsn: str
) -> None:
    await client.post("/daftar", data=GOOD)
    (row,) = await fetch_rows(db_dsn, "SELECT u::text AS everything FROM users u")
    everything = row["everything"]
    for secret in (NIK, "81234567890", "Cihampelas", "3273014507"):
        assert secret not in everything
    # Nor anywhere else in the database (audit log, outbox, sessions).
    for table in ("audit_log", "outbox", "sessions"):
        dump = await fetch_rows(db_dsn, f"SELECT t::text AS t FROM {table} t")
        assert all(NIK not in r["t"] and "Cihampelas" not in r["t"] for r in dump)


async def test_owner_sees_the_decrypted_data_on_the_profile(client: httpx.AsyncClient) -> None:
    await client.post("/daftar", data=GOOD)
    await log_in(client, "siti", GOOD["password"])
    page = (await client.get("/akun")).text
    assert "Jl. Cihampelas No. 12, Bandung" in page and "+6281234567890" in page
    assert "3273••••••••0002" in page and NIK not in page


async def test_every_problem_gets_its_own_message_and_values_are_kept(
    client: httpx.AsyncClient, db_dsn: str
) -> None:
    bad = {
        **GOOD,
        "nik": "1234",
        "phone": "12",
        "email": "bukan-email",
        "username": "A!",
        "password": "rahasia",
        "password_confirm": "rahasia",
    }
    response = await client.post("/daftar", data=bad)
    assert response.status_code == 422
    html = response.text
    for field in ("nik", "phone", "email", "username", "password"):
        assert f'id="e-{field}"' in html, field
    assert 'value="Siti Aminah"' in html and "Jl. Cihampelas No. 12, Bandung" in html
    assert 'value="bukan-email"' in html and 'value="1234"' in html
    assert await fetch_rows(db_dsn, "SELECT id FROM users") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"nik": "3273 0145 0790 0002", "username": "lain", "email": ""}, "nik"),
        ({"nik": "3273010101900001", "username": "SITI", "email": ""}, "username"),
        (
            {"nik": "3273010101900001", "username": "lain", "email": "SITI.AMINAH@contoh.id"},
            "email",
        ),
    ],
    ids=["same NIK written differently", "username in capitals", "email in capitals"],
)
async def test_one_account_per_nik_username_and_email(
    client: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    assert (await client.post("/daftar", data=GOOD)).status_code == 303
    response = await client.post("/daftar", data={**GOOD, **change})
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [
        ("qwertyuiop", "qwertyuiop", "password"),  # common
        ("Bismillah123", "Bismillah123", "password"),  # common, any case
        ("siti", "siti", "password"),  # short
        (NIK, NIK, "password"),  # the NIK
        ("kopi-susu-pagi-2026", "kopi-susu-siang", "password_confirm"),
    ],
)
async def test_password_rules_on_registration(
    client: httpx.AsyncClient, password: str, confirm: str, field: str
) -> None:
    response = await client.post(
        "/daftar", data={**GOOD, "password": password, "password_confirm": confirm}
    )
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.text


async def test_password_equal_to_username_is_refused(client: httpx.AsyncClient) -> None:
    data = {
        **GOOD,
        "username": "sitiaminah90",
        "password": "SitiAminah90",
        "password_confirm": "SitiAminah90",
    }
    response = await client.post("/daftar", data=data)
    assert 'id="e-password"' in response.text


async def test_email_is_optional(client: httpx.AsyncClient, db_dsn: str) -> None:
    response = await client.post("/daftar", data={**GOOD, "email": ""})
    assert response.status_code == 303
    assert await _mails(db_dsn) == []


# --- email confirmation ---------------------------------------------------------------------


async def test_confirmation_link_confirms_once_and_only_that_address(
    client: httpx.AsyncClient, db_dsn: str
) -> None:
    await client.post("/daftar", data=GOOD)
    link = _link((await _mails(db_dsn, "confirm_email"))[0])
    page = await client.get(link)
    assert page.status_code == 200 and "siti.aminah@contoh.id" in page.text
    # Opening the link changes nothing (mail scanners open links): its button confirms.
    (row,) = await fetch_rows(db_dsn, "SELECT email_confirmed_at FROM users")
    assert row["email_confirmed_at"] is None
    assert f'<form method="post" action="{link}"' in page.text
    done = await client.post(link)
    assert done.status_code == 200 and "siti.aminah@contoh.id" in done.text
    (row,) = await fetch_rows(db_dsn, "SELECT email_confirmed_at FROM users")
    assert row["email_confirmed_at"] is not None
    forged = await client.get(link[:-3] + "abc")
    assert forged.status_code == 400
    assert (await client.post(link[:-3] + "abc")).status_code == 400


async def test_a_changed_email_must_be_confirmed_again(
    client: httpx.AsyncClient, db_dsn: str
) -> None:
    await client.post("/daftar", data=GOOD)
    old_link = _link((await _mails(db_dsn, "confirm_email"))[0])
    await log_in(client, "siti", GOOD["password"])
    form = {
        "full_name": "Siti A.",
        "email": "siti@baru.id",
        "phone": GOOD["phone"],
        "address": GOOD["address"],
    }
    assert (await client.post("/akun", data=form)).status_code == 303
    mails = await _mails(db_dsn, "confirm_email")
    assert mails[-1]["to"] == "siti@baru.id"
    assert (await client.get(old_link)).status_code == 400  # for the old address
    assert (await client.post(old_link)).status_code == 400
    assert (await client.post(_link(mails[-1]))).status_code == 200
    (row,) = await fetch_rows(db_dsn, "SELECT email, email_confirmed_at, full_name FROM users")
    assert row["email"] == "siti@baru.id" and row["email_confirmed_at"] is not None


async def test_invalid_profile_edit_keeps_what_was_typed(client: httpx.AsyncClient) -> None:
    await client.post("/daftar", data=GOOD)
    await log_in(client, "siti", GOOD["password"])
    form = {"full_name": "Siti Baru", "email": "rusak@", "phone": "0811111111", "address": ""}
    response = await client.post("/akun", data=form)
    assert response.status_code == 422
    assert 'value="Siti Baru"' in response.text and 'value="rusak@"' in response.text
    assert 'id="e-address"' in response.text


async def test_a_profile_without_phone_or_address_says_what_is_missing(
    as_role, people: dict[str, int]
) -> None:
    """A stored profile that lacks them (an account written before they were asked): the
    page says so before the first save, and a save without them names what the profile
    lacks, keeping every typed value."""
    citizen = await as_role("citizen")  # make_user writes no phone and no address
    page = (await citizen.get("/akun")).text
    assert 'id="profile-missing"' in page
    assert "Profil Anda belum memiliki nomor telepon dan alamat" in page
    form = {"full_name": "Warga Baru", "email": "baru@uji.test", "phone": "", "address": ""}
    response = await citizen.post("/akun", data=form)
    assert response.status_code == 422
    assert 'value="Warga Baru"' in response.text and 'value="baru@uji.test"' in response.text
    assert "Profil Anda belum memiliki nomor telepon" in response.text
    assert "Profil Anda belum memiliki alamat" in response.text
    form.update(phone="0812 3456 7890", address="Jl. Braga No. 1, Bandung")
    assert (await citizen.post("/akun", data=form)).status_code == 303
    assert 'id="profile-missing"' not in (await citizen.get("/akun")).text


# --- login and throttling -------------------------------------------------------------------


async def test_login_by_username_or_email_and_landing_per_role(
    app: Litestar, people: dict[str, int]
) -> None:
    for identifier, landing in (
        ("warga", "/akun"),
        ("PETUGAS@uji.test", "/petugas"),
        ("admin", "/admin/statistik"),
    ):
        async with browser_client(app) as client:
            response = await client.post(
                "/masuk", data={"identifier": identifier, "password": PASSWORD}
            )
            assert response.status_code == 303 and response.headers["location"] == landing
            cookie = response.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


async def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    wrong = await client.post("/masuk", data={"identifier": "warga", "password": "salah-salah"})
    unknown = await client.post("/masuk", data={"identifier": "siapa", "password": "salah-salah"})
    assert wrong.status_code == unknown.status_code == 422
    message = re.compile(r'<p class="alert bad" role="alert" id="form-error">(.*?)</p>')
    assert message.search(wrong.text).group(1) == message.search(unknown.text).group(1)


async def test_login_is_throttled_per_account_with_the_wait_told(
    app: Litestar, people: dict[str, int], db_dsn: str
) -> None:
    async with browser_client(app) as client:
        for _ in range(4):
            r = await client.post("/masuk", data={"identifier": "warga", "password": "x" * 10})
            assert r.status_code == 422
        fifth = await client.post("/masuk", data={"identifier": "warga", "password": "x" * 10})
        assert fifth.status_code == 429 and 0 < int(fifth.headers["retry-after"]) <= 30
        assert "30" in fifth.text  # "try again in 30 seconds"
        # Even the right password waits now.
        right = await client.post("/masuk", data={"identifier": "warga", "password": PASSWORD})
        assert right.status_code == 429
    # The count lives in the database (shared by every worker), keyed by account and address.
    rows = await fetch_rows(db_dsn, "SELECT key, failures, locked_until FROM login_throttles")
    keys = {r["key"]: r for r in rows}
    account = f"user:{people['citizen']}"
    assert keys[account]["failures"] == 5 and keys[account]["locked_until"]
    # The wait doubles and stops at a 15-minute lock.
    from pengaduan.accounts.throttle import wait_after

    assert wait_after("account", 6) == timedelta(seconds=60)
    assert wait_after("account", 30) == timedelta(minutes=15)
    # When the wait is over, the right password works and clears the count.
    await fetch_rows(
        db_dsn, "UPDATE login_throttles SET locked_until = now() - interval '1 second'"
    )
    async with browser_client(app) as client:
        await log_in(client, "warga")
    rows = await fetch_rows(db_dsn, "SELECT key FROM login_throttles WHERE key = $1", account)
    assert rows == []


async def test_login_is_throttled_per_client_address(app: Litestar, people: dict[str, int]) -> None:
    async with browser_client(app) as client:
        statuses = [
            (
                await client.post("/masuk", data={"identifier": f"orang{i}", "password": "x" * 10})
            ).status_code
            for i in range(21)
        ]
    assert statuses[:19] == [422] * 19 and statuses[19] == 429


async def test_inactive_user_cannot_log_in(
    client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    await fetch_rows(db_dsn, "UPDATE users SET is_active = false WHERE username = 'warga'")
    response = await client.post("/masuk", data={"identifier": "warga", "password": PASSWORD})
    assert response.status_code == 422


async def test_a_deactivated_user_is_told_so_only_after_the_right_password(
    client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    await fetch_rows(db_dsn, "UPDATE users SET is_active = false WHERE username = 'warga'")
    client.cookies.set("lang", "en")
    right = await client.post("/masuk", data={"identifier": "warga", "password": PASSWORD})
    assert right.status_code == 422 and "sid" not in right.cookies
    assert "Your account has been deactivated" in right.text
    assert "password is wrong" not in right.text
    # A wrong password gets the usual answer: nothing about the account's state.
    wrong = await client.post("/masuk", data={"identifier": "warga", "password": "salah-" * 3})
    assert wrong.status_code == 422
    assert "The username/email or password is wrong." in wrong.text
    assert "deactivated" not in wrong.text
    client.cookies.set("lang", "id")
    indonesian = await client.post("/masuk", data={"identifier": "warga", "password": PASSWORD})
    assert "Akun Anda telah dinonaktifkan" in indonesian.text


# --- sessions -------------------------------------------------------------------------------


async def test_session_id_is_new_at_login_no_fixation(
    app: Litestar, people: dict[str, int], db_dsn: str
) -> None:
    async with browser_client(app) as client:
        await client.get("/lacak")
        response = await client.post(
            "/masuk",
            data={"identifier": "warga", "password": PASSWORD},
            headers={"cookie": f"sid=planted-by-attacker; csrftoken={client.cookies['csrftoken']}"},
        )
        signed = response.cookies["sid"]
        assert signed and signed != "planted-by-attacker"
    rows = await fetch_rows(db_dsn, "SELECT id_hash FROM sessions")
    assert len(rows) == 1
    # The database holds a hash of the id, never the id itself.
    assert rows[0]["id_hash"] not in signed and signed.split(".")[0] not in rows[0]["id_hash"]


async def test_idle_timeout_and_absolute_lifetime(
    app: Litestar, people: dict[str, int], db_dsn: str, settings
) -> None:
    async with browser_client(app) as client:
        await log_in(client, "warga")
        assert (await client.get("/akun")).status_code == 200
        idle = settings.session_idle_minutes + 1
        await fetch_rows(
            db_dsn, f"UPDATE sessions SET last_seen_at = now() - interval '{idle} minutes'"
        )
        response = await client.get("/akun")
        assert response.status_code == 303 and response.headers["location"].startswith("/masuk")
        assert await fetch_rows(db_dsn, "SELECT id FROM sessions") == []
    async with browser_client(app) as client:
        await log_in(client, "warga")
        await fetch_rows(db_dsn, "UPDATE sessions SET expires_at = now() - interval '1 second'")
        assert (await client.get("/akun")).status_code == 303


async def test_logout_ends_the_session(app: Litestar, people: dict[str, int], db_dsn: str) -> None:
    async with browser_client(app) as client:
        await log_in(client, "warga")
        old_cookie = client.cookies["sid"]
        response = await client.post("/keluar")
        assert response.status_code == 303
        assert await fetch_rows(db_dsn, "SELECT id FROM sessions") == []
        client.cookies.set("sid", old_cookie)  # a copied cookie is worthless now
        assert (await client.get("/akun")).status_code == 303


async def test_log_out_of_all_devices(app: Litestar, people: dict[str, int]) -> None:
    async with browser_client(app) as phone, browser_client(app) as laptop:
        await log_in(phone, "warga")
        await log_in(laptop, "warga")
        response = await laptop.post("/keluar-semua")
        assert response.status_code == 303
        assert (await phone.get("/akun")).status_code == 303
        assert (await laptop.get("/akun")).status_code == 303


async def test_password_change_ends_the_other_sessions_only(
    app: Litestar, people: dict[str, int]
) -> None:
    async with browser_client(app) as phone, browser_client(app) as laptop:
        await log_in(phone, "warga")
        await log_in(laptop, "warga")
        wrong = await laptop.post(
            "/akun/sandi",
            data={
                "current_password": "salah-salah",
                "password": "teh-manis-sore-2026",
                "password_confirm": "teh-manis-sore-2026",
            },
        )
        assert wrong.status_code == 422 and 'id="e-current_password"' in wrong.text
        response = await laptop.post(
            "/akun/sandi",
            data={
                "current_password": PASSWORD,
                "password": "teh-manis-sore-2026",
                "password_confirm": "teh-manis-sore-2026",
            },
        )
        assert response.status_code == 303
        assert (await laptop.get("/akun")).status_code == 200
        assert (await phone.get("/akun")).status_code == 303
    async with browser_client(app) as client:
        await log_in(client, "warga", "teh-manis-sore-2026")


def test_cookies_are_secure_and_host_bound_in_production(db_dsn: str) -> None:
    production = settings_for(
        db_dsn,
        PENGADUAN_MODE="production",
        PENGADUAN_SECRET_KEY="s" * 40,
        PENGADUAN_ENCRYPTION_KEYS="x" * 43 + "=",
        PENGADUAN_BLIND_INDEX_KEY="b" * 40,
        PENGADUAN_BCRYPT_ROUNDS="10",
    )
    header = session_service.session_cookie("v", production).to_header(header="")
    assert header.startswith("__Host-sid=") and "Secure" in header and "HttpOnly" in header
    assert "SameSite=lax" in header and "Path=/" in header


# --- password reset -------------------------------------------------------------------------


async def test_password_reset_by_emailed_link_works_once(
    app: Litestar, client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    response = await client.post("/lupa-sandi", data={"identifier": "warga"})
    assert response.status_code == 200 and 'id="reset-sent"' in response.text
    (mail,) = await _mails(db_dsn, "password_reset")
    assert mail["to"] == "warga@uji.test"
    link = _link(mail)
    assert (await client.get(link)).status_code == 200
    weak = await client.post(link, data={"password": "123", "password_confirm": "123"})
    assert weak.status_code == 422
    done = await client.post(
        link, data={"password": "nasi-goreng-pedas", "password_confirm": "nasi-goreng-pedas"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/masuk"
    again = await client.post(
        link, data={"password": "nasi-goreng-manis", "password_confirm": "nasi-goreng-manis"}
    )
    assert again.status_code == 400  # single use
    async with browser_client(app) as fresh:
        await log_in(fresh, "warga", "nasi-goreng-pedas")


async def test_reset_answers_the_same_whether_or_not_the_account_exists(
    client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    known = await client.post("/lupa-sandi", data={"identifier": "warga"})
    unknown = await client.post("/lupa-sandi", data={"identifier": "tidak-ada"})
    strip = re.compile(r'name="_csrf_token" value="[^"]*"|"x-csrftoken": "[^"]*"')
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert len(await _mails(db_dsn, "password_reset")) == 1


async def test_reset_link_expires_after_one_hour(
    client: httpx.AsyncClient,
    people: dict[str, int],
    db_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() - 3601)
    await client.post("/lupa-sandi", data={"identifier": "warga"})
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    link = _link((await _mails(db_dsn, "password_reset"))[0])
    response = await client.get(link)
    assert response.status_code == 400


async def test_unconfirmed_address_gets_the_confirmation_not_a_reset(
    client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    await make_user("citizen", "baru", confirmed=False)
    await client.post("/lupa-sandi", data={"identifier": "baru"})
    kinds = [m["kind"] for m in await _mails(db_dsn)]
    assert kinds == ["confirm_email"]


async def test_mail_follows_the_users_language(
    client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    await fetch_rows(db_dsn, "UPDATE users SET language = 'en' WHERE username = 'warga'")
    await client.post("/lupa-sandi", data={"identifier": "warga"})
    (mail,) = await _mails(db_dsn, "password_reset")
    assert "Reset your Pengaduan password" in mail["subject"]
    await client.post("/lupa-sandi", data={"identifier": "petugas"})
    mail = (await _mails(db_dsn, "password_reset"))[-1]
    assert "Reset your Pengaduan password" not in mail["subject"]  # Indonesian


async def test_sessions_table_never_holds_expired_rows_forever(
    app: Litestar, people: dict[str, int], db_dsn: str
) -> None:
    await fetch_rows(
        db_dsn,
        'INSERT INTO sessions (id_hash, "user", data, created_at, last_seen_at, expires_at, ip,'
        " user_agent) VALUES ('old', $1, '{}', $2, $2, $2, '', '')",
        people["citizen"],
        datetime.now(UTC) - timedelta(days=30),
    )
    async with browser_client(app) as client:
        await log_in(client, "warga")
    assert await fetch_rows(db_dsn, "SELECT id FROM sessions WHERE id_hash = 'old'") == []
