"""SMS through a real (local) HTTP gateway, email through a real SMTP server, both from the
outbox: respected preferences, nothing lost while they are down, nothing sent twice, and the
admins' list of dead messages with its retry."""

from __future__ import annotations

import json
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan.accounts.personal_data import cipher_for
from pengaduan.complaints import lifecycle
from pengaduan.notifications import outbox, services
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.settings import Settings, get_settings
from tests.factories import make_category, make_complaint, make_unit, make_user
from tests.integration.outbox_helpers import make_due, quiet_session_app  # noqa: F401
from tests.support.databases import settings_for
from tests.support.mail import SmtpSink, written
from tests.support.net import free_port
from tests.support.sms import GatewaySink

PHONE = "081234567890"


@pytest.fixture
def gateway() -> Iterator[GatewaySink]:
    sink = GatewaySink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sms_on(db_dsn: str, gateway: GatewaySink) -> Settings:
    """Settings with the gateway, for the services that queue messages."""
    return settings_for(db_dsn, **gateway.settings_env())


def _settings(db_dsn: str, smtp: SmtpSink | None, gateway: GatewaySink) -> Settings:
    env = {**gateway.settings_env(), "PENGADUAN_OUTBOX_RETRY_SECONDS": "15"}
    if smtp is not None:
        env.update(smtp.settings_env())
    return settings_for(db_dsn, **env)


async def _rows(dsn: str, sql: str = "SELECT * FROM outbox ORDER BY id") -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def _citizen_with_phone(username: str = "warga", phone: str | None = PHONE) -> int:
    from pengaduan.accounts.tables import User

    user_id = await make_user("citizen", username)
    if phone is not None:
        encrypted = cipher_for(get_settings()).encrypt(phone)
        await User.update({User.phone_encrypted: encrypted}).where(User.id == user_id)
    return user_id


async def _complaint(reporter: int) -> tuple[int, str]:
    from pengaduan.complaints.tables import Complaint

    unit = await make_unit(f"Dinas {reporter}")
    category = await make_category(unit, f"Kategori {reporter}")
    complaint = await make_complaint(reporter=reporter, category=category, unit=unit)
    row = await Complaint.select(Complaint.number).where(Complaint.id == complaint).first()
    return complaint, row["number"]


async def _verify(complaint_id: int, settings: Settings) -> None:
    """An admin verifies it (through the lifecycle, as the officer's button does)."""
    admin = await make_user("admin", f"admin{complaint_id}")
    await lifecycle.apply(
        complaint_id, "verify", lifecycle.Actor(user_id=admin, role="admin"), settings=settings
    )


# --- queueing respects the choices ------------------------------------------------------------


async def test_sms_is_queued_for_user_id_without_the_phone_number(
    app: Litestar, db_dsn: str, sms_on: Settings
) -> None:
    citizen = await _citizen_with_phone()
    await services.save_preferences(
        citizen, "citizen", email=set(services.CITIZEN_KINDS), sms_kinds={"verified"}
    )
    complaint, number = await _complaint(citizen)
    await _verify(complaint, sms_on)

    rows = await _rows(db_dsn)
    sms = [r for r in rows if r["channel"] == "sms"]
    assert len(sms) == 1
    assert sms[0]["recipient"] == f"user:{citizen}"
    payload = json.loads(sms[0]["payload"])
    assert number in payload["text"] and f"/lacak?nomor={number}" in payload["text"]
    # The phone number is nowhere in the outbox, in clear.
    assert all(PHONE not in f"{r['recipient']} {r['payload']}" for r in rows)
    assert [json.loads(r["payload"])["kind"] for r in rows if r["channel"] == "email"] == [
        "status_verified"
    ]


async def test_preferences_turn_channels_off_per_kind(
    app: Litestar, db_dsn: str, sms_on: Settings
) -> None:
    citizen = await _citizen_with_phone()
    # Email for nothing, SMS only when resolved: verifying queues neither.
    await services.save_preferences(citizen, "citizen", email=set(), sms_kinds={"resolved"})
    complaint, _number = await _complaint(citizen)
    await _verify(complaint, sms_on)
    assert await _rows(db_dsn) == []
    # The centre still gets it.
    [note] = await _rows(db_dsn, "SELECT kind FROM notifications")
    assert note["kind"] == "verified"


async def test_no_sms_without_a_phone_number_or_by_default(
    app: Litestar, db_dsn: str, sms_on: Settings
) -> None:
    no_phone = await _citizen_with_phone("tanpa", phone=None)
    await services.save_preferences(
        no_phone, "citizen", email=set(), sms_kinds=set(services.CITIZEN_KINDS)
    )
    by_default = await _citizen_with_phone("bawaan")
    for reporter in (no_phone, by_default):
        complaint, _number = await _complaint(reporter)
        await _verify(complaint, sms_on)
    channels = [r["channel"] for r in await _rows(db_dsn)]
    assert "sms" not in channels
    assert channels == ["email"]  # the default: email yes (bawaan), SMS no


