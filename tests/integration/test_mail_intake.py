"""Complaints by email over real SMTP: mail sent with aiosmtplib to the intake listener
(aiosmtpd on a free port) against real PostgreSQL, the answers delivered by the outbox to a
real SMTP sink. New complaints with files, replies made messages, automatic mail ignored,
oversize, malformed and too many mails refused, the same mail twice filed once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.complaints import evidence
from pengaduan.mailintake import addressing
from pengaduan.mailintake.listener import start_listener
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.notifications.outbox.email_delivery import OWN_HEADER
from pengaduan.settings import Settings
from tests.support.databases import settings_for
from tests.support.images import jpeg
from tests.support.mail import ReceivedMail, SmtpSink
from tests.support.mails import citizen_mail
from tests.support.net import free_port

COMPLAINTS = "aduan@pemda.test"
BUDI = "budi@warga.test"


@dataclass
class Intake:
    settings: Settings
    port: int

    async def send(
        self, message: EmailMessage, *, sender: str | None = None, to: str = COMPLAINTS
    ) -> str:
        """Send `message` over SMTP; the listener's 250 reply to its DATA, without the code
        and enhanced code (other replies raise aiosmtplib's errors)."""
        envelope_from = BUDI if sender is None else sender
        errors, reply = await aiosmtplib.send(
            message,
            hostname="127.0.0.1",
            port=self.port,
            sender=envelope_from,
            recipients=[to],
            timeout=30,
        )
        assert errors == {}
        return reply.removeprefix("2.0.0 ")

    async def refused(
        self, message: EmailMessage, **kwargs: str
    ) -> aiosmtplib.SMTPResponseException:
        with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
            await self.send(message, **kwargs)
        return refused.value

    async def answers(
        self, sink: SmtpSink, count: int = 1, *, to: str = BUDI
    ) -> list[ReceivedMail]:
        """The answers the outbox delivers to `to` (through the SMTP sink)."""
        await outbox_worker.deliver_due(self.settings)
        return await sink.wait_for_async(count, to=to)


def intake_settings(dsn: str, sink: SmtpSink, **overrides: str) -> Settings:
    return settings_for(
        dsn,
        PENGADUAN_OUTBOX_IN_APP="false",
        PENGADUAN_MAIL_INTAKE_ADDRESSES=COMPLAINTS,
        PENGADUAN_MAIL_FROM="Pengaduan <no-reply@pemda.test>",
        PENGADUAN_SECRET_KEY="s" * 40,
        **sink.settings_env(),
        **overrides,
    )


async def _listening(settings: Settings) -> AsyncIterator[Intake]:
    port = free_port()
    server = await start_listener(
        settings, evidence.storage_for(settings), host="127.0.0.1", port=port
    )
    try:
        yield Intake(settings, port)
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def intake(
    app: Litestar, db_dsn: str, smtp_sink: SmtpSink, unit_data: dict[str, int]
) -> AsyncIterator[Intake]:
    async for listening in _listening(intake_settings(db_dsn, smtp_sink)):
        yield listening


async def _complaints() -> list[dict]:
    rows = await db.fetch(
        "SELECT c.*, u.email AS reporter_email, u.contact_key, u.email_confirmed_at"
        " FROM complaints c JOIN users u ON u.id = c.reporter ORDER BY c.id"
    )
    return [dict(row) for row in rows]


async def _outbox_count() -> int:
    return await db.fetchval("SELECT count(*) FROM outbox")


# --- a new complaint ---------------------------------------------------------------------------


async def test_a_mail_with_a_photo_becomes_a_complaint_and_is_answered_with_number_and_code(
    intake: Intake, smtp_sink: SmtpSink, unit_data: dict[str, int]
) -> None:
    message = citizen_mail(
        subject="Fwd: Jalan berlubang di Jl. Merdeka",
        text=(
            "Jalan di depan SD 3 berlubang besar, sudah dua motor jatuh.\n\n"
            "Dikirim dari iPhone saya"
        ),
        attachments=[("lubang.jpg", jpeg((800, 600)), "image/jpeg")],
    )
    assert (await intake.send(message)).startswith("filed")

    [complaint] = await _complaints()
    assert complaint["channel"] == "email" and complaint["category_suggested"]
    assert complaint["category"] == unit_data["category"]
    assert complaint["title"] == "Jalan berlubang di Jl. Merdeka"
    assert complaint["body"] == "Jalan di depan SD 3 berlubang besar, sudah dua motor jatuh."
    # A contact-only reporter whose address is proven (they sent from it).
    assert complaint["reporter_email"] == BUDI and complaint["contact_key"]
    assert complaint["email_confirmed_at"] is not None
    files = await db.fetch("SELECT * FROM evidence_files WHERE complaint = $1", complaint["id"])
    assert [f["original_name"] for f in files] == ["lubang.jpg"]
    assert files[0]["mime_type"] == "image/jpeg"

    [answer] = await intake.answers(smtp_sink)
    body = answer.message.get_body(preferencelist=("plain",)).get_content()
    assert complaint["number"] in answer.message["Subject"]
    assert complaint["number"] in body and complaint["tracking_code"] in body
    assert "Kode pelacakan" in body  # Indonesian by default
    # It invites the reply it takes (not the usual "please do not reply").
    assert (
        f"Balas surel ini untuk menambahkan pesan pada pengaduan Anda {complaint['number']}" in body
    )
    reply_to = addressing.reply_address(intake.settings, complaint["number"])
    assert answer.message["Reply-To"] == reply_to
    assert answer.message[OWN_HEADER]


async def test_the_same_message_id_twice_makes_one_complaint_and_one_answer(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    message = citizen_mail(message_id="<sekali@warga.test>")
    assert (await intake.send(message)).startswith("filed")
    assert (await intake.send(message)).startswith("filed")
    assert len(await _complaints()) == 1
    await intake.answers(smtp_sink)
    assert await _outbox_count() == 1


async def test_too_many_files_or_a_file_of_another_kind_refuse_the_whole_complaint(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    photos = [(f"foto{n}.jpg", jpeg((200, 150), gps=False), "image/jpeg") for n in range(6)]
    assert (await intake.send(citizen_mail(attachments=photos))).startswith("answered")
    script = [
        ("foto.jpg", jpeg((200, 150)), "image/jpeg"),
        ("virus.exe", b"MZ\x90", "application/octet-stream"),
    ]
    assert (await intake.send(citizen_mail(subject="Kedua", attachments=script))).startswith(
        "answered"
    )
    assert await _complaints() == []
    assert await db.fetchval("SELECT count(*) FROM evidence_files") == 0
    first, second = await intake.answers(smtp_sink, 2)
    assert first.message["Subject"] == "Pengaduan Anda tidak dapat kami terima"
    first_text = first.message.get_body(preferencelist=("plain",)).get_content()
    assert "paling banyak 5 berkas" in first_text and "Jalan berlubang" in first_text
    second_text = second.message.get_body(preferencelist=("plain",)).get_content()
    assert "virus.exe" in second_text


async def test_a_mail_without_text_is_refused_with_an_answer(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    message = citizen_mail(subject="", text="> hanya kutipan\n\nSent from my iPhone")
    assert (await intake.send(message)).startswith("answered")
    assert await _complaints() == []
    [answer] = await intake.answers(smtp_sink)
    assert "tidak dapat kami terima" in answer.message["Subject"]


# --- replies -------------------------------------------------------------------------------------


async def _filed(intake: Intake, smtp_sink: SmtpSink) -> tuple[dict, ReceivedMail]:
    await intake.send(citizen_mail())
    [complaint] = await _complaints()
    [answer] = await intake.answers(smtp_sink)
    smtp_sink.clear()
    return complaint, answer


async def test_a_reply_to_the_answer_becomes_a_message_on_the_complaint(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    complaint, answer = await _filed(intake, smtp_sink)
    reply = citizen_mail(
        to=answer.message["Reply-To"],
        subject="Re: " + answer.message["Subject"],
        text=(
            "Lubangnya makin besar setelah hujan.\n\n"
            "Pada Sen, 1 Des 2026 pukul 10.00 Pengaduan <no-reply@pemda.test> menulis:\n"
            "> Kami menerima pengaduan Anda\n"
        ),
        headers={"In-Reply-To": answer.message["Message-ID"]},
    )
    assert (await intake.send(reply, to=answer.message["Reply-To"])).startswith("message")
    messages = await db.fetch("SELECT * FROM messages WHERE complaint = $1", complaint["id"])
    assert [m["body"] for m in messages] == ["Lubangnya makin besar setelah hujan."]
    assert messages[0]["author"] == complaint["reporter"]
    assert messages[0]["visibility"] == "public"
    # The number in the subject is enough (a reply to the complaints address itself).
    again = citizen_mail(subject=f"Tentang {complaint['number']}", text="Ada kabar?")
    assert (await intake.send(again)).startswith("message")
    assert len(await _complaints()) == 1
    assert await db.fetchval("SELECT count(*) FROM messages") == 2


async def test_a_reply_from_another_address_is_refused_politely(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    complaint, answer = await _filed(intake, smtp_sink)
    other = "siti@lain.test"
    reply = citizen_mail(
        sender=f"Siti <{other}>",
        to=answer.message["Reply-To"],
        subject="Re: " + answer.message["Subject"],
        text="Saya juga mengalami ini.",
    )
    taken = await intake.send(reply, sender=other, to=answer.message["Reply-To"])
    assert taken.startswith("answered")
    assert await db.fetchval("SELECT count(*) FROM messages") == 0
    [refusal] = await intake.answers(smtp_sink, to=other)
    text = refusal.message.get_body(preferencelist=("plain",)).get_content()
    assert complaint["number"] in refusal.message["Subject"]
    assert f"Hanya alamat yang mengajukan pengaduan {complaint['number']}" in text


async def test_a_forged_reply_address_is_not_taken_for_the_complaint(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    _complaint, answer = await _filed(intake, smtp_sink)
    forged = answer.message["Reply-To"].replace("-", "-9", 1)
    # Still a complaints address (aduan+...), so taken: but as a new complaint.
    taken = await intake.send(citizen_mail(subject="Lain hal", to=forged), to=forged)
    assert taken.startswith("filed")
    assert len(await _complaints()) == 2


# --- automatic mail, limits, refusals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender_header", "envelope_from"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, BUDI),
        ({"Precedence": "bulk"}, None, BUDI),
        ({}, None, ""),  # a bounce: the empty return path
        ({}, "Mail Delivery System <MAILER-DAEMON@warga.test>", "mailer-daemon@warga.test"),
        ({OWN_HEADER: "1"}, None, BUDI),
    ],
)
async def test_auto_replies_bounces_and_loops_are_never_answered_nor_filed(
    intake: Intake,
    headers: dict[str, str],
    sender_header: str | None,
    envelope_from: str,
) -> None:
    message = citizen_mail(headers=headers, sender=sender_header or f"Budi <{BUDI}>")
    assert (await intake.send(message, sender=envelope_from)).startswith("ignored")
    assert await _complaints() == []
    assert await _outbox_count() == 0


async def test_our_own_answer_sent_back_to_us_is_ignored(
    intake: Intake, smtp_sink: SmtpSink
) -> None:
    _complaint, answer = await _filed(intake, smtp_sink)
    bounced_back = answer.message
    taken = await intake.send(bounced_back, sender="no-reply@pemda.test")
    assert taken.startswith("ignored")
    assert len(await _complaints()) == 1 and await _outbox_count() == 1


async def test_a_mail_over_the_size_limit_is_refused_with_552_and_nothing_stored(
    app: Litestar, db_dsn: str, smtp_sink: SmtpSink, unit_data: dict[str, int]
) -> None:
    settings = intake_settings(db_dsn, smtp_sink, PENGADUAN_MAIL_INTAKE_MAX_BYTES="65536")
    async for intake in _listening(settings):
        big = citizen_mail(
            attachments=[("besar.jpg", b"\xff\xd8\xff" + b"x" * 100_000, "image/jpeg")]
        )
        refused = await intake.refused(big)
        assert refused.code == 552 and "too big" in refused.message
        assert "at most 0.1 MB" in refused.message
        assert await _complaints() == [] and await _outbox_count() == 0


async def test_each_sender_is_limited_per_hour_with_a_temporary_refusal(
    app: Litestar, db_dsn: str, smtp_sink: SmtpSink, unit_data: dict[str, int]
) -> None:
    settings = intake_settings(db_dsn, smtp_sink, PENGADUAN_MAIL_INTAKE_PER_HOUR="2")
    async for intake in _listening(settings):
        for n in range(2):
            assert (await intake.send(citizen_mail(subject=f"Aduan {n}"))).startswith("filed")
        refused = await intake.refused(citizen_mail(subject="Aduan 3"))
        assert refused.code == 450 and "Too many mails" in refused.message
        # Another sender is not held back by Budi.
        other = citizen_mail(sender="Siti <siti@lain.test>", subject="Aduan Siti")
        assert (await intake.send(other, sender="siti@lain.test")).startswith("filed")
        assert len(await _complaints()) == 3


async def test_malformed_mail_and_strangers_addresses_are_refused_permanently(
    intake: Intake,
) -> None:
    no_sender = EmailMessage()
    no_sender["Subject"] = "tanpa pengirim"
    no_sender.set_content("isi")
    refused = await intake.refused(no_sender)
    assert refused.code == 550 and "Not a mail we can read" in refused.message
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as elsewhere:
        await intake.send(citizen_mail(to="walikota@pemda.test"), to="walikota@pemda.test")
    assert elsewhere.value.recipients[0].code == 550
    assert await _complaints() == []


async def test_the_listener_speaks_lmtp_when_told(
    app: Litestar, db_dsn: str, smtp_sink: SmtpSink, unit_data: dict[str, int]
) -> None:
    settings = intake_settings(db_dsn, smtp_sink, PENGADUAN_MAIL_INTAKE_PROTOCOL="lmtp")
    async for intake in _listening(settings):
        reader, writer = await asyncio.open_connection("127.0.0.1", intake.port)

        async def say(line: str, reader=reader, writer=writer) -> str:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()
            answer = b""
            while True:
                got = await reader.readline()
                answer += got
                if got[3:4] == b" ":
                    return answer.decode()

        await reader.readline()  # the greeting
        assert (await say("LHLO mta.pemda.test")).startswith("250")
        assert (await say(f"MAIL FROM:<{BUDI}>")).startswith("250")
        assert (await say(f"RCPT TO:<{COMPLAINTS}>")).startswith("250")
        assert (await say("DATA")).startswith("354")
        raw = citizen_mail().as_bytes().replace(b"\n", b"\r\n").decode()
        assert (await say(raw + "\r\n.")).startswith("250 2.0.0 filed")
        await say("QUIT")
        writer.close()
    assert len(await _complaints()) == 1


async def test_with_a_trusted_mail_server_an_unverified_sender_is_refused(
    app: Litestar, db_dsn: str, smtp_sink: SmtpSink, unit_data: dict[str, int]
) -> None:
    settings = intake_settings(db_dsn, smtp_sink, PENGADUAN_MAIL_INTAKE_AUTHSERV_ID="mx.pemda.test")
    async for intake in _listening(settings):
        forged = citizen_mail(headers={"Authentication-Results": "mx.pemda.test; dmarc=fail"})
        refused = await intake.refused(forged)
        assert refused.code == 550 and "could not be verified" in refused.message
        verified = citizen_mail(
            headers={"Authentication-Results": "mx.pemda.test; dmarc=pass header.from=warga.test"}
        )
        assert (await intake.send(verified)).startswith("filed")
        assert len(await _complaints()) == 1 and await _outbox_count() == 1
