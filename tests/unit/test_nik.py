"""The NIK as a citizen types it: one clear message per problem, and what a valid one tells."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from pengaduan import i18n
from pengaduan.accounts.nik import PROVINCES, nik_birth_date, nik_sex, validate_nik

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = i18n.get_locale()
    i18n.set_locale("en")
    yield
    i18n.set_locale(before)


def problems(raw: str, today: date = TODAY) -> list[str]:
    return validate_nik(raw, today=today)[1]


LENGTH = "The NIK must have exactly 16 digits; you typed {}."
REGENCY = "Digits 3 and 4 of the NIK (the regency or city code) cannot be 00."
DISTRICT = "Digits 5 and 6 of the NIK (the district code) cannot be 00."


def province(code: str) -> str:
    return (
        f"The NIK starts with {code}, which is not the code of an Indonesian province; "
        "please check the first two digits on your KTP."
    )


def bad_date(digits: str) -> str:
    return (
        f"Digits 7 to 12 of the NIK ({digits}) are not a date of birth written as DDMMYY; "
        "for women the day is increased by 40 (41 to 71)."
    )


# --- valid NIKs --------------------------------------------------------------------------


def test_valid_male_nik() -> None:
    assert validate_nik("3171011708900001", today=TODAY) == ("3171011708900001", [])
    assert nik_birth_date("3171011708900001", today=TODAY) == date(1990, 8, 17)
    assert nik_sex("3171011708900001") == "male"


@pytest.mark.parametrize(
    ("nik", "born"),
    [
        ("3273015708950002", date(1995, 8, 17)),  # day 17 + 40
        ("3273014101000004", date(2000, 1, 1)),  # day 41: the first of the month
        ("3273017112850003", date(1985, 12, 31)),  # day 71: the 31st
    ],
)
def test_valid_female_nik_has_day_plus_40(nik: str, born: date) -> None:
    assert problems(nik) == []
    assert nik_birth_date(nik, today=TODAY) == born
    assert nik_sex(nik) == "female"


def test_valid_nik_against_the_real_clock() -> None:
    nik, found = validate_nik("3171011708900001")
    assert (nik, found) == ("3171011708900001", [])


@pytest.mark.parametrize(
    "raw",
    [
        "3171 0117 0890 0001",
        " 31.71.01.170890.0001 ",
        "3171-0117-0890-0001",
        "3171\u00a00117\u20130890\u20140001",  # no-break space, en and em dashes
        "\uff13\uff11\uff17\uff11011708900001",  # full-width digits from a phone keyboard
    ],
)
def test_formatting_characters_are_stripped(raw: str) -> None:
    assert validate_nik(raw, today=TODAY) == ("3171011708900001", [])
    assert nik_sex(raw) == "male"


# --- dates -------------------------------------------------------------------------------


def test_29_february_of_a_leap_year_is_a_date() -> None:
    assert problems("3171012902000001") == []  # 2000 is a leap year
    assert nik_birth_date("3171012902000001", today=TODAY) == date(2000, 2, 29)
    assert problems("3171016902040001") == []  # a woman born 29-02-2004
    assert nik_sex("3171016902040001") == "female"


@pytest.mark.parametrize(
    "nik",
    [
        "3171013002900001",  # 30 February
        "3171012902010001",  # 29 February 2001: not a leap year
        "3171013204900001",  # day 32
        "3171014004900001",  # day 40: too late for a man, too early for a woman
        "3171017204900001",  # day 72
        "3171017104900001",  # 31 April for a woman
        "3171010004900001",  # day 00
        "3171011713900001",  # month 13
        "3171011700900001",  # month 00
    ],
)
def test_impossible_dates_are_refused(nik: str) -> None:
    assert problems(nik) == [bad_date(nik[6:12])]
    with pytest.raises(ValueError):
        nik_birth_date(nik, today=TODAY)


def test_future_birth_date_is_refused() -> None:
    assert problems("3171013112260001") == [
        "The date of birth in the NIK (31-12-2026) is in the future."
    ]
    assert problems("3171015603260001") == [  # a woman "born" tomorrow
        "The date of birth in the NIK (16-03-2026) is in the future."
    ]


def test_born_today_is_not_the_future() -> None:
    assert problems("3171011503260001") == []


def test_two_digit_year_after_this_year_is_the_last_century() -> None:
    assert problems("3171010101270001") == []
    assert nik_birth_date("3171010101270001", today=TODAY) == date(1927, 1, 1)
    assert nik_birth_date("3171010101260001", today=TODAY) == date(2026, 1, 1)


# --- regions -------------------------------------------------------------------------------


def test_every_real_province_code_is_accepted() -> None:
    assert len(PROVINCES) == 38
    for code in PROVINCES:
        assert problems(code + "71011708900001") == [], code


@pytest.mark.parametrize("code", ["91", "92", "93", "94", "95", "96"])
def test_papua_provinces_are_accepted(code: str) -> None:
    assert problems(code + "01011708900001") == []


@pytest.mark.parametrize("code", ["00", "10", "20", "37", "54", "97", "99"])
def test_unknown_province_code_is_refused(code: str) -> None:
    assert problems(code + "71011708900001") == [province(code)]


def test_regency_code_00_is_refused() -> None:
    assert problems("3100011708900001") == [REGENCY]


def test_district_code_00_is_refused() -> None:
    assert problems("3171001708900001") == [DISTRICT]


def test_each_problem_has_its_own_message() -> None:
    found = problems("9900003002900001")
    assert found == [province("99"), REGENCY, DISTRICT, bad_date("300290")]
    assert len(set(found)) == 4


# --- shape ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "count"), [("317101170890001", 15), ("31710117089000011", 17)])
def test_wrong_number_of_digits_says_how_many(raw: str, count: int) -> None:
    assert problems(raw) == [LENGTH.format(count)]


def test_empty_nik() -> None:
    assert validate_nik("  ", today=TODAY) == ("", [LENGTH.format(0)])


def test_non_digits_are_named() -> None:
    assert problems("3171011708900001x") == [
        'The NIK may contain only digits (0 to 9); please remove these characters: "x".'
    ]


def test_letter_in_place_of_a_digit_gives_both_messages() -> None:
    assert problems("3171O1170890000/") == [
        'The NIK may contain only digits (0 to 9); please remove these characters: "/", "O".',
        LENGTH.format(14),
    ]


@pytest.mark.parametrize("digit", "0123456789")
def test_one_digit_repeated_is_refused_with_one_message(digit: str) -> None:
    nik = digit * 16
    assert problems(nik) == [
        f"The NIK cannot be one digit repeated ({nik}); please copy it from your KTP or "
        "Family Card (KK)."
    ]


def test_messages_are_translated_at_call_time() -> None:
    i18n.set_locale("id")
    found = problems("317101170890001")
    assert found == [
        i18n.translations("id").ugettext(
            "The NIK must have exactly 16 digits; you typed %(count)d."
        )
        % {"count": 15}
    ]


def test_sex_and_birth_date_need_a_valid_nik() -> None:
    with pytest.raises(ValueError):
        nik_sex("12345")
    with pytest.raises(ValueError):
        nik_birth_date("31710117089000ab")
