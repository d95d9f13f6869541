"""Hand-over to an outside agency against a real HTTP server playing the agency: registered by
an admin with a secret shown once, documents signed and verified on the agency's side, the
agency down for a while and every document still delivered once, and its signed updates
coming back through the lifecycle to what the citizen sees."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan.accounts.personal_data import cipher_for
from pengaduan.accounts.tables import User
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.settings import Settings
from tests.conftest import browser_client, log_in
from tests.factories import attach_evidence, make_category, make_complaint, make_unit, make_user
from tests.integration.outbox_helpers import make_due, quiet_session_app  # noqa: F401
from tests.support.agency import AgencySink

UPDATES = "/antarmuka/instansi-luar/v1/pembaruan"
PHONE = "081234567890"


@pytest.fixture
def agency() -> Iterator[AgencySink]:
    sink = AgencySink().start()
    yield sink
    sink.stop()


@pytest.fixture
async def world(app: Litestar, settings: Settings) -> dict[str, int]:
    unit = await make_unit("Dinas Pekerjaan Umum")
    citizen = await make_user("citizen", "warga")
    await User.update({User.phone_encrypted: cipher_for(settings).encrypt(PHONE)}).where(
        User.id == citizen
    )
    return {
        "unit": unit,
        "category": await make_category(unit, "Jalan Rusak"),
        "citizen": citizen,
        "officer": await make_user("officer", "petugas", unit=unit),
        "admin": await make_user("admin", "admin"),
    }


@asynccontextmanager
async def _client_as(app: Litestar, username: str) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_client(app) as client:
        await log_in(client, username)
        yield client


@pytest.fixture
async def admin(app: Litestar, world: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_as(app, "admin") as client:
        yield client


@pytest.fixture
async def officer(app: Litestar, world: dict[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    async with _client_as(app, "petugas") as client:
        yield client


async def register(
    admin: httpx.AsyncClient, url: str, name: str = "PDAM Tirta", secret: str = ""
) -> tuple[int, str]:
    """The admin registers an agency; its id and the secret the page shows once."""
    page = await admin.post(
        "/admin/instansi-luar/baru", data={"name": name, "endpoint_url": url, "secret": secret}
    )
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    shown = re.search(r'<code id="shared-secret">([^<]+)</code>', page.text)
    assert shown, page.text
    found = re.search(r"/admin/instansi-luar/(\d+)", page.text)
    return int(found[1]), shown[1]


async def hand_over(
    officer: httpx.AsyncClient, complaint_id: int, agency_id: int, note: str = "Pipa PDAM bocor"
) -> httpx.Response:
    return await officer.post(
        f"/petugas/pengaduan/{complaint_id}/teruskan",
        data={"unit": f"luar-{agency_id}", "forward_note": note},
    )


def signed(
    agency_id: int, secret: str, payload: dict, *, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers an agency sends (what the README's openssl example makes)."""
    body = json.dumps(payload).encode()
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Pengaduan-Agency": str(agency_id),
        "X-Pengaduan-Timestamp": stamp,
        "X-Pengaduan-Signature": f"sha256={mac}",
    }


