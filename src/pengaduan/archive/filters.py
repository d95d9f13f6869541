"""What a visitor asks the public archive for: the search and filter form as it travels in
the URL, read and checked (values that cannot be used are ignored, with a message), and a
complaint number typed in any of the ways people type it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from pengaduan.complaints.statuses import STATUSES
from pengaduan.i18n import _
from pengaduan.web.values import (
    date_message,
    day,
    page_number,
    record_id,
    shown,
    text,
    unreadable_message,
)

MAX_PAGE = 100_000
# Statuses the archive shows (a withdrawn complaint is the reporter's to take back).
ARCHIVE_STATUSES = tuple(code for code in STATUSES if code != "withdrawn")
# A complaint number, typed with any case and with spaces or dashes (or neither) between parts
# (a phone's keyboard may turn "-" into another dash); without "ADU" a year and a serial
# apart ("2026-27", "2026 000027") are a number too: nobody searches the text for that.
_DASHES = "\\s\\-\u2010-\u2015\u2212"
NUMBER_RE = re.compile(
    rf"^\s*(?:ADU[{_DASHES}]*(\d{{4}})[{_DASHES}]*|((?:19|20)\d{{2}})[{_DASHES}]+)(\d{{1,10}})\s*$",
    re.IGNORECASE,
)


def one_line(value: str) -> str:
    return " ".join(shown(value).split())


@dataclass(frozen=True)
class ArchiveFilters:
    """What the visitor asked for, from the URL; `errors` name the values that were ignored."""

    q: str = ""
    category: int | None = None
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    location: str = ""
    page: int = 1
    raw: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, params: dict[str, str]) -> ArchiveFilters:
        errors: dict[str, str] = {}
        raw = {
            key: one_line(str(params.get(key, "")))[:200]
            for key in ("q", "category", "status", "from", "to", "location")
        }
        for key in ("q", "location"):
            if text(params.get(key, "")) is None:
                errors[key] = unreadable_message()
        status = raw["status"] if raw["status"] in ARCHIVE_STATUSES else ""
        dates: dict[str, date | None] = {}
        for key in ("from", "to"):
            dates[key] = day(raw[key]) if raw[key] else None
            if raw[key] and dates[key] is None:
                errors[key] = date_message()
        if dates["from"] and dates["to"] and dates["from"] > dates["to"]:
            errors["to"] = _("The end date is before the start date.")
            dates["to"] = None
        return cls(
            q="" if "q" in errors else raw["q"][:200],
            category=record_id(raw["category"]),
            status=status,
            date_from=dates["from"],
            date_to=dates["to"],
            location="" if "location" in errors else raw["location"][:100],
            page=page_number(params.get("page"), last=MAX_PAGE),
            raw=raw,
            errors=errors,
        )

    @property
    def number(self) -> str | None:
        """The complaint number the search names ("adu 2026 27" is ADU-2026-000027), or None."""
        numbers = self.numbers
        return numbers[0] if numbers else None

    @property
    def numbers(self) -> list[str]:
        """The forms of the typed number to look up: padded to six digits as the app numbers
        complaints, and the digits as typed (numbers imported with another padding)."""
        match = NUMBER_RE.match(self.q)
        if match is None:
            return []
        prefixed_year, bare_year, serial = match.groups()
        year = prefixed_year or bare_year
        return list(dict.fromkeys([f"ADU-{year}-{int(serial):06d}", f"ADU-{year}-{serial}"]))

    @property
    def active(self) -> bool:
        return bool(
            self.q
            or self.category
            or self.status
            or self.raw.get("from")
            or self.raw.get("to")
            or self.location
        )

    def query_string(self, **changes: Any) -> str:
        """The URL query for these filters (what the visitor typed), with `changes`."""
        values: dict[str, Any] = {
            "q": self.q,
            "category": self.category or "",
            "status": self.status,
            "from": self.raw.get("from", ""),
            "to": self.raw.get("to", ""),
            "location": self.location,
            "page": self.page,
        }
        values.update(changes)
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})
