"""What a queue row shows in the reader's language besides its fields: how long ago it was
submitted, when it is due, its deadline, priority and officer (handling.queue's rows, the
officers' queue and the admin complaint list), each text formatted once per process."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import TIMEDELTA_UNITS, format_datetime, format_timedelta, get_time_format

from pengaduan import i18n
from pengaduan.clock import JAKARTA
from pengaduan.complaints.tables import PRIORITIES
from pengaduan.i18n import _
from pengaduan.memo import keep
from pengaduan.web.labels import priority_label


def age_text(age: timedelta, locale: Locale | str | None = None) -> str:
    """How long ago, in the reader's language ("3 hari yang lalu", "5 hours ago")."""
    return format_timedelta(
        -age, threshold=_AGE_THRESHOLD, add_direction=True, locale=locale or i18n.get_locale()
    )


# Babel's formatting is the dearest part of a queue row, and a queue shows the same few texts
# again and again (officers of a unit see the same first page): each text is formatted once
# per process and kept under a key that determines it completely.
_AGE_THRESHOLD = 1.5
_TEXTS: dict[tuple[Any, ...], str] = {}
_TEXTS_MAX = 4096


def _age_key(age: timedelta) -> tuple[str, int, bool]:
    """What babel's format_timedelta(-age, threshold=1.5, granularity="second") output depends
    on besides the locale: the unit it picks, the rounded value and the direction (the same
    steps as babel's)."""
    delta = -age
    seconds = int(delta.days * 86400 + delta.seconds)
    for unit, seconds_per_unit in TIMEDELTA_UNITS:
        value = abs(seconds) / seconds_per_unit
        if value >= _AGE_THRESHOLD or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return unit, round(value), seconds >= 0
    raise AssertionError("unreachable: 'second' always matches")


@cache
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code)  # once per language: babel parses a code on every call


# From 1.5 days on, babel counts in days, weeks, months or years, and every step of those (half
# a unit, where rounding turns; 1.5 units, where the next one starts) falls on a whole hour.
_WHOLE_HOURS_FROM = int(_AGE_THRESHOLD * 86400)


def cached_age_text(age: timedelta, code: str) -> str:
    """`age_text` in the language `code`, kept per process by what it depends on."""
    delta = -age
    seconds = delta.days * 86400 + delta.seconds  # as babel counts them
    if seconds <= -_WHOLE_HOURS_FROM and seconds % 3600:
        # The text is the same all hour long (but at its first second, where rounding a
        # half may go either way): the hour is the key, without babel's steps (a list shows
        # 25 ages per request).
        key: tuple[Any, ...] = ("age-h", code, seconds // 3600)
    else:
        key = ("age", code, *_age_key(age))
    text = _TEXTS.get(key)
    if text is None:
        text = keep(_TEXTS, key, age_text(age, _babel_locale(code)), _TEXTS_MAX)
    return text


def _due_text(due_at: datetime, code: str, due: str) -> str:
    date = format_datetime(due_at, "short", tzinfo=JAKARTA, locale=_babel_locale(code))
    return due % {"date": date}


def _cached_due_text(due_at: datetime, code: str, due: str) -> str:
    if not _minute_precision(code):
        return _due_text(due_at, code, due)
    # The short format shows no seconds: the minute determines the text.
    key = ("due", code, due, due_at.replace(second=0, microsecond=0))
    text = _TEXTS.get(key)
    if text is None:
        text = keep(_TEXTS, key, _due_text(due_at, code, due), _TEXTS_MAX)
    return text


@cache
def _minute_precision(locale: str) -> bool:
    """The short time format has no seconds, and Jakarta's offset is whole minutes."""
    pattern = get_time_format("short", locale=locale).pattern
    return not any(field in pattern for field in "sSA")


def describe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds what a row shows in the reader's language: priority_text, age_text,
    due_text ("due <date>"), deadline_text ("Overdue", "Due soon" or "") and officer_text;
    age_text replaces the raw age, so the same complaint gives the same row until a text
    changes (handling/_queue_row.html is rendered once per distinct row).

    Labels are translated once per list, not once per row (a queue page is rendered often);
    the status badge is the template's (status_badge macro).
    """
    code = i18n.get_locale()
    texts = labels()
    for row in rows:
        # The raw age differs on every request; only its text shows (and keys the row cache).
        row["age_text"] = cached_age_text(row.pop("age"), code)
        add_texts(row, code, texts)
    return rows


def labels() -> dict[str, Any]:
    """The labels a row may show, in the reader's language."""
    return {
        "priorities": {priority: priority_label(priority) for priority in PRIORITIES},
        "overdue": _("Overdue"),
        "due_soon": _("Due soon"),
        "unassigned": _("Unassigned"),
        "due": _("due %(date)s"),  # formatted per row
    }


def add_texts(row: dict[str, Any], code: str, labels: dict[str, Any]) -> None:
    """`describe`'s texts for one row (its age_text already there), with `labels()`."""
    row["priority_text"] = labels["priorities"].get(row["priority"], row["priority"])
    row["due_text"] = _cached_due_text(row["due_at"], code, labels["due"]) if row["due_at"] else ""
    row["deadline_text"] = (
        labels["overdue"] if row["is_overdue"] else labels["due_soon"] if row["is_due_soon"] else ""
    )
    row["officer_text"] = row["officer_name"] or labels["unassigned"]
