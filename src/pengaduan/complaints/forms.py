"""Reading what a citizen typed into the complaint forms: values kept as typed, an error per
field, and the clean values for the services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pengaduan.errors import Checked
from pengaduan.i18n import _
from pengaduan.web.values import INTEGER_MAX

URGENCIES = ("low", "normal", "high")
TITLE_MIN, TITLE_MAX = 5, 200
BODY_MIN, BODY_MAX = 10, 5000
LOCATION_MAX = 300
MESSAGE_MAX = 2000
COMMENT_MAX = 1000
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
TEXT_FIELDS = (
    "title",
    "description",
    "category",
    "location_text",
    "latitude",
    "longitude",
    "urgency",
    "anonymous",
    "private",
)


@dataclass
class ComplaintFields:
    """The complaint's own fields (new and edit forms)."""

    title: str
    body: str
    category_id: int
    location_text: str
    latitude: float | None
    longitude: float | None
    urgency: str
    is_anonymous: bool
    is_public: bool
    # What brought it (complaints.intake.CHANNELS) and whether its category was suggested
    # rather than chosen: set by the channels, never by a form.
    channel: str = "web"
    category_suggested: bool = False
    # Who filed it on the reporter's behalf (an API key's name), in its audit entry.
    via: str = ""


def first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _coordinate(raw: str, low: float, high: float) -> float | None:
    raw = raw.strip().replace(",", ".")
    if not raw:
        return None
    try:
        number = float(raw)
    except ValueError:
        raise ValueError from None
    if not (low <= number <= high) or number != number:  # NaN is not a place
        raise ValueError
    return round(number, 6)


def parse_complaint(
    form: dict[str, Any], category_ids: set[int] | None
) -> Checked[ComplaintFields]:
    """Check the complaint fields; every typed value is kept for showing the form again, and
    `cleaned` holds the fields when all are right. `category_ids`: the categories one may
    choose (None: any, checked later)."""
    values = {name: first(form.get(name, "")) for name in TEXT_FIELDS}
    values["urgency"] = values["urgency"] or "normal"
    checked: Checked[ComplaintFields] = Checked(values=values)

    title = " ".join(values["title"].split())
    if len(title) < TITLE_MIN:
        checked.error(
            "title", _("Give a short title of at least %(min)d characters.", min=TITLE_MIN)
        )
    elif len(title) > TITLE_MAX:
        checked.error(
            "title", _("The title is too long (at most %(max)d characters).", max=TITLE_MAX)
        )

    body = values["description"].strip().replace("\r\n", "\n")
    if len(body) < BODY_MIN:
        checked.error(
            "description",
            _("Describe the problem in at least %(min)d characters.", min=BODY_MIN),
        )
    elif len(body) > BODY_MAX:
        checked.error(
            "description",
            _("The description is too long (at most %(max)d characters).", max=BODY_MAX),
        )

    category_id = int(values["category"]) if values["category"].isdigit() else 0
    # Beyond the id column's range it names no category (and must not reach a query).
    if not 0 < category_id <= INTEGER_MAX or (
        category_ids is not None and category_id not in category_ids
    ):
        checked.error("category", _("Choose a category."))

    location = " ".join(values["location_text"].split())
    if len(location) > LOCATION_MAX:
        checked.error(
            "location_text",
            _("The location is too long (at most %(max)d characters).", max=LOCATION_MAX),
        )

    latitude = longitude = None
    try:
        latitude = _coordinate(values["latitude"], -90, 90)
    except ValueError:
        checked.error("latitude", _("Latitude is a number between -90 and 90, e.g. -6.914744."))
    try:
        longitude = _coordinate(values["longitude"], -180, 180)
    except ValueError:
        checked.error(
            "longitude", _("Longitude is a number between -180 and 180, e.g. 107.609810.")
        )
    if "latitude" not in checked.errors and "longitude" not in checked.errors:
        if (latitude is None) != (longitude is None):
            name = "longitude" if latitude is not None else "latitude"
            checked.error(name, _("Give both latitude and longitude, or neither."))

    if values["urgency"] not in URGENCIES:
        checked.error("urgency", _("Choose how urgent it is."))

    if checked.ok:
        checked.cleaned = ComplaintFields(
            title=title,
            body=body,
            category_id=category_id,
            location_text=location,
            latitude=latitude,
            longitude=longitude,
            urgency=values["urgency"],
            is_anonymous=bool(values["anonymous"]),
            is_public=not values["private"],
        )
    return checked


def parse_message(raw: str) -> tuple[str, str | None]:
    """A message to the officer as it is stored, and what is wrong with it (or None)."""
    body = raw.strip().replace("\r\n", "\n")
    if not body:
        return body, _("Write your message.")
    if len(body) > MESSAGE_MAX:
        return body, _("The message is too long (at most %(max)d characters).", max=MESSAGE_MAX)
    return body, None


def parse_rating(raw_score: str, raw_comment: str) -> Checked[tuple[int, str]]:
    """A rating: the score 1-5 and a comment (may be empty); `cleaned` is (score, comment)."""
    score, comment = raw_score.strip(), raw_comment.strip()
    checked: Checked[tuple[int, str]] = Checked(values={"score": score, "comment": raw_comment})
    if score not in ("1", "2", "3", "4", "5"):
        checked.error("score", _("Choose from 1 (very bad) to 5 (very good)."))
    if len(comment) > COMMENT_MAX:
        checked.error(
            "comment", _("The comment is too long (at most %(max)d characters).", max=COMMENT_MAX)
        )
    if checked.ok:
        checked.cleaned = (int(score), comment)
    return checked


def values_of(complaint: dict[str, Any]) -> dict[str, str]:
    """The edit form's values from a stored complaint."""

    def coordinate(value: float | None) -> str:
        return "" if value is None else f"{value:.6f}"

    return {
        "title": complaint["title"],
        "description": complaint["body"],
        "category": str(complaint["category"]),
        "location_text": complaint["location_text"] or "",
        "latitude": coordinate(complaint["latitude"]),
        "longitude": coordinate(complaint["longitude"]),
        "urgency": complaint["citizen_urgency"],
        "anonymous": "1" if complaint["is_anonymous"] else "",
        "private": "" if complaint["is_public"] else "1",
    }


def idempotency_key(raw: Any) -> str | None:
    value = first(raw).strip()
    return value if KEY_PATTERN.match(value) else None
