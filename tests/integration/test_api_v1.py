"""The mobile app's JSON API (/api/v1): a citizen logs in for a bearer token (throttled as the
website's login), files a complaint with a photo (once per Idempotency-Key), lists and reads
their own, writes, rates, reopens and withdraws through the website's services; errors as
JSON in the asked language; tokens revoked from the account page; never another's complaint;
a browser's session never acts through it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.accounts import sessions, throttle
from pengaduan.web.paths import is_api
from tests.conftest import browser_client, log_in
from tests.factories import PASSWORD, make_category, make_complaint, make_user
from tests.integration.api_client import app_client, bearer, token_for
from tests.support.images import jpeg


@pytest.fixture
async def api(app: Litestar):
    async with app_client(app) as client:
        yield client


@pytest.fixture
async def world(people: dict[str, int]) -> dict[str, int]:
    world = dict(people)
    world["category"] = await make_category(people["unit"], "Jalan Rusak", deadline_days=14)
    world["other_citizen"] = await make_user("citizen", "warga.lain")
    return world


@pytest.fixture
async def token(api: httpx.AsyncClient, world: dict[str, int]) -> str:
    return await token_for(api, "warga")


def form(category_id: int, **fields: str) -> dict[str, str]:
    values = {
        "title": "Lampu jalan mati",
        "description": "Lampu jalan di gang tiga mati sejak seminggu, gelap sekali.",
        "category": str(category_id),
        "latitude": "-6.914744",
        "longitude": "107.609810",
    }
    values.update(fields)
    return values


async def test_a_citizen_files_a_complaint_with_a_photo_and_reads_it_back(
    api: httpx.AsyncClient, world: dict[str, int], token: str
) -> None:
    categories = await api.get("/api/v1/categories", headers=bearer(token))
    assert categories.status_code == 200
    assert [c["name"] for c in categories.json()] == ["Jalan Rusak"]

    response = await api.post(
        "/api/v1/complaints",
        data=form(world["category"]),
        files=[("evidence", ("lampu.jpg", jpeg((800, 600)), "image/jpeg"))],
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["number"].startswith("ADU-") and filed["status"] == "pending"
    assert filed["latitude"] == pytest.approx(-6.914744)
    assert [(f["name"], f["mime_type"]) for f in filed["evidence"]] == [("lampu.jpg", "image/jpeg")]
    assert [e["status"] for e in filed["timeline"]] == ["pending"]
    assert filed["actions"] == {
        "can_withdraw": True,
        "can_message": True,
        "can_rate": False,
        "can_reopen": False,
    }

    mine = (await api.get("/api/v1/complaints", headers=bearer(token))).json()
    assert [c["number"] for c in mine["items"]] == [filed["number"]]
    assert (mine["page"], mine["total"], mine["has_next"]) == (1, 1, False)
    read = await api.get(f"/api/v1/complaints/{filed['id']}", headers=bearer(token))
    assert read.status_code == 200 and read.json()["tracking_code"] == filed["tracking_code"]
    photo = f"/api/v1/complaints/{filed['id']}/evidence/{filed['evidence'][0]['id']}"
    full = await api.get(photo, headers=bearer(token))
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert len(full.content) == filed["evidence"][0]["size"]
    small = await api.get(photo + "?size=small", headers=bearer(token))
    assert small.status_code == 200 and len(small.content) < len(full.content)
    other = await token_for(api, "warga.lain")
    assert (await api.get(photo, headers=bearer(other))).status_code == 404
    # The same complaint the website shows, filed through the same service.
    row = await db.fetchrow("SELECT reporter, unit FROM complaints WHERE id = $1", filed["id"])
    assert (row["reporter"], row["unit"]) == (world["citizen"], world["unit"])


async def test_a_retried_upload_with_the_same_idempotency_key_files_one_complaint(
    api: httpx.AsyncClient, world: dict[str, int], token: str
) -> None:
    key = {"Idempotency-Key": "app-retry-0123456789abcdef"}
    answers = [
        await api.post(
            "/api/v1/complaints",
            data=form(world["category"]),
            files=[("evidence", ("a.jpg", jpeg((320, 240)), "image/jpeg"))],
            headers=bearer(token, **key),
        )
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [201, 200]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert await db.fetchval("SELECT count(*) FROM complaints") == 1
    assert await db.fetchval("SELECT count(*) FROM evidence_files") == 1
    # Another citizen's key is not theirs to replay.
    other = await token_for(api, "warga.lain")
    stolen = await api.post(
        "/api/v1/complaints", data=form(world["category"]), headers=bearer(other, **key)
    )
    assert stolen.status_code == 409 and stolen.json()["error"]["code"] == "conflict"


async def test_the_forms_rules_answer_422_per_field_in_the_asked_language(
    api: httpx.AsyncClient, world: dict[str, int], token: str
) -> None:
    bad = form(world["category"], title="abc", latitude="-6.9", longitude="")
    answer = await api.post("/api/v1/complaints", data=bad, headers=bearer(token))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"title", "longitude"}
    assert "minimal 5 karakter" in error["fields"]["title"]  # Indonesian by default
    english = await api.post(
        "/api/v1/complaints", data=bad, headers=bearer(token, **{"Accept-Language": "en"})
    )
    assert "at least 5 characters" in english.json()["error"]["fields"]["title"]
    # Not a photo: the evidence checks of the website.
    not_photo = await api.post(
        "/api/v1/complaints",
        data=form(world["category"]),
        files=[("evidence", ("catatan.jpg", b"just some text\n", "image/jpeg"))],
        headers=bearer(token, **{"Accept-Language": "en"}),
    )
    assert not_photo.status_code == 422
    assert "catatan.jpg" in not_photo.json()["error"]["fields"]["evidence"]
    # Wrong types are the framework's 400, in the same shape.
    typed = await api.post(
        "/api/v1/complaints", data=form(world["category"], category="x"), headers=bearer(token)
    )
    assert typed.status_code == 400 and "category" in typed.json()["error"]["fields"]
    assert await db.fetchval("SELECT count(*) FROM complaints") == 0


async def test_messages_withdrawal_and_what_a_withdrawn_complaint_refuses(
    api: httpx.AsyncClient, world: dict[str, int], token: str
) -> None:
    complaint = await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"]
    )
    url = f"/api/v1/complaints/{complaint}"
    key = {"Idempotency-Key": "message-key-0123456789"}
    for _ in range(2):
        sent = await api.post(
            url + "/messages", json={"body": "  Kapan diperbaiki?  "}, headers=bearer(token, **key)
        )
        assert sent.status_code == 201, sent.text
    messages = [e for e in sent.json()["timeline"] if e["kind"] == "message"]
    assert [(m["body"], m["by_reporter"]) for m in messages] == [("Kapan diperbaiki?", True)]
    empty = await api.post(url + "/messages", json={"body": "   "}, headers=bearer(token))
    assert empty.status_code == 422 and "body" in empty.json()["error"]["fields"]
    early = await api.post(url + "/rating", json={"score": 5}, headers=bearer(token))
    assert early.status_code == 409 and early.json()["error"]["code"] == "conflict"

    withdrawn = await api.post(url + "/withdraw", headers=bearer(token))
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = await api.post(url + "/withdraw", headers=bearer(token))
    assert again.status_code == 409
    late = await api.post(url + "/messages", json={"body": "Halo?"}, headers=bearer(token))
    assert late.status_code == 409


async def test_rating_closes_a_resolved_complaint_and_reopening_needs_a_reason(
    api: httpx.AsyncClient, world: dict[str, int], token: str
) -> None:
    resolved = {"status": "resolved", "resolved_at": datetime.now(UTC) - timedelta(hours=1)}
    first = await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"], **resolved
    )
    second = await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"], **resolved
    )
    out_of_range = await api.post(
        f"/api/v1/complaints/{first}/rating", json={"score": 9}, headers=bearer(token)
    )
    assert out_of_range.status_code == 400
    rated = await api.post(
        f"/api/v1/complaints/{first}/rating",
        json={"score": 4, "comment": "Cepat"},
        headers=bearer(token),
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["status"] == "closed"
    assert rated.json()["rating"]["score"] == 4

    no_reason = await api.post(
        f"/api/v1/complaints/{second}/reopen", json={"reason": " "}, headers=bearer(token)
    )
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["fields"]
    reopened = await api.post(
        f"/api/v1/complaints/{second}/reopen",
        json={"reason": "Lampunya mati lagi."},
        headers=bearer(token),
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_progress"
    assert reopened.json()["timeline"][-1]["note"] == "Lampunya mati lagi."


async def test_a_citizen_never_reaches_another_citizens_complaint(
    api: httpx.AsyncClient, world: dict[str, int], token: str
) -> None:
    theirs = await make_complaint(
        reporter=world["other_citizen"], unit=world["unit"], category=world["category"]
    )
    url = f"/api/v1/complaints/{theirs}"
    answers = [
        await api.get(url, headers=bearer(token)),
        await api.post(url + "/messages", json={"body": "Halo"}, headers=bearer(token)),
        await api.post(url + "/withdraw", headers=bearer(token)),
        await api.post(url + "/rating", json={"score": 1}, headers=bearer(token)),
        await api.post(url + "/reopen", json={"reason": "x"}, headers=bearer(token)),
        await api.get("/api/v1/complaints/999999", headers=bearer(token)),
        await api.get("/api/v1/complaints/2147483648", headers=bearer(token)),
        await api.get(url + "/evidence/2147483648", headers=bearer(token)),
    ]
    assert [a.status_code for a in answers] == [404] * 8
    assert {a.json()["error"]["code"] for a in answers} == {"not_found"}
    mine = await api.get("/api/v1/complaints", headers=bearer(token))
    assert mine.json()["items"] == []
    status = await db.fetchval("SELECT status FROM complaints WHERE id = $1", theirs)
    assert status == "pending"


async def test_a_token_ends_at_logout_and_when_revoked_on_the_account_page(
    app: Litestar, api: httpx.AsyncClient, world: dict[str, int]
) -> None:
    phone, tablet = await token_for(api, "warga"), await token_for(api, "warga")
    assert (await api.get("/api/v1/complaints", headers=bearer(phone))).status_code == 200

    logged_out = await api.post("/api/v1/logout", headers=bearer(phone))
    assert logged_out.status_code == 204
    after = await api.get("/api/v1/complaints", headers=bearer(phone))
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "unauthorized"
    assert after.headers["www-authenticate"].startswith("Bearer")

    async with browser_client(app) as browser:
        await log_in(browser, "warga")
        page = (await browser.get("/akun")).text
        assert "Aplikasi seluler" in page and "PengaduanApp/1.0" in page
        session_id = await db.fetchval(
            "SELECT id FROM sessions WHERE data->>'kind' = 'app' AND \"user\" = $1",
            world["citizen"],
        )
        ended = await browser.post(f"/akun/sesi/{session_id}/akhiri")
        assert ended.status_code == 303
        assert (await browser.get("/akun")).status_code == 200  # the browser stays in
    assert (await api.get("/api/v1/complaints", headers=bearer(tablet))).status_code == 401


async def test_a_browser_session_cannot_act_through_the_api_and_the_api_needs_no_csrf(
    app: Litestar, world: dict[str, int]
) -> None:
    async with browser_client(app, csrf=False) as browser:
        await log_in(browser_client_with_csrf := browser_client(app), "warga")
        browser.cookies.update(browser_client_with_csrf.cookies)
        await browser_client_with_csrf.aclose()
        assert (await browser.get("/akun")).status_code == 200  # the cookie works there
        read = await browser.get("/api/v1/complaints")
        assert read.status_code == 401
        # No CSRF token and still not the CSRF refusal: the API is exempt, and a cookie
        # is no credential there.
        sent = await browser.post("/api/v1/complaints/1/messages", json={"body": "Dari peramban"})
        assert sent.status_code == 401
        login = await browser.post(
            "/api/v1/login", json={"identifier": "warga", "password": "salah-sekali"}
        )
        assert login.status_code == 422
        # The website's forms still need their token.
        assert (await browser.post("/bahasa", data={"lang": "en"})).status_code == 403
    assert is_api("/api/v1") and is_api("/api/v1/login")
    assert not is_api("/api/v10/login") and not is_api("/api") and not is_api("/akun/api/v1")


async def test_login_is_throttled_like_the_websites_and_only_for_citizens(
    api: httpx.AsyncClient, world: dict[str, int]
) -> None:
    wrong = {"identifier": "warga", "password": "bukan-sandinya"}
    free = throttle.FREE_FAILURES["account"]
    statuses = [(await api.post("/api/v1/login", json=wrong)).status_code for _ in range(free)]
    # The website's rule: the failure that uses up the free ones is answered with the wait.
    assert statuses == [422] * (free - 1) + [429]
    right = {"identifier": "warga", "password": PASSWORD}
    locked = await api.post("/api/v1/login", json=right)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert locked.json()["error"]["code"] == "too_many"
    as_form = await api.post("/api/v1/login", data={"identifier": "warga", "password": "x"})
    assert (
        as_form.status_code == 415 and as_form.json()["error"]["code"] == "unsupported_media_type"
    )
    nul = await api.post("/api/v1/login", json={"identifier": "war\u0000ga", "password": "x"})
    assert nul.status_code == 422 and "identifier" in nul.json()["error"]["fields"]
    officer = await api.post("/api/v1/login", json={"identifier": "petugas", "password": PASSWORD})
    assert officer.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM sessions") == 0


async def test_the_schema_describes_the_api_only_and_the_docs_need_nothing_from_outside(
    api: httpx.AsyncClient,
) -> None:
    schema = (await api.get("/api/v1/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert "/api/v1/complaints/{complaint_id}/messages" in schema["paths"]
    post = schema["paths"]["/api/v1/complaints"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"200", "201", "401", "422"} <= set(post["responses"])
    docs = await api.get("/api/v1/docs")
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    text = docs.text.replace("<wbr>", "")  # where a phone may wrap a path
    assert "POST /api/v1/complaints" in text and "NewComplaint" in text
    assert "http://" not in docs.text and "https://" not in docs.text
    unknown = await api.get("/api/v1/tidak-ada")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


async def test_every_citizen_route_of_the_api_answers_401_json_without_a_token(
    api: httpx.AsyncClient, world: dict[str, int]
) -> None:
    from tests.integration.test_access import API_PREFIX, ROUTE_TABLE

    answers = {}
    for (method, path), access in ROUTE_TABLE.items():
        if path.startswith(API_PREFIX) and access == "citizen":
            url = path.replace("{complaint_id:int}", "1").replace("{file_id:int}", "1")
            response = await api.request(method, url, headers={"Authorization": "Bearer x"})
            answers[f"{method} {path}"] = (response.status_code, response.json()["error"]["code"])
    assert len(answers) == 10
    assert set(answers.values()) == {(401, "unauthorized")}, answers


async def test_a_token_stops_when_it_expires_or_its_account_is_deactivated(
    api: httpx.AsyncClient, world: dict[str, int]
) -> None:
    expiring, other = await token_for(api, "warga"), await token_for(api, "warga")
    assert (await api.get("/api/v1/categories", headers=bearer(expiring))).status_code == 200
    await db.execute(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id_hash = $1",
        sessions.hash_id(expiring),
    )
    assert (await api.get("/api/v1/categories", headers=bearer(expiring))).status_code == 401
    # No idle limit for a phone that opens the app now and then: only the lifetime counts.
    await db.execute(
        "UPDATE sessions SET last_seen_at = now() - interval '20 days' WHERE id_hash = $1",
        sessions.hash_id(other),
    )
    assert (await api.get("/api/v1/categories", headers=bearer(other))).status_code == 200
    await db.execute("UPDATE users SET is_active = false WHERE id = $1", world["citizen"])
    assert (await api.get("/api/v1/categories", headers=bearer(other))).status_code == 401
