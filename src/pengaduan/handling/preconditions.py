"""What every staff action checks first, inside its transaction: the complaint locked and the
actor's to handle, still open, and the text it writes neither empty nor too long."""

from __future__ import annotations

from typing import Any

from pengaduan import db
from pengaduan.complaints import lifecycle, statuses
from pengaduan.complaints.lifecycle import Actor
from pengaduan.errors import INVALID, NOT_FOUND, Refused
from pengaduan.i18n import _

MAX_TEXT = lifecycle.MAX_TEXT


def not_found() -> Refused:
    return Refused(_("This complaint does not exist."), NOT_FOUND)


async def lock(complaint_id: int, actor: Actor) -> dict[str, Any]:
    """The complaint row locked for this transaction, if the actor handles it (else refused
    as not found), with the names of its officer and unit."""
    row = await db.fetchrow(
        "SELECT id, number, status, reporter, unit, officer, title, first_response_at, updated_at"
        " FROM complaints WHERE id = $1 FOR UPDATE",
        complaint_id,
    )
    if row is None:
        raise not_found()
    complaint = dict(row)
    # The names in a statement of their own, after the lock: under READ COMMITTED it sees what
    # committed while this one waited. Joined into the locking statement, the other tables keep
    # their rows from before the wait: the winner of a concurrent claim came back nameless,
    # and a complaint forwarded meanwhile would not have come back at all.
    names = await db.fetchrow(
        "SELECT (SELECT full_name FROM users WHERE id = $1) AS officer_name,"
        " (SELECT name FROM units WHERE id = $2) AS unit_name",
        complaint["officer"],
        complaint["unit"],
    )
    complaint.update(names)
    if lifecycle.STAFF not in lifecycle.capacities(actor, complaint):
        # Officers of other units do not learn that it exists.
        raise not_found()
    return complaint


def not_now(status: str) -> Refused:
    """Refused because the complaint is in this status."""
    return Refused(
        _("This cannot be done while the complaint is %(status)s.", status=statuses.label(status))
    )


def require_open(complaint: dict[str, Any]) -> None:
    if not statuses.is_open(complaint["status"]):
        raise not_now(complaint["status"])


def checked_text(text: str, field: str, empty_message: str) -> str:
    """The text stripped, or refused beside `field` when it is empty or too long."""
    text = text.strip()
    if not text:
        raise Refused(empty_message, INVALID, field=field)
    if len(text) > MAX_TEXT:
        raise Refused(
            _("The text is too long (at most %(max)d characters).", max=MAX_TEXT),
            INVALID,
            field=field,
        )
    return text