async def test_no_sms_is_queued_without_a_gateway(
    app: Litestar, db_dsn: str, settings: Settings
) -> None:
    citizen = await _citizen_with_phone()
    await services.save_preferences(
        citizen, "citizen", email=set(), sms_kinds=set(services.CITIZEN_KINDS)
    )
    complaint, _number = await _complaint(citizen)
    await _verify(complaint, settings)
    assert await _rows(db_dsn) == []


# --- delivering ------------------------------------------------------------------------------


async def test_gateway_gets_the_decrypted_number_with_bearer_token_and_reference(
    app: Litestar, db_dsn: str, gateway: GatewaySink
) -> None:
    citizen = await _citizen_with_phone()
    text = "ADU-2026-000001: Terverifikasi http://127.0.0.1:8000/lacak?nomor=ADU-2026-000001"
    await outbox.enqueue_sms(user_id=citizen, text=text, kind="verified")
    settings = _settings(db_dsn, None, gateway)

    assert await outbox_worker.deliver_due(settings) == 1
    [received] = gateway.messages
    assert received.body["to"] == PHONE
    assert received.body["text"] == text
    # The sender .env.example names, with no PENGADUAN_SMS_SENDER set (GatewaySink sets none).
    assert received.body["sender"] == "Pengaduan"
    assert received.body["channel"] == "sms"
    assert received.headers["authorization"] == f"Bearer {gateway.token}"
    assert received.headers["idempotency-key"] == received.body["reference"]
    [row] = await _rows(db_dsn)
    assert row["sent_at"] is not None and row["attempts"] == 1
    assert await outbox_worker.deliver_due(settings) == 0
    assert len(gateway.messages) == 1


async def test_refusal_by_the_gateway_kills_the_message_and_a_server_error_retries(
    app: Litestar, db_dsn: str, gateway: GatewaySink
) -> None:
    citizen = await _citizen_with_phone()
    settings = _settings(db_dsn, None, gateway)
    await outbox.enqueue_sms(user_id=citizen, text="satu", kind="verified")
    gateway.status = 503
    assert await outbox_worker.deliver_due(settings) == 0
    [row] = await _rows(db_dsn)
    assert row["dead_at"] is None and row["attempts"] == 1 and "HTTP 503" in row["last_error"]

    gateway.status = 400
    await make_due(db_dsn)
    assert await outbox_worker.deliver_due(settings) == 0
    [row] = await _rows(db_dsn)
    assert row["dead_at"] is not None and "HTTP 400" in row["last_error"]
    assert gateway.messages == []


async def test_sms_to_a_user_without_a_phone_is_dead_at_once(
    app: Litestar, db_dsn: str, gateway: GatewaySink
) -> None:
    citizen = await _citizen_with_phone(phone=None)
    await outbox.enqueue_sms(user_id=citizen, text="halo", kind="verified")
    assert await outbox_worker.deliver_due(_settings(db_dsn, None, gateway)) == 0
    [row] = await _rows(db_dsn)
    assert row["dead_at"] is not None and "phone" in row["last_error"]


async def test_mail_server_and_gateway_down_for_a_while_every_message_arrives_once(
    app: Litestar, db_dsn: str
) -> None:
    smtp = SmtpSink(free_port())  # nothing listens on either port until started below
    gateway = GatewaySink(free_port())
    settings = _settings(db_dsn, smtp, gateway)
    from pengaduan.db import ENGINE
    from pengaduan.notifications.mail import RenderedMail

    citizens = [await _citizen_with_phone(f"warga{n}", f"08123456780{n}") for n in range(3)]
    async with ENGINE.transaction():
        for n, citizen in enumerate(citizens):
            await outbox.enqueue_sms(user_id=citizen, text=f"pesan {n}", kind="verified")
            mail = RenderedMail(subject=f"Halo {n}", text="Teks\n", html="<p>Teks</p>")
            await outbox.enqueue_email(to=f"warga{n}@uji.test", mail=mail, kind="test")

    for attempt in (1, 2, 3):
        await make_due(db_dsn)
        assert await outbox_worker.deliver_due(settings) == 0
        rows = await _rows(db_dsn)
        assert [r["attempts"] for r in rows] == [attempt] * 6
        assert all(r["sent_at"] is None and r["dead_at"] is None for r in rows)

    smtp.start()
    gateway.start()
    try:
        await make_due(db_dsn)
        assert await outbox_worker.deliver_due(settings) == 6
        mails = await smtp.wait_for_async(3)
        # More rounds find nothing more to send.
        for _ in range(2):
            await make_due(db_dsn)
            assert await outbox_worker.deliver_due(settings) == 0
        assert sorted(m.message["Subject"] for m in smtp.messages) == [
            "Halo 0",
            "Halo 1",
            "Halo 2",
        ]
        assert len(mails) == 3
        texts = sorted(m.body["text"] for m in gateway.messages)
        assert texts == ["pesan 0", "pesan 1", "pesan 2"]
        assert len({m.body["reference"] for m in gateway.messages}) == 3
        assert sorted(m.body["to"] for m in gateway.messages) == [
            "081234567800",
            "081234567801",
            "081234567802",
        ]
        assert all(r["sent_at"] is not None for r in await _rows(db_dsn))
    finally:
        smtp.stop()
        gateway.stop()


