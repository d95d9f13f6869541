"""SMS text: one message of at most 160 GSM-7 septets (70 UCS-2 units with other characters),
always with the complaint number and the tracking link."""

from __future__ import annotations

import pytest

from pengaduan import i18n
from pengaduan.notifications import services, sms

NUMBER = "ADU-2026-000123"
BASE_URL = "https://pengaduan.example.go.id"
LINK = f"{BASE_URL}/lacak?nomor={NUMBER}"


def test_gsm_length_counts_extension_characters_twice() -> None:
    assert sms.gsm_length("abc") == 3
    assert sms.gsm_length("a{b}€") == 8
    assert sms.is_gsm("Rp 10.000 @ Jl. Merdeka: é ü ñ")
    assert not sms.is_gsm("Jalan rusak 🚧")
    assert not sms.is_gsm("“kutipan”")


def test_units_and_limit_follow_the_encoding() -> None:
    assert sms.sms_units("a" * 10) == (10, 160)
    assert sms.sms_units("[x]") == (5, 160)
    assert sms.sms_units("ok 🚧") == (5, 70)  # the emoji is two UTF-16 units


def test_a_short_message_is_left_whole() -> None:
    text = sms.compose(NUMBER, "Terverifikasi", LINK)
    assert text == f"{NUMBER}: Terverifikasi {LINK}"
    assert sms.fits(text)


def test_a_long_phrase_is_shortened_to_160_keeping_number_and_link() -> None:
    text = sms.compose(NUMBER, "sangat panjang " * 30, LINK)
    length, limit = sms.sms_units(text)
    assert limit == 160 and length <= 160
    assert text.startswith(f"{NUMBER}: sangat panjang")
    assert text.endswith(f"... {LINK}")


def test_extension_characters_make_the_room_smaller() -> None:
    text = sms.compose(NUMBER, "{kurung} " * 30, LINK)
    assert sms.gsm_length(text) <= 160
    assert len(text) < 160
    assert NUMBER in text and LINK in text


def test_a_non_gsm_character_limits_the_message_to_70() -> None:
    short_link = "https://a.id/lacak?nomor=ADU-2026-000123"
    text = sms.compose(NUMBER, "Selesai — " + "kata " * 40, short_link)
    length, limit = sms.sms_units(text)
    assert limit == 70 and length <= 70
    assert text.startswith(f"{NUMBER}: Selesai —") and text.endswith(f"… {short_link}")


def test_cutting_away_the_only_non_gsm_character_gives_back_160() -> None:
    text = sms.compose(NUMBER, "Jalan rusak " * 12 + "🚧", LINK)
    assert sms.is_gsm(text) and sms.fits(text)
    assert NUMBER in text and text.endswith(LINK)


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("kind", services.KINDS)
def test_every_kind_fits_one_sms_in_every_language(kind: str, language: str) -> None:
    previous = i18n.get_locale()
    i18n.set_locale(language)
    try:
        text = services.sms_text(kind, NUMBER, 42, base_url=BASE_URL)
    finally:
        i18n.set_locale(previous)
    assert sms.fits(text) and sms.sms_units(text)[1] == 160
    assert NUMBER in text
    if kind in services.STAFF_KINDS:
        assert text.endswith("/petugas/pengaduan/42")
    else:
        assert text.endswith(f"/lacak?nomor={NUMBER}")


def test_the_sms_is_in_the_recipients_language() -> None:
    previous = i18n.get_locale()
    try:
        i18n.set_locale("en")
        english = services.sms_text("resolved", NUMBER, base_url=BASE_URL)
        i18n.set_locale("id")
        indonesian = services.sms_text("resolved", NUMBER, base_url=BASE_URL)
    finally:
        i18n.set_locale(previous)
    assert "Resolved" in english and "Selesai" in indonesian
