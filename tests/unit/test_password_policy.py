"""The password policy: long enough, not a common password, not the username or the NIK."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from pengaduan import i18n
from pengaduan.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    common_passwords,
    new_password_errors,
    password_problems,
)

COMMON = (
    "This password is one of the most common ones, which attackers try first; "
    "please choose another."
)
SAME_AS_USERNAME = "The password must not be the same as your username."
HAS_NIK = "The password must not be or contain your NIK."
NIK = "3171011708900001"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    before = i18n.get_locale()
    i18n.set_locale("en")
    yield
    i18n.set_locale(before)


def too_short(count: int) -> str:
    return f"The password must have at least 10 characters; yours has {count}."


def test_a_good_password_passes() -> None:
    assert password_problems("Gunung Rinjani 3726 m", username="budi", nik=NIK) == []


def test_length() -> None:
    assert MIN_PASSWORD_LENGTH == 10
    assert password_problems("kX9#vq2!L") == [too_short(9)]
    assert password_problems("kX9#vq2!Lm") == []
    assert password_problems("") == [too_short(0)]


@pytest.mark.parametrize(
    "password",
    ["1234567890", "qwertyuiop", "QwErTyUiOp", "Bismillah123", "SAYANGKU123", "password123"],
)
def test_common_passwords_are_refused_whatever_the_case(password: str) -> None:
    assert password_problems(password) == [COMMON]


def test_short_common_password_gets_both_messages() -> None:
    assert password_problems("Indonesia") == [too_short(9), COMMON]


@pytest.mark.parametrize("username", ["budisantoso77", "BudiSantoso77", "  budisantoso77 "])
def test_equal_to_username_is_refused(username: str) -> None:
    assert password_problems("BudiSantoso77", username=username) == [SAME_AS_USERNAME]
    assert password_problems(" budisantoso77  ", username=username) == [SAME_AS_USERNAME]


def test_containing_the_username_is_allowed() -> None:
    assert password_problems("budisantoso77 naik gunung", username="budisantoso77") == []


@pytest.mark.parametrize(
    ("password", "nik"),
    [
        (NIK, NIK),
        (f" {NIK} ", NIK),
        (NIK, "3171 0117 0890 0001"),
        (f"ktp{NIK}!", NIK),
        ("saya 3171-0117-0890-0001", NIK),
    ],
)
def test_equal_to_or_containing_the_nik_is_refused(password: str, nik: str) -> None:
    assert password_problems(password, nik=nik) == [HAS_NIK]


def test_part_of_the_nik_is_allowed() -> None:
    assert password_problems("kopi 31710117 hitam", nik=NIK) == []


def test_no_username_or_nik_given_checks_nothing_about_them() -> None:
    assert password_problems(NIK) == []


def test_a_new_password_is_checked_against_the_policy_before_its_confirmation() -> None:
    assert new_password_errors("Gunung Rinjani 3726 m", "Gunung Rinjani 3726 m") == {}
    assert new_password_errors("Indonesia", "lain") == {"password": f"{too_short(9)} {COMMON}"}
    assert new_password_errors("budi-santoso", "budi-santoso", username="budi-santoso") == {
        "password": SAME_AS_USERNAME
    }
    assert new_password_errors("Gunung Rinjani 3726 m", "Gunung Rinjani") == {
        "password_confirm": "The two passwords are not the same."
    }


def test_shipped_list_is_found_and_large() -> None:
    path = resources.files("pengaduan.accounts").joinpath("data", "common-passwords.txt")
    assert path.is_file()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#") and "zxcvbn" in lines[0] and "MIT" in lines[0]
    entries = common_passwords()
    assert len(entries) > 10_000
    assert all(entry == entry.lower() and len(entry) >= 8 for entry in entries)
    assert {"bismillah", "indonesia", "sayangku", "rahasia123", "merdeka45"} <= entries
    assert common_passwords() is entries  # read once


def test_list_is_packaged() -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text())
    assert "accounts/data/*.txt" in data["tool"]["setuptools"]["package-data"]["pengaduan"]
