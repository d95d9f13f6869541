"""Tracking a complaint without an account: by its number and tracking code, or for its own
reporter by the number alone. Status, dates and the public timeline; never personal data."""

from __future__ import annotations

import secrets
from typing import Any

from pengaduan import db
from pengaduan.complaints.reading import timeline_json, timeline_of


def normalise_number(raw: str) -> str:
    return "".join(raw.split()).upper()


def normalise_code(raw: str) -> str:
    return "".join(raw.split()).upper()


async def track_own(number: str, reporter_id: int) -> dict[str, Any] | None:
    """The tracking view of the reporter's own complaint by its number (the link in an SMS
    needs no code for them); None when it is not theirs."""
    rows = await db.fetch(
        "SELECT tracking_code FROM complaints WHERE number = $1 AND reporter = $2",
        normalise_number(number)[:20],
        reporter_id,
    )
    if not rows:
        return None
    return await track(number, rows[0]["tracking_code"])


async def track(number: str, code: str) -> dict[str, Any] | None:
    """What anybody with the number AND the tracking code may see: the status, dates and the
    public timeline, never personal data (no names, no location, no evidence); of a private
    complaint nothing of its content. None for any wrong pair, whichever part is wrong."""
    number, code = normalise_number(number), normalise_code(code)
    # One statement, read with other requests' (see db.fetch_together): a link in an SMS opens
    # this page with the number and code, for anybody who has them. The timeline comes with
    # the complaint and is dropped when the code is wrong.
    rows = await db.fetch_together(_TRACKED, number[:20])
    # Compare in constant time even when the number is unknown.
    expected = rows[0]["tracking_code"] if rows else "-" * 8
    if not secrets.compare_digest(expected.encode(), code.encode()) or not rows:
        return None
    row = rows[0]
    view = {key: row[key] for key in _SHOWN}
    if row["is_public"]:
        view.update(
            title=row["title"],
            body=row["body"],
            category_name=row["category_name"],
            category_icon=row["category_icon"],
        )
    timeline = timeline_of(row["timeline_json"], row["reporter"], texts=row["is_public"])
    for entry in timeline:
        entry.pop("author_name", None)  # no names on tracking, not even officers'
    view["timeline"] = timeline
    return view


_TRACKED = (
    "SELECT c.id, c.number, c.tracking_code, c.reporter, c.status, c.is_public, c.title,"
    " c.body, c.submitted_at, c.due_at, c.updated_at, c.resolved_at, c.closed_at,"
    " cat.name AS category_name, cat.icon AS category_icon, x.name AS handed_to_name"
    # Public messages only of a public complaint (reading.public_timeline's texts).
    + timeline_json("c.is_public")
    + " FROM complaints c JOIN categories cat ON cat.id = c.category"
    " LEFT JOIN outside_agencies x ON x.id = c.handed_to WHERE c.number = $1"
)
# What tracking shows of every complaint; of a public one also its text and category.
_SHOWN = (
    "number",
    "handed_to_name",  # an outside agency's name is public: "handled by <agency>"
    "status",
    "is_public",
    "submitted_at",
    "due_at",
    "updated_at",
    "resolved_at",
    "closed_at",
)
