"""Complaints by WhatsApp/SMS through the gateway's signed webhook: signatures good, bad and
stale, a message delivered twice done once, ADUAN filed (its photos fetched from a real local
server, a bad one left out and said), CEK with the right and a wrong code, help, the
per-sender limits, and the answers as the (real, local) SMS gateway receives them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.complaints.imaging import ImageWorkers
from pengaduan.notifications import sms
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.notifications.texts import in_language
from pengaduan.settings import Settings
from pengaduan.sms_intake import inbound
from pengaduan.web.labels import status_label
from tests.factories import make_category, make_unit
from tests.support.images import jpeg
from tests.support.net import http_served
from tests.support.sms import GatewaySink

SECRET = "rahasia-gateway-uji"
SENDER = "+6281234567890"
URL = "/antarmuka/pesan-masuk"
COMPLAINT = "ADUAN Lampu jalan mati di depan SDN 3\nSudah seminggu gelap, rawan kecelakaan."


def signed_headers(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict:
    """The headers the gateway sends (the contract written out, not the app's own code)."""
    stamp = str(int(time.time() if at is None else at))
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Pengaduan-Timestamp": stamp,
        "X-Pengaduan-Signature": f"sha256={mac}",
    }


def payload(text: str, message_id: str, *, sender: str = SENDER, **extra: Any) -> bytes:
    return json.dumps({"id": message_id, "from": sender, "text": text, **extra}).encode()


@pytest.fixture
def gateway() -> Iterator[GatewaySink]:
    sink = GatewaySink().start()
    yield sink
    sink.stop()


@pytest.fixture
def on(app: Litestar, settings: Settings, gateway: GatewaySink) -> Iterator[Settings]:
    """The session's app with the webhook's secret and the local SMS gateway."""
    changed = replace(
        settings,
        sms_inbound_secret=SECRET,
        sms_gateway_url=gateway.url,
        sms_gateway_token=gateway.token,
        sms_gateway_timeout=5,
        base_url="https://pengaduan.example.go.id",
    )
    app.state.settings = changed
    yield changed
    app.state.settings = settings


