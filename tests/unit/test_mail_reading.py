"""Reading incoming mail: sender, text (plain before HTML), files, quotes and signatures
trimmed, automatic mail told apart, reply addresses that cannot be made up."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pengaduan.mailintake import addressing, authentication, loops, trimming
from pengaduan.mailintake.reading import Malformed, html_text, read_mail
from pengaduan.notifications.outbox.email_delivery import OWN_HEADER
from pengaduan.settings import Settings, load_settings
from tests.support.mails import citizen_mail


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(
        {
            "PENGADUAN_DATA_DIR": str(tmp_path_factory.mktemp("data")),
            "PENGADUAN_SECRET_KEY": "k" * 40,
            "PENGADUAN_MAIL_INTAKE_ADDRESSES": "Aduan@pemda.test, pengaduan@pemda.test",
            "PENGADUAN_MAIL_FROM": "Pengaduan <no-reply@pemda.test>",
        }
    )


def test_a_plain_mail_gives_sender_name_subject_and_text() -> None:
    mail = read_mail(citizen_mail(sender="Budi Santoso <Budi@Warga.test>").as_bytes())
    assert (mail.sender, mail.sender_name) == ("budi@warga.test", "Budi Santoso")
    assert mail.subject == "Jalan berlubang di Jl. Merdeka"
    assert mail.text.strip() == "Jalan di depan sekolah berlubang besar sejak seminggu."
    assert mail.attachments == () and mail.message_id.endswith("@warga.test>")


def test_the_plain_part_is_preferred_over_the_html_one() -> None:
    message = citizen_mail(text="Teks biasa.", html="<p>Teks <b>HTML</b>.</p>")
    assert read_mail(message.as_bytes()).text.strip() == "Teks biasa."


def test_an_html_only_mail_gives_its_text_without_the_quoted_mail() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><div>Lampu jalan mati"
        "<br>sejak Senin &amp; gelap.</div><div class='gmail_quote'>Pada Sen ... menulis:"
        "<blockquote>pesan lama</blockquote></div></body></html>"
    )
    mail = read_mail(citizen_mail(text=None, html=html).as_bytes())
    assert mail.text == "Lampu jalan mati\nsejak Senin & gelap."
    assert html_text("<p>a</p><script>x()</script><p>b</p>") == "a\n\nb"


def test_files_are_the_attachments_and_a_signature_part_is_not_one() -> None:
    message = citizen_mail(
        attachments=[
            ("foto.jpg", b"\xff\xd8\xff jpeg", "image/jpeg"),
            ("surat.pdf", b"%PDF-1.4 ...", "application/pdf"),
            ("smime.p7s", b"signature", "application/pkcs7-signature"),
        ]
    )
    mail = read_mail(message.as_bytes())
    assert [name for name, _data in mail.attachments] == ["foto.jpg", "surat.pdf"]
    assert mail.attachments[0][1] == b"\xff\xd8\xff jpeg"


def test_mail_without_a_sender_address_is_malformed() -> None:
    with pytest.raises(Malformed):
        read_mail(b"Subject: hi\r\n\r\nbody\r\n")
    with pytest.raises(Malformed):
        read_mail(b"From: nobody\r\nSubject: hi\r\n\r\nbody\r\n")
    with pytest.raises(Malformed):
        read_mail(b"\x00\x01 not a mail at all")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (
            "Terima kasih, sudah diperbaiki sebagian.\n\nOn Mon, 1 Dec 2026 at 10:00, Pengaduan "
            "<\nno-reply@pemda.test> wrote:\n> Pengaduan Anda diterima\n",
            "Terima kasih, sudah diperbaiki sebagian.",
        ),
        (
            "Masih rusak.\n\nPada tanggal Sen, 1 Des 2026 pukul 10.00 Pengaduan "
            "<no-reply@pemda.test> menulis:\n> lama\n",
            "Masih rusak.",
        ),
        ("Masih rusak.\n-- \nBudi\nRT 03", "Masih rusak."),
        ("Masih rusak.\n\nDikirim dari iPhone saya", "Masih rusak."),
        ("Masih rusak.\n\nSent from my Galaxy\n", "Masih rusak."),
        ("Masih rusak.\nGet Outlook for Android", "Masih rusak."),
        ("> kutipan\nJawaban saya.\n> kutipan lagi", "Jawaban saya."),
        (
            "Baik.\n\n-----Original Message-----\nFrom: Pengaduan\nSent: Senin\n",
            "Baik.",
        ),
        (
            "Baik.\n________________________________\nDari: Pengaduan\nDikirim: Senin",
            "Baik.",
        ),
        # Words like the phone lines inside the text stay.
        ("Sent from the office to the mayor, no answer.\nStill broken.", None),
    ],
)
def test_quoted_replies_and_signatures_are_trimmed(text: str, kept: str | None) -> None:
    assert trimming.trim(text) == (text.strip() if kept is None else kept)


def test_a_mail_of_only_a_quote_trims_to_nothing() -> None:
    assert trimming.trim("> semua kutipan\n> saja\n\nSent from my iPhone") == ""


@pytest.mark.parametrize(
    ("headers", "envelope_from", "sender", "why"),
    [
        ({"Auto-Submitted": "auto-replied"}, "budi@warga.test", None, "auto-submitted"),
        ({"Precedence": "bulk"}, "budi@warga.test", None, "precedence"),
        ({"Precedence": "junk"}, "budi@warga.test", None, "precedence"),
        ({"X-Autoreply": "yes"}, "budi@warga.test", None, "x-autoreply"),
        ({"List-Id": "<warga.list.test>"}, "budi@warga.test", None, "list-id"),
        ({}, "", None, "bounce"),
        ({}, "<>", None, "bounce"),
        ({"Return-Path": "<>"}, None, None, "bounce"),
        ({}, "x@warga.test", "MAILER-DAEMON@warga.test", "robot sender"),
        ({OWN_HEADER: "12"}, "budi@warga.test", None, "our own mail"),
        ({}, "budi@warga.test", "aduan@pemda.test", "our own address"),
    ],
)
def test_automatic_mail_is_told_apart(
    settings: Settings,
    headers: dict[str, str],
    envelope_from: str | None,
    sender: str | None,
    why: str,
) -> None:
    message = citizen_mail(headers=headers, sender=sender or "Budi <budi@warga.test>")
    mail = read_mail(message.as_bytes())
    assert loops.automatic(mail, envelope_from=envelope_from, settings=settings) == why


def test_our_own_message_id_is_a_loop_and_a_persons_mail_is_not(settings: Settings) -> None:
    own = read_mail(citizen_mail(message_id="<outbox.7.1733300000000000@pemda.test>").as_bytes())
    assert loops.automatic(own, envelope_from="x@y.test", settings=settings) == "our own mail"
    person = read_mail(citizen_mail(headers={"Auto-Submitted": "no"}).as_bytes())
    assert loops.automatic(person, envelope_from="budi@warga.test", settings=settings) is None


def test_a_reply_address_names_its_complaint_and_cannot_be_made_up(settings: Settings) -> None:
    address = addressing.reply_address(settings, "ADU-2026-000123")
    assert address is not None and address.startswith("aduan+adu-2026-000123-")
    assert address.endswith("@pemda.test")
    assert addressing.number_in_address(settings, address.upper()) == "ADU-2026-000123"
    forged = address.replace("000123", "000124")
    assert addressing.number_in_address(settings, forged) is None
    elsewhere = address.replace("@pemda.test", "@lain.test")
    assert addressing.number_in_address(settings, elsewhere) is None
    assert addressing.number_in_addresses(settings, [f"Pengaduan <{address}>, x@y"]) == (
        "ADU-2026-000123"
    )


def test_a_number_in_the_subject_is_found() -> None:
    assert addressing.number_in_subject("Re: Pengaduan adu-2026-000045 diterima") == (
        "ADU-2026-000045"
    )
    assert addressing.number_in_subject("Jalan rusak di RT 2026") is None


def test_mail_to_the_reporter_about_a_complaint_carries_its_reply_address(
    settings: Settings,
) -> None:
    about = {"kind": "complaint_received", "render": {"context": {"reply_number": "ADU-2026-7"}}}
    assert addressing.reply_address_of(settings, about) is None  # not a number
    about["render"]["context"]["reply_number"] = "ADU-2026-000007"
    expected = addressing.reply_address(settings, "ADU-2026-000007")
    assert addressing.reply_address_of(settings, about) == expected
    staff = {"kind": "notification_assigned", "render": {"context": {"number": "ADU-2026-000007"}}}
    assert addressing.reply_address_of(settings, staff) is None
    assert addressing.reply_address_of(settings, {"kind": "confirm_email"}) is None


@pytest.mark.parametrize(
    ("results", "trusted"),
    [
        (["mx.pemda.test; dmarc=pass (p=none) header.from=warga.test"], True),
        (["mx.pemda.test; dkim=pass header.d=warga.test header.s=s1; spf=fail"], True),
        (["mx.pemda.test; spf=pass smtp.mailfrom=bounce.warga.test"], True),
        (["mx.pemda.test; dkim=pass header.d=lain.test; spf=softfail"], False),
        (["mx.pemda.test; dmarc=fail header.from=warga.test"], False),
        # Another server's word (or one the sender wrote) counts for nothing.
        (["mx.palsu.test; dmarc=pass header.from=warga.test"], False),
        ([], False),
    ],
)
def test_the_sender_is_verified_only_by_our_mail_servers_results(
    settings: Settings, results: list[str], trusted: bool
) -> None:
    message = citizen_mail()
    for value in results:
        message["Authentication-Results"] = value
    mail = read_mail(message.as_bytes())
    checking = replace(settings, mail_intake_authserv_id="MX.pemda.test")
    assert authentication.authenticated(mail, checking) is trusted
    assert authentication.authenticated(mail, settings) is True  # not set up: not checked