async def _rows(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def deliver(settings: Settings, dsn: str) -> int:
    """One round of the outbox worker; how many hand-over documents are delivered by now."""
    await outbox_worker.deliver_due(settings)
    rows = await _rows(
        dsn, "SELECT count(*) AS n FROM outbox WHERE channel = 'handover' AND sent_at IS NOT NULL"
    )
    return rows[0]["n"]


async def _verified_complaint(world: dict[str, int], **fields: object) -> tuple[int, str]:
    complaint = await make_complaint(
        reporter=world["citizen"],
        unit=world["unit"],
        category=world["category"],
        status="verified",
        **fields,
    )
    rows = await _rows_number(complaint)
    return complaint, rows


async def _rows_number(complaint_id: int) -> str:
    from pengaduan.complaints.tables import Complaint

    row = await Complaint.select(Complaint.number).where(Complaint.id == complaint_id).first()
    return row["number"]


async def test_the_admin_registers_an_agency_with_a_secret_shown_once_and_stored_encrypted(
    admin: httpx.AsyncClient, db_dsn: str, settings: Settings
) -> None:
    agency_id, secret = await register(admin, "http://127.0.0.1:9/terima")
    assert len(secret) >= 32
    row = (await _rows(db_dsn, "SELECT * FROM outside_agencies WHERE id = $1", agency_id))[0]
    assert secret not in row["secret_encrypted"]
    assert cipher_for(settings).decrypt(row["secret_encrypted"]) == secret
    listed = await admin.get("/admin/instansi-luar")
    assert "PDAM Tirta" in listed.text and secret not in listed.text
    detail = await admin.get(f"/admin/instansi-luar/{agency_id}")
    assert detail.status_code == 200 and secret not in detail.text

    typed = "k" * 40
    rotated = await admin.post(f"/admin/instansi-luar/{agency_id}/rahasia", data={"secret": typed})
    assert rotated.status_code == 200 and typed in rotated.text
    row = (await _rows(db_dsn, "SELECT * FROM outside_agencies WHERE id = $1", agency_id))[0]
    assert cipher_for(settings).decrypt(row["secret_encrypted"]) == typed
    short = await admin.post(f"/admin/instansi-luar/{agency_id}/rahasia", data={"secret": "pendek"})
    assert short.status_code == 422

    bad = await admin.post(
        "/admin/instansi-luar/baru", data={"name": "Lain", "endpoint_url": "ftp://x"}
    )
    assert bad.status_code == 422
    saved = await admin.post(
        f"/admin/instansi-luar/{agency_id}",
        data={"name": "PDAM Tirta Sehat", "endpoint_url": "http://127.0.0.1:9/baru"},
    )
    assert saved.status_code == 303
    off = await admin.post(f"/admin/instansi-luar/{agency_id}/nonaktifkan")
    assert off.status_code == 303

    audit = await _rows(
        db_dsn,
        "SELECT action, data::text AS data FROM audit_log WHERE target_type = 'outside_agency'"
        " ORDER BY id",
    )
    assert [r["action"] for r in audit] == [
        "outside_agency.create",
        "outside_agency.secret_rotated",
        "outside_agency.update",
        "outside_agency.deactivated",
    ]
    assert all(secret not in r["data"] and typed not in r["data"] for r in audit)


async def test_a_handed_over_complaint_reaches_the_agency_signed_with_what_it_needs(
    admin: httpx.AsyncClient,
    officer: httpx.AsyncClient,
    agency: AgencySink,
    world: dict[str, int],
    settings: Settings,
    db_dsn: str,
) -> None:
    agency_id, agency.secret = await register(admin, agency.url)
    named, named_number = await _verified_complaint(world)
    form = await officer.get(f"/petugas/pengaduan/{named}")
    assert f'<option value="luar-{agency_id}">PDAM Tirta</option>' in form.text
    await attach_evidence(named, world["citizen"])
    hidden, _hidden_number = await _verified_complaint(world, is_anonymous=True)
    for complaint in (named, hidden):
        answer = await hand_over(officer, complaint, agency_id)
        assert answer.status_code == 303, answer.text

    status = await _rows(db_dsn, "SELECT status, handed_to FROM complaints WHERE id = $1", named)
    assert (status[0]["status"], status[0]["handed_to"]) == ("in_progress", agency_id)
    history = await _rows(
        db_dsn,
        "SELECT old_status, new_status, note FROM status_history WHERE complaint = $1"
        " ORDER BY id DESC LIMIT 1",
        named,
    )
    assert history[0]["new_status"] == "in_progress" and "PDAM Tirta" in history[0]["note"]

    assert await deliver(settings, db_dsn) == 2
    assert agency.bad_signatures == 0
    documents = {d["number"]: d for d in agency.documents()}
    document = documents[named_number]
    assert document["reporter"] == {"name": "Warga", "email": "warga@uji.test", "phone": PHONE}
    assert document["note"] == "Pipa PDAM bocor" and document["category"] == "Jalan Rusak"
    assert "nik" not in json.dumps(document).lower()
    (anonymous,) = [d for d in documents.values() if d["number"] != named_number]
    assert anonymous["reporter"] is None and "Warga" not in json.dumps(anonymous)

    # The evidence link works for the agency, and only as it was signed.
    (evidence,) = document["evidence"]
    path = evidence["url"].removeprefix(settings.base_url.rstrip("/"))
    fetched = await admin.get(path)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == evidence["sha256"]
    forged = await admin.get(path.replace("instansi=", "instansi=9"))
    assert forged.status_code == 404

    # The officer's page and the citizen's say who handles it now.
    staff_page = await officer.get(f"/petugas/pengaduan/{named}")
    assert 'id="complaint-handed-to"' in staff_page.text


async def test_the_agency_down_for_a_while_still_gets_every_document_exactly_once(
    admin: httpx.AsyncClient,
    officer: httpx.AsyncClient,
    agency: AgencySink,
    world: dict[str, int],
    settings: Settings,
    db_dsn: str,
) -> None:
    agency_id, agency.secret = await register(admin, agency.url)
    agency.stop()  # down
    complaints = [(await _verified_complaint(world))[0] for _ in range(3)]
    for complaint in complaints:
        assert (await hand_over(officer, complaint, agency_id)).status_code == 303

    for _round in range(2):
        assert await deliver(settings, db_dsn) == 0
        await make_due(db_dsn)
    rows = await _rows(db_dsn, "SELECT attempts, sent_at FROM outbox WHERE channel = 'handover'")
    assert [(r["attempts"], r["sent_at"]) for r in rows] == [(2, None)] * 3

    # Back up, but the first answer to one document is lost (a 503 after it was read): the
    # retry carries the same key, so the agency keeps one copy.
    agency.start()
    agency.status = 503
    assert await deliver(settings, db_dsn) == 0
    first_keys = list(agency.attempts)
    agency.status = 200
    await make_due(db_dsn)
    assert await deliver(settings, db_dsn) == 3
    await make_due(db_dsn)
    assert await deliver(settings, db_dsn) == 3  # nothing sent twice

    accepted = agency.accepted
    assert len(accepted) == 3
    assert all(len(copies) == 1 for copies in accepted.values())
    assert sorted(first_keys) == sorted(accepted)  # the retries carried the same keys
    assert agency.bad_signatures == 0
    rows = await _rows(db_dsn, "SELECT sent_at, dead_at FROM outbox WHERE channel = 'handover'")
    assert all(r["sent_at"] is not None and r["dead_at"] is None for r in rows)


async def test_a_signed_update_from_the_agency_changes_what_the_citizen_sees(
    app: Litestar,
    admin: httpx.AsyncClient,
    officer: httpx.AsyncClient,
    bare_client: httpx.AsyncClient,
    agency: AgencySink,
    world: dict[str, int],
    db_dsn: str,
) -> None:
    agency_id, secret = await register(admin, agency.url)
    complaint, number = await _verified_complaint(world)
    assert (await hand_over(officer, complaint, agency_id)).status_code == 303

    async with _client_as(app, "warga") as citizen:
        page = await citizen.get(f"/pengaduan/{complaint}")
        assert re.search(r'id="complaint-handled-by">PDAM Tirta', page.text)

        reply = {"update_id": "u-1", "number": number, "message": "Petugas kami ke lokasi besok."}
        body, headers = signed(agency_id, secret, reply)
        answer = await bare_client.post(UPDATES, content=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "ok": True,
            "update_id": "u-1",
            "number": number,
            "status": "in_progress",
            "repeat": False,
        }
        page = await citizen.get(f"/pengaduan/{complaint}")
        assert "Petugas kami ke lokasi besok." in page.text

        done = {
            "update_id": "u-2",
            "number": number,
            "status": "resolved",
            "message": "Pipa diganti.",
        }
        body, headers = signed(agency_id, secret, done)
        answer = await bare_client.post(UPDATES, content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["status"] == "resolved"
        again = await bare_client.post(UPDATES, content=body, headers=headers)  # a retry
        assert again.status_code == 200 and again.json()["repeat"] is True

        page = await citizen.get(f"/pengaduan/{complaint}")
        assert "Pipa diganti." in page.text
        assert 'data-status="resolved"' in page.text or "Selesai" in page.text

    official = await _rows(
        db_dsn,
        "SELECT author, outside_agency, is_official_response FROM messages WHERE complaint = $1"
        " ORDER BY id",
        complaint,
    )
    assert [(r["author"], r["outside_agency"], r["is_official_response"]) for r in official] == [
        (None, agency_id, False),
        (None, agency_id, True),
    ]
    history = await _rows(
        db_dsn,
        "SELECT new_status, outside_agency FROM status_history WHERE complaint = $1"
        " ORDER BY id DESC LIMIT 1",
        complaint,
    )
    assert (history[0]["new_status"], history[0]["outside_agency"]) == ("resolved", agency_id)

    # Refused by the lifecycle now (resolved): 409 with a message.
    body, headers = signed(
        agency_id,
        secret,
        {"update_id": "u-3", "number": number, "status": "rejected", "message": "x"},
    )
    refused = await bare_client.post(UPDATES, content=body, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]

    # Public tracking says who handled it too.
    track = await bare_client.get("/lacak", params={"nomor": number, "kode": "KODE1234"})
    assert 'id="track-handled-by"' in track.text


async def test_bad_credentials_and_bad_updates_are_refused_never_with_a_server_error(
    admin: httpx.AsyncClient,
    officer: httpx.AsyncClient,
    bare_client: httpx.AsyncClient,
    world: dict[str, int],
) -> None:
    agency_id, secret = await register(admin, "http://127.0.0.1:9/terima")
    other_id, other_secret = await register(admin, "http://127.0.0.1:9/lain", name="Dinas Lain")
    complaint, number = await _verified_complaint(world)
    assert (await hand_over(officer, complaint, agency_id)).status_code == 303
    update = {"update_id": "a", "number": number, "message": "Diterima."}

    body, headers = signed(agency_id, "salah" * 8, update)
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 401
    body, headers = signed(agency_id, secret, update, timestamp=int(time.time()) - 3600)
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 401
    body, headers = signed(999_999, secret, update)
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 401
    body, headers = signed(agency_id, secret, update)
    latin = {**headers, "X-Pengaduan-Signature": "sha256=é".encode("latin-1")}
    sent = await bare_client.post(UPDATES, content=body, headers=latin)
    assert sent.status_code == 401
    assert (await bare_client.post(UPDATES, content=b"{}")).status_code == 401
    body, headers = signed(agency_id, secret, update)
    tampered = body.replace(b"Diterima", b"Ditolak!")
    assert (await bare_client.post(UPDATES, content=tampered, headers=headers)).status_code == 401

    # Genuine, but not its complaint, or not a complaint at all: 404; malformed: 422.
    body, headers = signed(other_id, other_secret, update)
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 404
    body, headers = signed(agency_id, secret, {**update, "number": "ADU-1999-000001"})
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 404
    for wrong in ({**update, "status": "closed"}, {"number": number}, [1, 2], "x"):
        body, headers = signed(agency_id, secret, wrong)  # type: ignore[arg-type]
        answer = await bare_client.post(UPDATES, content=body, headers=headers)
        assert answer.status_code == 422, (wrong, answer.text)
        assert answer.json()["error"]
    body, headers = signed(agency_id, secret, {**update, "status": "resolved", "message": ""})
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 422
    stamp = str(int(time.time()))
    raw = b"\xff not json"
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {
        "X-Pengaduan-Agency": str(agency_id),
        "X-Pengaduan-Timestamp": stamp,
        "X-Pengaduan-Signature": f"sha256={mac}",
    }
    assert (await bare_client.post(UPDATES, content=raw, headers=headers)).status_code == 422


async def test_only_an_officer_who_may_handle_it_hands_a_complaint_over(
    app: Litestar, admin: httpx.AsyncClient, officer: httpx.AsyncClient, world: dict[str, int]
) -> None:
    agency_id, _secret = await register(admin, "http://127.0.0.1:9/terima")
    other_unit = await make_unit("Dinas Lain")
    await make_user("officer", "petugas2", unit=other_unit)
    complaint, _number = await _verified_complaint(world)
    async with _client_as(app, "petugas2") as stranger:
        assert (await hand_over(stranger, complaint, agency_id)).status_code == 404
    pending = await make_complaint(
        reporter=world["citizen"], unit=world["unit"], category=world["category"]
    )
    refused = await hand_over(officer, pending, agency_id)
    assert refused.status_code == 409  # verified first: its data leaves only then
    empty = await hand_over(officer, complaint, agency_id, note="  ")
    assert empty.status_code == 422
    assert (await hand_over(officer, complaint, agency_id)).status_code == 303
    again = await hand_over(officer, complaint, agency_id)
    assert again.status_code == 422


async def test_guessing_at_signatures_slows_down_without_locking_the_agency_out(
    admin: httpx.AsyncClient,
    officer: httpx.AsyncClient,
    bare_client: httpx.AsyncClient,
    world: dict[str, int],
) -> None:
    from pengaduan.accounts.throttle import REQUESTS_PER_HOUR

    agency_id, secret = await register(admin, "http://127.0.0.1:9/terima")
    complaint, number = await _verified_complaint(world)
    assert (await hand_over(officer, complaint, agency_id)).status_code == 303
    update = {"update_id": "g", "number": number, "message": "Diterima."}
    body, headers = signed(agency_id, "tebak" * 8, update)
    statuses = [
        (await bare_client.post(UPDATES, content=body, headers=headers)).status_code
        for _ in range(REQUESTS_PER_HOUR["handover_signature"] + 1)
    ]
    assert statuses[:-1] == [401] * REQUESTS_PER_HOUR["handover_signature"]
    last = await bare_client.post(UPDATES, content=body, headers=headers)
    assert last.status_code == 429 and int(last.headers["retry-after"]) > 0
    body, headers = signed(agency_id, secret, update)
    assert (await bare_client.post(UPDATES, content=body, headers=headers)).status_code == 200
