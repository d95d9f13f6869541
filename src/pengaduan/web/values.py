"""Values as people type them, read without any web framework: bounded integers, days in a
sane range, text that PostgreSQL can store. Services and the request layer (web.input) share
these, so a rule about input exists once."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pengaduan.i18n import _

# PostgreSQL's `integer`: every id, count and number of days we store.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
# Dates past these say nothing about complaints and overflow the time zone arithmetic.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2200, 12, 31)
PAGE_MAX = 100_000
# NUL, and the lone surrogates that bytes which were not UTF-8 became.
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


# --- messages ---------------------------------------------------------------------------------


def unreadable_message() -> str:
    return _(
        "This contains characters that cannot be read (such as a NUL byte or a broken "
        "letter). Remove them and try again."
    )


def date_message() -> str:
    return _("Enter a date as YYYY-MM-DD.")


# --- values -----------------------------------------------------------------------------------


def readable(text: str) -> bool:
    """Text that PostgreSQL can store and that arrived as UTF-8."""
    return _UNREADABLE.search(text) is None


def shown(text: str) -> str:
    """The text with what cannot be stored or shown replaced by U+FFFD: the typed value, kept
    for the form shown again."""
    return _UNREADABLE.sub("\ufffd", text)


def text(value: Any, *, limit: int | None = None) -> str | None:
    """A query or form value as text (cut at `limit`); None when it holds what cannot be
    stored."""
    value = value if isinstance(value, str) else ""
    if not readable(value):
        return None
    return value[:limit] if limit is not None else value


def whole_number(value: Any, *, low: int = 0, high: int = INTEGER_MAX) -> int | None:
    """A number typed in ASCII digits, from `low` to `high`; None for anything else (a sign,
    other digits, a number no column holds)."""
    value = value.strip() if isinstance(value, str) else ""
    if not value or len(value) > 10 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None


def record_id(value: Any) -> int | None:
    """The id of a row (serial `integer`): None when it cannot be one."""
    return whole_number(value, low=1)


def chosen_id(value: Any) -> int | None:
    """An id picked in a form: None when nothing was picked, 0 (no row's id) when what came
    cannot be an id, so that the service answers "choose one of ..." as for any unknown id."""
    if not (value.strip() if isinstance(value, str) else ""):
        return None
    return record_id(value) or 0


def page_number(value: Any, *, last: int = PAGE_MAX) -> int:
    """A page of a list: 1 unless a positive number was given, at most `last`."""
    value = value.strip() if isinstance(value, str) else ""
    if not (value.isascii() and value.isdigit()):
        return 1
    return max(1, min(int(value) if len(value) <= 10 else last, last))


def day(value: Any) -> date | None:
    """A day typed as YYYY-MM-DD, from 1900 to 2200; None for anything else."""
    try:
        parsed = date.fromisoformat(value.strip()) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and FIRST_DAY <= parsed <= LAST_DAY else None