async def test_max_attempts_and_first_retry_come_from_the_settings(
    app: Litestar, db_dsn: str
) -> None:
    settings = settings_for(
        db_dsn,
        PENGADUAN_SMTP_HOST="127.0.0.1",
        PENGADUAN_SMTP_PORT=str(free_port()),
        PENGADUAN_OUTBOX_MAX_ATTEMPTS="2",
        PENGADUAN_OUTBOX_RETRY_SECONDS="100",
    )
    from pengaduan.notifications.mail import RenderedMail

    await outbox.enqueue_email(
        to="budi@uji.test", mail=RenderedMail("Halo", "Teks\n", "<p>Teks</p>"), kind="test"
    )
    assert await outbox_worker.deliver_due(settings) == 0
    [row] = await _rows(db_dsn)
    wait = (row["next_attempt_at"] - row["created_at"]).total_seconds()
    assert 85 < wait < 115 and row["dead_at"] is None
    await make_due(db_dsn)
    assert await outbox_worker.deliver_due(settings) == 0
    [row] = await _rows(db_dsn)
    assert row["attempts"] == 2 and row["dead_at"] is not None


# --- dead messages: the admins' list and retry ------------------------------------------------


async def test_admin_sees_dead_messages_with_the_error_and_retries_one(
    app: Litestar, db_dsn: str, people: dict[str, int], as_role, gateway: GatewaySink
) -> None:
    from pengaduan.accounts.tables import User

    citizen = people["citizen"]
    settings = _settings(db_dsn, None, gateway)
    await outbox.enqueue_sms(user_id=citizen, text="halo", kind="verified")
    assert await outbox_worker.deliver_due(settings) == 0  # no phone yet: dead
    [dead] = await _rows(db_dsn)
    assert dead["dead_at"] is not None

    admin: httpx.AsyncClient = await as_role("admin")
    page = await admin.get("/admin/kotak-keluar")
    assert page.status_code == 200
    assert "Warga" in page.text and dead["last_error"] in page.text
    assert f"/admin/kotak-keluar/{dead['id']}/ulang" in page.text

    # The cause is fixed (a phone number), then the admin sends it again.
    encrypted = cipher_for(get_settings()).encrypt(PHONE)
    await User.update({User.phone_encrypted: encrypted}).where(User.id == citizen)
    response = await admin.post(f"/admin/kotak-keluar/{dead['id']}/ulang")
    assert response.status_code == 303 and response.headers["location"] == "/admin/kotak-keluar"
    [row] = await _rows(db_dsn)
    assert row["dead_at"] is None and row["attempts"] == 0
    [audit] = await _rows(db_dsn, "SELECT * FROM audit_log WHERE action = 'outbox.retry'")
    assert audit["actor"] == people["admin"] and audit["target_id"] == str(dead["id"])
    assert "Warga" not in (await admin.get("/admin/kotak-keluar")).text

    assert await outbox_worker.deliver_due(settings) == 1
    assert [m.body["to"] for m in gateway.messages] == [PHONE]
    # Not dead (any more): retrying it is refused.
    assert (await admin.post(f"/admin/kotak-keluar/{dead['id']}/ulang")).status_code == 404


async def test_the_dead_list_is_for_admins_only(app: Litestar, as_role) -> None:
    for role in ("citizen", "officer"):
        client: httpx.AsyncClient = await as_role(role)
        assert (await client.get("/admin/kotak-keluar")).status_code == 403


# --- the kinds that had no mail before: reply, assignment, reopening ---------------------------


async def _mail_kinds(dsn: str) -> list[tuple[str, str]]:
    rows = await _rows(dsn, "SELECT recipient, payload FROM outbox WHERE channel = 'email'")
    return sorted((r["recipient"], json.loads(r["payload"])["kind"]) for r in rows)


