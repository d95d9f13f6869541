"""The input layer's rules, without a database: numbers bounded to PostgreSQL's `integer`,
dates to 1900-2200, text without NUL bytes or bytes that were not UTF-8."""

from __future__ import annotations

from datetime import date

import pytest

from pengaduan.web.input import parse_urlencoded, read_form
from pengaduan.web.values import (
    INTEGER_MAX,
    chosen_id,
    day,
    page_number,
    readable,
    record_id,
    shown,
    whole_number,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7", 7),
        (" 42 ", 42),
        (str(INTEGER_MAX), INTEGER_MAX),
        (str(INTEGER_MAX + 1), None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("²", None),  # a digit to str.isdigit(), not to int()
        ("١٢", None),  # Arabic-Indic digits: int() reads them, a person did not type an id
        ("1e3", None),
        ("", None),
        (None, None),
        (["7"], None),
    ],
)
def test_an_id_is_ascii_digits_within_integer(typed: object, expected: int | None) -> None:
    assert record_id(typed) == expected


def test_a_whole_number_has_its_own_bounds() -> None:
    assert whole_number("0") == 0
    assert whole_number("366", high=365) is None
    assert whole_number("9" * 5000) is None


def test_a_picked_id_tells_nothing_picked_from_something_impossible() -> None:
    assert chosen_id("") is None
    assert chosen_id("  ") is None
    assert chosen_id("12") == 12
    assert chosen_id(str(INTEGER_MAX + 1)) == 0
    assert chosen_id("abc") == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("", 1), ("3", 3), ("0", 1), ("-2", 1), ("²", 1), ("99999999999999999999", 100_000)],
)
def test_a_page_is_at_least_one_and_at_most_the_last(typed: str, expected: int) -> None:
    assert page_number(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-02-28", date(2026, 2, 28)),
        ("1900-01-01", date(1900, 1, 1)),
        ("2200-12-31", date(2200, 12, 31)),
        ("1899-12-31", None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        ("2026-02-30", None),
        ("2026\x00-01-01", None),
        ("", None),
    ],
)
def test_a_day_lies_between_1900_and_2200(typed: str, expected: date | None) -> None:
    assert day(typed) == expected


def test_nul_and_bytes_that_were_not_utf8_are_unreadable_and_shown_as_replacement() -> None:
    assert readable("Jalan rusak ✓ \ufffd")
    assert not readable("a\x00b")
    assert not readable(b"a\xffb".decode("utf-8", "surrogateescape"))
    assert shown("a\x00b\udcff") == "a\ufffdb\ufffd"


def test_an_urlencoded_body_keeps_bad_bytes_visible_to_the_form() -> None:
    data = parse_urlencoded(b"title=Jalan%FF&body=raw\xff&name=%C3%A9&n=1&n=2&_csrf_token=t")
    form = read_form(data)
    assert set(form.errors) == {"title", "body", "form"}
    assert form["title"] == "Jalan\ufffd"
    assert form["body"] == "raw\ufffd"
    assert form["name"] == "é"
    assert form.getall("n") == ["1", "2"]
    assert form.refused() is form
    assert form.only("name") == {}
    assert set(form.only("title", "name")) == {"title", "form"}


def test_a_clean_form_is_not_refused() -> None:
    form = read_form({"title": "Jalan rusak", "tags": ["a", "b"]})
    assert form.ok and form.refused() is None and form.errors == {}
    assert dict(form) == {"title": "Jalan rusak", "tags": "a"}