@pytest.fixture
async def webhook(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway as a client: no cookies, no CSRF token, only its signature."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def category(app: Litestar) -> int:
    return await make_category(await make_unit("Dinas PU"), "Penerangan Jalan")


async def send(client: httpx.AsyncClient, body: bytes, **sign: Any) -> httpx.Response:
    return await client.post(URL, content=body, headers=signed_headers(body, **sign))


async def answers_sent(settings: Settings, gateway: GatewaySink) -> list[str]:
    """Deliver the outbox through the gateway; every text it has received so far."""
    await outbox_worker.deliver_due(settings)
    return [m.body["text"] for m in gateway.messages]


async def count(sql: str, *args: Any) -> int:
    return await db.fetchval(sql, *args)


# --- the signature ------------------------------------------------------------------------------


async def test_the_webhook_is_off_without_a_secret(
    app: Litestar, webhook: httpx.AsyncClient
) -> None:
    body = payload("ADUAN apa saja", "m-off")
    response = await send(webhook, body)
    assert response.status_code == 404


async def test_bad_missing_or_stale_signatures_are_401_and_do_nothing(
    on: Settings, webhook: httpx.AsyncClient, category: int
) -> None:
    body = payload(COMPLAINT, "m-bad")
    stale = signed_headers(body, at=time.time() - 600)
    wrong = signed_headers(body, secret="bukan-rahasianya")
    other_body = signed_headers(payload("ADUAN lain sama sekali", "m-bad"))
    no_stamp = {k: v for k, v in signed_headers(body).items() if k != "X-Pengaduan-Timestamp"}
    for headers in [{"Content-Type": "application/json"}, stale, wrong, other_body, no_stamp]:
        response = await webhook.post(URL, content=body, headers=headers)
        assert response.status_code == 401, headers
        assert response.json() == {"ok": False, "error": "invalid signature"}
    assert await count("SELECT count(*) FROM inbound_messages") == 0
    assert await count("SELECT count(*) FROM users") == 0
    assert await count("SELECT count(*) FROM complaints") == 0


async def test_a_body_outside_the_contract_is_422_and_a_huge_one_413(
    on: Settings, webhook: httpx.AsyncClient
) -> None:
    for body in [
        b"bukan json",
        payload("halo", "m-1", sender="PENGADUAN"),
        b'{"from": "+62812345678"}',
    ]:
        response = await send(webhook, body)
        assert response.status_code == 422, body
    huge = payload("ADUAN " + "x" * 70_000, "m-huge")
    assert (await send(webhook, huge)).status_code == 413


# --- ADUAN ----------------------------------------------------------------------------------------


async def test_aduan_files_a_complaint_answered_with_number_and_code_once(
    app: Litestar, on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink, category: int
) -> None:
    body = payload(COMPLAINT, "wamid.AAA1", channel="whatsapp")
    response = await send(webhook, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "action": "filed", "duplicate": False}
    row = await db.fetchrow("SELECT * FROM complaints")
    assert row["channel"] == "whatsapp" and row["category"] == category
    assert row["category_suggested"] is True and row["status"] == "pending"
    assert row["title"] == "Lampu jalan mati di depan SDN 3"
    assert row["body"] == COMPLAINT.removeprefix("ADUAN ")
    reporter = await db.fetchrow("SELECT * FROM users WHERE id = $1", row["reporter"])
    assert reporter["contact_key"] and SENDER not in str(dict(reporter))

    # The gateway delivers the same message again (the same id, signed anew): done once.
    again = await send(webhook, body)
    assert again.json() == {"ok": True, "action": "duplicate", "duplicate": True}
    assert await count("SELECT count(*) FROM complaints") == 1

    [answer] = await answers_sent(on, gateway)
    [received] = gateway.messages
    assert received.body["to"] == SENDER
    assert sms.fits(answer)
    link = f"{on.base_url}/lacak?nomor={row['number']}&kode={row['tracking_code']}"
    assert answer == (f"{row['number']}: Aduan diterima. Kode lacak {row['tracking_code']} {link}")
    # The link in the answer shows the complaint to whoever holds it (no login).
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as browser:
        page = await browser.get(link.removeprefix(on.base_url))
    assert page.status_code == 200 and row["number"] in page.text


async def test_lapor_also_files_and_a_too_short_complaint_is_answered_why(
    on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink, category: int
) -> None:
    assert (await send(webhook, payload("lapor: Sampah menumpuk di pasar Baru", "m-l"))).json()[
        "action"
    ] == "filed"
    refused = await send(webhook, payload("ADUAN banjir", "m-short"))
    assert refused.json()["action"] == "refused"
    tiny = await send(webhook, payload("ADUAN air", "m-tiny"))
    assert tiny.json()["action"] == "refused"
    empty = await send(webhook, payload("ADUAN", "m-empty"))
    assert empty.json()["action"] == "file_usage"
    assert await count("SELECT count(*) FROM complaints") == 1
    filed, why, why_tiny, how = await answers_sent(on, gateway)
    assert filed.startswith("ADU-") and "Kode lacak" in filed
    assert why.startswith("Aduan tidak diterima: ") and "10" in why
    # Not the title's rule (a message has no title field): the description's.
    assert why_tiny == why
    assert how.startswith("Tulis aduan Anda setelah kata ADUAN")


class _Photos(http.server.BaseHTTPRequestHandler):
    files = {
        "/foto.jpg": (jpeg((640, 480)), "image/jpeg"),
        "/bukan-foto.jpg": (b"<html>halaman, bukan foto</html>", "text/html"),
        # Looks like a JPEG to the cheap check, but does not decode.
        "/rusak.jpg": (b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x13" * 2000, "image/jpeg"),
    }

    def do_GET(self) -> None:
        data, kind = self.files.get(self.path, (b"", ""))
        self.send_response(200 if kind else 404)
        self.send_header("Content-Type", kind or "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def photos() -> Iterator[str]:
    with http_served(_Photos) as url:
        yield url


async def test_aduan_with_photos_keeps_the_good_ones_and_says_what_was_left_out(
    on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink, category: int, photos: str
) -> None:
    assert on.fetch_private_hosts  # the photos are served on this machine
    media = [
        {"url": f"{photos}/foto.jpg", "content_type": "image/jpeg"},
        f"{photos}/bukan-foto.jpg",
        f"{photos}/hilang.jpg",
    ]
    response = await send(webhook, payload(COMPLAINT, "wamid.F1", media=media))
    assert response.json()["action"] == "filed"
    complaint = await db.fetchval("SELECT id FROM complaints")
    files = await db.fetch("SELECT * FROM evidence_files WHERE complaint = $1", complaint)
    assert len(files) == 1

    # A photo that passes the first look but cannot be decoded: filed without photos.
    media = [f"{photos}/foto.jpg", f"{photos}/rusak.jpg"]
    response = await send(webhook, payload(COMPLAINT + " Lagi.", "wamid.F2", media=media))
    assert response.json()["action"] == "filed"
    second = await db.fetchval("SELECT max(id) FROM complaints")
    assert await count("SELECT count(*) FROM evidence_files WHERE complaint = $1", second) == 0

    first_answer, second_answer = await answers_sent(on, gateway)
    assert "Aduan diterima. 2 foto tidak dapat dipakai." in first_answer
    assert "Aduan diterima. 2 foto tidak dapat dipakai." in second_answer
    assert all(sms.fits(text) for text in (first_answer, second_answer))


async def test_a_busy_image_worker_is_503_and_the_retry_files_it(
    app: Litestar, on: Settings, webhook: httpx.AsyncClient, category: int, photos: str
) -> None:
    original = app.state.image_workers
    busy = ImageWorkers(1, wait_seconds=0)
    app.state.image_workers = busy
    body = payload(COMPLAINT, "wamid.B1", media=[f"{photos}/foto.jpg"])
    try:
        async with busy.slot():
            response = await send(webhook, body)
        assert response.status_code == 503 and response.headers["retry-after"]
        # Nothing kept, not even the message id: the gateway's retry is done.
        assert await count("SELECT count(*) FROM inbound_messages") == 0
        assert await count("SELECT count(*) FROM complaints") == 0
        retried = await send(webhook, body)
        assert retried.json()["action"] == "filed"
    finally:
        app.state.image_workers = original
        await busy.close()
    assert await count("SELECT count(*) FROM evidence_files") == 1


# --- CEK and help ---------------------------------------------------------------------------------


async def test_cek_tells_the_status_and_a_wrong_code_is_an_unknown_number(
    on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink, category: int
) -> None:
    await send(webhook, payload(COMPLAINT, "m-file"))
    row = await db.fetchrow("SELECT number, tracking_code FROM complaints")
    number, code = row["number"], row["tracking_code"]
    asks = [
        f"CEK {number} {code.lower()}",
        f"cek {number} XXXXXXXX",
        f"CEK ADU-1999-999999 {code}",
        f"CEK {number}",
    ]
    for position, text in enumerate(asks):
        await send(webhook, payload(text, f"m-cek-{position}", sender="0812 3456 7890"))
    _filed, right, wrong_code, unknown, usage = await answers_sent(on, gateway)
    with in_language("id"):
        label = status_label("pending")
    assert right.startswith(f"{number}: Status: {label}.") and code in right
    assert wrong_code == unknown  # no oracle: the same words
    assert number not in wrong_code and wrong_code.startswith("Tidak ada pengaduan")
    assert usage.startswith("Untuk melihat status aduan kirim: CEK")
    actions = [
        r["action"] for r in await db.fetch("SELECT action FROM inbound_messages ORDER BY id")
    ]
    assert actions == ["filed", "status", "no_match", "no_match", "check_usage"]


async def test_anything_else_gets_help_in_the_senders_language_a_few_times_an_hour(
    on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink
) -> None:
    await send(webhook, payload("Halo, bagaimana cara melapor?", "m-h1"))
    [help_id] = await answers_sent(on, gateway)
    assert help_id.startswith("Untuk mengadu kirim: ADUAN") and sms.fits(help_id)
    await db.execute("UPDATE users SET language = 'en'")
    for n in range(2, 6):
        response = await send(webhook, payload(f"hello {n}", f"m-h{n}"))
        assert response.json()["action"] == "help"
    texts = await answers_sent(on, gateway)
    # HELP_PER_HOUR answers, then silence: an auto-responder cannot keep us talking.
    assert len(texts) == inbound.HELP_PER_HOUR
    assert all(t.startswith("To file a complaint send: ADUAN") for t in texts[1:])


# --- limits ---------------------------------------------------------------------------------------


async def test_a_flood_from_one_number_is_cut_off_with_one_notice(
    on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink, category: int
) -> None:
    limit = inbound.COMPLAINTS_PER_DAY
    for n in range(limit + 2):
        response = await send(webhook, payload(f"ADUAN Jalan rusak nomor {n} di desa", f"f-{n}"))
        assert response.status_code == 200
    assert await count("SELECT count(*) FROM complaints") == limit
    texts = await answers_sent(on, gateway)
    assert len(texts) == limit + 1
    assert texts[-1].startswith("Anda sudah mengirim banyak aduan hari ini.")
    # Any message: MESSAGES_PER_HOUR answered in the hour, one notice, then nothing.
    for n in range(inbound.MESSAGES_PER_HOUR - (limit + 2) + 2):
        await send(webhook, payload("CEK ADU-2026-000001 AAAAAAAA", f"c-{n}"))
    texts = await answers_sent(on, gateway)
    assert texts[-1].startswith("Terlalu banyak pesan dari nomor Anda.")
    # The first MESSAGES_PER_HOUR messages less the silent one past the complaints' limit,
    # and the notice.
    assert len(texts) == inbound.MESSAGES_PER_HOUR
    assert all(sms.fits(t) for t in texts)
    # Another number is not held up by this one.
    other = await send(webhook, payload(COMPLAINT, "lain-1", sender="+6285700001111"))
    assert other.json()["action"] == "filed"


async def test_the_same_message_delivered_twice_at_once_is_done_once(
    on: Settings, webhook: httpx.AsyncClient, category: int
) -> None:
    body = payload(COMPLAINT, "wamid.TWICE")
    first, second = await asyncio.gather(send(webhook, body), send(webhook, body))
    actions = sorted(r.json()["action"] for r in (first, second))
    assert actions == ["duplicate", "filed"]
    assert await count("SELECT count(*) FROM complaints") == 1
    assert await count("SELECT count(*) FROM outbox WHERE channel = 'sms'") == 1


async def test_status_changes_reach_the_sender_by_sms_until_berhenti(
    app: Litestar, on: Settings, webhook: httpx.AsyncClient, gateway: GatewaySink, category: int
) -> None:
    """Someone who complained by message has no account to choose notifications on: they
    hear about status changes by SMS, until they send BERHENTI (and MULAI turns them on)."""
    from pengaduan.complaints import lifecycle

    assert (await send(webhook, payload(COMPLAINT, "m-st1"))).json()["action"] == "filed"
    complaint = await db.fetchrow("SELECT id, number FROM complaints")
    admin_id = await db.fetchval(
        "INSERT INTO users (username, password_hash, full_name, role, language, is_active, "
        "created_at, updated_at) VALUES ('adm', '!', 'Adm', 'admin', 'id', true, now(), now()) "
        "RETURNING id"
    )
    officer = lifecycle.Actor(user_id=admin_id, role="admin")
    await lifecycle.apply(complaint["id"], "verify", officer, settings=on)
    _filed, verified = await answers_sent(on, gateway)
    assert complaint["number"] in verified and sms.fits(verified)

    assert (await send(webhook, payload("berhenti", "m-st2"))).json()["action"] == "sms_off"
    await lifecycle.apply(complaint["id"], "start", officer, settings=on)
    texts = await answers_sent(on, gateway)
    assert len(texts) == 3 and "MULAI" in texts[2]

    assert (await send(webhook, payload("MULAI", "m-st3"))).json()["action"] == "sms_on"
    await lifecycle.apply(
        complaint["id"], "resolve", officer, text="Sudah diperbaiki.", settings=on
    )
    texts = await answers_sent(on, gateway)
    assert len(texts) == 5 and "BERHENTI" in texts[3] and complaint["number"] in texts[4]
