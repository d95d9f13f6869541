"""WhatsApp/SMS intake without a database: the webhook's signature and its window, the
commands a message gives, the complaint's title, and answers that each fit one SMS with the
number, tracking code and link whole."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from pengaduan import signing
from pengaduan.notifications import sms
from pengaduan.notifications.texts import in_language
from pengaduan.sms_intake import answers, commands, messages

SECRET = "rahasia-gateway"
NOW = 1_800_000_000.0
NUMBER = "ADU-2026-000123"
CODE = "K3D89QX2"


def _signed(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    # Written out here, not signing.signature: the contract as the README gives it.
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def test_a_signature_over_timestamp_and_body_is_accepted() -> None:
    body = b'{"id": "1"}'
    stamp = str(int(NOW))
    signing.verify(SECRET, timestamp=stamp, signed=_signed(body, stamp), body=body, now=NOW)
    # A clock a little apart either way is fine.
    early = str(int(NOW) - 299)
    signing.verify(SECRET, timestamp=early, signed=_signed(body, early), body=body, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "signed", "body"),
    [
        (None, None, b"{}"),
        ("1800000000", None, b"{}"),
        (None, _signed(b"{}", "1800000000"), b"{}"),
        ("1800000000", _signed(b"{}", "1800000000", "lain"), b"{}"),
        ("1800000000", _signed(b"{}", "1800000000"), b'{"x": 1}'),
        ("1800000000", _signed(b"{}", "1800000001"), b"{}"),
        ("1799999000", _signed(b"{}", "1799999000"), b"{}"),  # stale: a replay
        ("1800001000", _signed(b"{}", "1800001000"), b"{}"),  # from the future
        ("18e8", _signed(b"{}", "18e8"), b"{}"),
        ("1800000000", "sha256=ü" + "0" * 63, b"{}"),
        ("1800000000", _signed(b"{}", "1800000000").removeprefix("sha256="), b"{}"),
    ],
)
def test_a_missing_wrong_or_stale_signature_is_refused(
    timestamp: str | None, signed: str | None, body: bytes
) -> None:
    with pytest.raises(signing.BadSignature):
        signing.verify(SECRET, timestamp=timestamp, signed=signed, body=body, now=NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ADUAN Jalan berlubang di Jl. Merdeka",
            commands.Command("file", "Jalan berlubang di Jl. Merdeka"),
        ),
        (
            "  aduan: lampu mati\nsejak kemarin",
            commands.Command("file", "lampu mati\nsejak kemarin"),
        ),
        ("LAPOR! Sampah menumpuk", commands.Command("file", "Sampah menumpuk")),
        ("Lapor#banjir di RT 3", commands.Command("file", "banjir di RT 3")),
        ("ADUAN", commands.Command("file", "")),
        ("CEK ADU-2026-000123 K3D89QX2", commands.Command("check", number=NUMBER, code=CODE)),
        (
            "cek#ADU-2026-000123#k3d8 9qx2",
            commands.Command("check", number=NUMBER, code="k3d89qx2"),
        ),
        ("CEK ADU-2026-000123", commands.Command("check", number=NUMBER)),
        ("cek", commands.Command("check")),
        ("Halo, selamat pagi", commands.Command("help")),
        ("ADUANJALAN rusak", commands.Command("help")),
        ("Saya mau ADUAN", commands.Command("help")),
        ("", commands.Command("help")),
    ],
)
def test_the_first_word_says_what_a_message_asks(text: str, expected: commands.Command) -> None:
    assert commands.parse(text) == expected


def test_the_title_is_the_first_line_or_its_first_words() -> None:
    assert commands.title_of("Lampu jalan mati\nsudah seminggu gelap") == "Lampu jalan mati"
    long = "Jalan di depan pasar berlubang besar dan sudah banyak motor jatuh di sana tiap hari"
    assert commands.title_of(long) == " ".join(long.split()[:10]) + "…"
    assert (
        commands.title_of("Air\nmati sejak pagi di seluruh RW 5")
        == "Air mati sejak pagi di seluruh RW 5"
    )
    assert len(commands.title_of("x" * 300)) <= commands.TITLE_CHARS + 1


def test_a_payload_outside_the_contract_is_refused_for_the_gateway() -> None:
    good = b'{"id": "wamid.1", "from": "0812-3456-7890", "text": "ADUAN x", "media": ["http://a/b.jpg", {"url": "http://a/c.jpg"}]}'
    message = messages.read(good, default_channel="whatsapp")
    assert message.sender == "+6281234567890" and message.channel == "whatsapp"
    assert message.media == ("http://a/b.jpg", "http://a/c.jpg")
    assert message.key == "whatsapp:wamid.1"
    prefixed = messages.read(
        b'{"id": "SM1", "from": "whatsapp:+6281234567890", "channel": "sms"}',
        default_channel="whatsapp",
    )
    assert prefixed.sender == "+6281234567890" and prefixed.text == "" and prefixed.channel == "sms"
    for raw in [
        b"not json",
        b"[]",
        b'{"from": "+6281234567890"}',
        b'{"id": "1", "from": "PENGADUAN"}',
        b'{"id": "1", "from": "+6281234567890", "channel": "telegram"}',
        b'{"id": "1", "from": "+6281234567890", "text": 5}',
        b'{"id": "1", "from": "+6281234567890", "text": "a\\u0000b"}',
        b'{"id": "1", "from": "+6281234567890", "media": "http://a/b.jpg"}',
        b'{"id": "1", "from": "+6281234567890", "media": [{"link": "x"}]}',
        b"\xff\xfe",
    ]:
        with pytest.raises(messages.BadPayload):
            messages.read(raw, default_channel="sms")


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_answer_fits_one_sms_with_number_code_and_link_whole(language: str) -> None:
    base_url = "https://pengaduan.dinas-komunikasi-dan-informatika.kabupaten-contoh.go.id"
    link = f"{base_url}/lacak?nomor={NUMBER}&kode={CODE}"
    with in_language(language):
        filed = answers.filed(NUMBER, CODE, photos_left_out=3, base_url=base_url)
        status = answers.status(NUMBER, CODE, "in_progress", base_url=base_url)
        others = [
            answers.no_match(),
            answers.check_usage(),
            answers.file_usage(),
            answers.help_text(),
            answers.refused("kata " * 80),
            answers.too_many(3000),
            answers.too_many_complaints(80_000),
        ]
    for text in [filed, status, *others]:
        assert sms.fits(text), text
    for text in (filed, status):
        assert text.startswith(f"{NUMBER}:") and text.endswith(link)
    assert CODE in filed.removesuffix(link)


def test_a_short_answer_says_it_all() -> None:
    with in_language("id"):
        filed = answers.filed(NUMBER, CODE, photos_left_out=1, base_url="https://x.go.id")
        assert filed == (
            f"{NUMBER}: Aduan diterima. 1 foto tidak dapat dipakai. Kode lacak {CODE} "
            f"https://x.go.id/lacak?nomor={NUMBER}&kode={CODE}"
        )
        assert answers.help_text().startswith("Untuk mengadu kirim: ADUAN")
    with in_language("en"):
        assert answers.help_text().startswith("To file a complaint send: ADUAN")


def test_shorten_cuts_words_until_one_sms() -> None:
    assert sms.shorten("pendek") == "pendek"
    long = sms.shorten("kata " * 100)
    assert sms.fits(long) and long.endswith("...")
    assert sms.fits(sms.shorten("🚧" * 200))
