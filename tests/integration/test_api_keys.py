"""API keys: issued on the admin page (shown once, stored hashed), revoked, audited; refused
on Open311 when missing, unknown, revoked or without the scope (403, as the specification
says); limited per key across workers (429 with Retry-After)."""

from __future__ import annotations

import hashlib
import re

import httpx
import pytest

from pengaduan import db
from pengaduan.apikeys import limits
from pengaduan.apikeys.limits import KeyLimiter
from pengaduan.apikeys.services import key_for
from pengaduan.errors import Refused
from tests.support.databases import fetch_rows


async def issue(admin: httpx.AsyncClient, name: str, scopes: list[str], per_minute: int) -> str:
    response = await admin.post(
        "/admin/kunci-api",
        data={"name": name, "scopes": scopes, "requests_per_minute": str(per_minute)},
    )
    assert response.status_code == 201, response.text
    return re.search(r'id="new-key-value">([^<]+)<', response.text).group(1)


@pytest.fixture
async def admin(as_role) -> httpx.AsyncClient:
    return await as_role("admin")


async def test_a_key_is_shown_once_stored_hashed_and_listed_by_its_prefix(
    admin: httpx.AsyncClient, db_dsn: str, people: dict[str, int]
) -> None:
    key = await issue(admin, "Aplikasi Kota", ["read", "create"], 120)
    assert key.startswith("pgd_") and len(key) > 40
    rows = await fetch_rows(db_dsn, "SELECT * FROM api_keys")
    assert len(rows) == 1
    row = rows[0]
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {str(v) for v in row.values()}
    assert row["scopes"] == "read,create" and row["requests_per_minute"] == 120
    listing = await admin.get("/admin/kunci-api")
    assert listing.status_code == 200
    assert key not in listing.text and key[:12] in listing.text
    assert "Aplikasi Kota" in listing.text
    audit = await fetch_rows(
        db_dsn, "SELECT actor, action, data FROM audit_log WHERE action LIKE 'api_key.%'"
    )
    assert [(a["actor"], a["action"]) for a in audit] == [(people["admin"], "api_key.issue")]
    assert "Aplikasi Kota" in audit[0]["data"] and key not in audit[0]["data"]


async def test_the_form_says_what_is_missing_in_the_users_language(
    admin: httpx.AsyncClient, db_dsn: str
) -> None:
    response = await admin.post("/admin/kunci-api", data={"name": " ", "requests_per_minute": "0"})
    assert response.status_code == 422
    assert 'id="e-name"' in response.text and 'id="e-scopes"' in response.text
    assert 'id="e-requests_per_minute"' in response.text
    assert "new-key-value" not in response.text
    assert await fetch_rows(db_dsn, "SELECT id FROM api_keys") == []


async def test_open311_refuses_missing_unknown_revoked_and_unscoped_keys_with_403(
    admin: httpx.AsyncClient, bare_client: httpx.AsyncClient, db_dsn: str
) -> None:
    reader = await issue(admin, "Pembaca", ["read"], 100)
    creator = await issue(admin, "Pelapor", ["create"], 100)

    async def read(key: str | None) -> httpx.Response:
        params = {"api_key": key} if key is not None else {}
        return await bare_client.get("/open311/v2/services.json", params=params)

    assert (await read(reader)).status_code == 200
    assert (await read(None)).status_code == 200  # reads are open without a key
    for wrong in ("", "pgd_not-a-key", creator):
        response = await read(wrong)
        assert response.status_code == 403, wrong
        [error] = response.json()
        assert set(error) == {"code", "description"} and error["code"] == 403
        assert wrong == "" or wrong not in error["description"]
    key_id = (await fetch_rows(db_dsn, "SELECT id FROM api_keys WHERE name = 'Pembaca'"))[0][0]
    revoked = await admin.post(f"/admin/kunci-api/{key_id}/cabut")
    assert revoked.status_code == 303
    response = await read(reader)
    assert response.status_code == 403
    assert "dicabut" in response.json()[0]["description"]  # Indonesian by default
    xml = await bare_client.get("/open311/v2/services.xml", params={"api_key": reader})
    assert xml.status_code == 403
    assert xml.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<errors><error><code>403</code><description>" in xml.text
    audit = await fetch_rows(
        db_dsn, "SELECT action, data FROM audit_log WHERE action LIKE 'api_key.%' ORDER BY id"
    )
    assert [a["action"] for a in audit] == ["api_key.issue", "api_key.issue", "api_key.revoke"]
    assert "Pembaca" in audit[-1]["data"]
    listing = await admin.get("/admin/kunci-api")
    assert "dicabut" in listing.text or "revoked" in listing.text


async def test_past_its_limit_a_key_gets_429_with_retry_after(
    admin: httpx.AsyncClient, bare_client: httpx.AsyncClient, db_dsn: str
) -> None:
    key = await issue(admin, "Terbatas", ["read"], 3)
    answers = [
        await bare_client.get("/open311/v2/services.json", params={"api_key": key})
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    wait = int(answers[3].headers["retry-after"])
    assert 1 <= wait <= 60
    [error] = answers[3].json()
    assert error["code"] == 429
    # The use is stamped (with the window's flush), never written per request.
    row = (await fetch_rows(db_dsn, "SELECT last_used_at FROM api_keys"))[0]
    assert row["last_used_at"] is not None
    windows = await fetch_rows(db_dsn, "SELECT used FROM api_key_windows")
    assert len(windows) == 1 and 1 <= windows[0]["used"] <= 3


async def test_the_limit_holds_across_workers_through_the_shared_window(
    admin: httpx.AsyncClient, app
) -> None:
    raw = await issue(admin, "Dua Pekerja", ["read"], 10)
    key = await key_for(raw, "read")
    now = [1_000_000 * 60 + 5.0]  # five seconds into a minute
    first, second = KeyLimiter(clock=lambda: now[0]), KeyLimiter(clock=lambda: now[0])
    for _ in range(6):
        await first.admit(key)
    now[0] += 1.5  # past the flush interval: the first worker tells its count
    await first.admit(key)  # 7, flushed
    # The second worker's first request flushes and learns the first's 7.
    await second.admit(key)
    for _ in range(2):
        await second.admit(key)
    with pytest.raises(Refused) as refused:
        await second.admit(key)
    assert refused.value.reason == "too_many"
    assert refused.value.retry_after == 54
    used = await db.fetchval("SELECT used FROM api_key_windows WHERE api_key = $1", key.id)
    assert used == 8  # what each worker flushed so far (the second's last two still local)
    # A new minute starts afresh.
    now[0] += 60
    await second.admit(key)


def test_the_flush_interval_is_what_the_docstring_promises() -> None:
    assert limits.FLUSH_SECONDS == 1.0 and "once per FLUSH_SECONDS" in limits.__doc__
