"""The terms a complaint is classified by (categorising.terms): Indonesian as citizens write it."""

from __future__ import annotations

from pengaduan.categorising.terms import LONGEST, MOST, terms_of


def test_lower_case_without_punctuation_stop_words_or_numbers() -> None:
    assert terms_of("Jalan BERLUBANG di depan pasar, sudah 3 minggu!!! Mohon segera.") == [
        "jalan",
        "berlubang",
        "depan",
        "pasar",
        "minggu",
        "segera",
    ]


def test_chat_spelling_plurals_and_possessives_count_as_the_word() -> None:
    assert terms_of("jln rusak") == terms_of("jalan rusak") == ["jalan", "rusak"]
    assert terms_of("sampah2 berserakan") == ["sampah", "berserakan"]
    assert terms_of("Lampunya mati, jalannya gelap") == ["lampu", "mati", "jalan", "gelap"]
    # Short words ending in -nya keep it (not a possessive).
    assert "tanya" in terms_of("saya mau tanya")
    assert "yg" not in terms_of("lampu yg mati") and "yang" not in terms_of("lampu yg mati")


def test_accents_are_folded_and_repeats_counted_once() -> None:
    assert terms_of("Café café CAFÉ") == ["cafe"]


def test_noise_is_left_out_and_long_texts_are_capped() -> None:
    assert terms_of("x " + "a" * (LONGEST + 1) + " 12345 ok") == ["ok"]
    many = " ".join(f"kata{i}" for i in range(MOST * 2))
    assert len(terms_of(many)) == MOST
    assert terms_of("") == [] and terms_of("!!! ... ---") == []