async def test_reply_assignment_and_reopening_reach_the_outbox_as_the_users_chose(
    app: Litestar, db_dsn: str, people: dict[str, int], settings: Settings
) -> None:
    from datetime import UTC, datetime

    from pengaduan.handling import assignment, messages

    category = await make_category(people["unit"])
    complaint = await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"], status="in_progress"
    )
    officer = lifecycle.Actor(user_id=people["officer"], role="officer", unit_id=people["unit"])
    await messages.reply(complaint, officer, "Sedang kami kerjakan.", settings=settings)
    await assignment.assign(
        [complaint], people["officer"], admin_id=people["admin"], ip="", settings=settings
    )
    assert await _mail_kinds(db_dsn) == [
        ("petugas@uji.test", "notification_assigned"),
        ("warga@uji.test", "notification_reply"),
    ]
    [mail] = await _rows(
        db_dsn, "SELECT payload FROM outbox WHERE payload->>'kind' = 'notification_reply'"
    )
    payload = written(json.loads(mail["payload"]))
    assert "Sedang kami kerjakan." in payload["text"]
    assert f"/pengaduan/{complaint}" in payload["text"]
    assert "/notifikasi/pengaturan" in payload["html"]

    # The officer wants no mail about reopened complaints.
    await services.save_preferences(
        people["officer"], "officer", email={"assigned", "overdue"}, sms_kinds=set()
    )
    from pengaduan.complaints.tables import Complaint

    await Complaint.update(
        {Complaint.status: "resolved", Complaint.resolved_at: datetime.now(UTC)}
    ).where(Complaint.id == complaint)
    reporter = lifecycle.Actor(user_id=people["citizen"], role="citizen")
    await lifecycle.apply(complaint, "reopen", reporter, text="Masih berlubang.", settings=settings)
    kinds = [k for _to, k in await _mail_kinds(db_dsn)]
    assert "notification_reopened" not in kinds
    [note] = await _rows(db_dsn, "SELECT \"user\" FROM notifications WHERE kind = 'reopened'")
    assert note["user"] == people["officer"]  # in-app all the same


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("id", "Pilih notifikasi yang Anda terima melalui email"),
        ("en", "Choose which notifications you get by email"),
    ],
)
def test_the_notification_mail_renders_in_the_recipients_language(
    language: str, phrase: str
) -> None:
    from pengaduan.notifications.mail import render_mail

    mail = render_mail(
        "notification",
        {
            "full_name": "Siti <Aminah>",
            "title": "Balasan baru pada pengaduan ADU-2026-000001",
            "text": "Kami cek & perbaiki.",
            "link": "https://p.test/pengaduan/1",
            "settings_link": "https://p.test/notifikasi/pengaturan",
        },
        language,
    )
    assert mail.subject == "Balasan baru pada pengaduan ADU-2026-000001"
    assert phrase in mail.text and phrase in mail.html
    assert "Kami cek & perbaiki." in mail.text and "Kami cek &amp; perbaiki." in mail.html
    assert "<Aminah>" not in mail.html and f'<html lang="{language}">' in mail.html


# --- written in the recipient's language when sent ------------------------------------------


async def test_mail_and_sms_are_written_in_the_language_the_recipient_uses_when_sent(
    app: Litestar, db_dsn: str, people: dict[str, int], gateway: GatewaySink, sms_on: Settings
) -> None:
    from pengaduan.accounts.profile import set_language
    from pengaduan.handling import messages

    citizen = await _citizen_with_phone("warga.en")
    await services.save_preferences(
        citizen, "citizen", email=set(services.CITIZEN_KINDS), sms_kinds={"verified"}
    )
    complaint, number = await _complaint(citizen)
    # Queued while the account reads Indonesian, by an admin working in Indonesian...
    await _verify(complaint, sms_on)
    admin = lifecycle.Actor(user_id=people["admin"], role="admin")
    await messages.reply(complaint, admin, "Kami cek besok.", settings=sms_on)
    queued = [json.loads(r["payload"]) for r in await _rows(db_dsn)]
    assert any("Terverifikasi" in p.get("subject", p["text"]) for p in queued)
    # ...and sent after its owner switched to English.
    await set_language(citizen, "en")
    with SmtpSink() as smtp:
        assert await outbox_worker.deliver_due(_settings(db_dsn, smtp, gateway)) == 3
        mails = await smtp.wait_for_async(2)
    subjects = sorted(m.message["Subject"] for m in mails)
    assert subjects == [f"Complaint {number}: Verified", f"New reply on your complaint {number}"]
    bodies = " ".join(m.message.get_body(("plain",)).get_content() for m in mails)
    assert "Hello Warga.En," in bodies and "is now: Verified." in bodies
    assert "Kami cek besok." in bodies  # what the officer wrote, as written
    assert "Terverifikasi" not in bodies and "Halo" not in bodies
    [sms] = gateway.messages
    assert sms.body["text"].startswith(f"{number}: Verified ")
