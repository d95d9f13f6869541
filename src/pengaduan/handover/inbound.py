"""An outside agency's update on a complaint handed over to it (its signature checked by
handover.routes): a new status and/or a public message, taken through the lifecycle as an
actor that names the agency, once per update id.

    {"update_id": "...", "number": "ADU-2026-000123",
     "status": "in_progress" | "resolved" | "rejected" (optional), "message": "..."}

resolved is the lifecycle's resolve (the message is the official response), rejected its
decline (the message is the reason); in_progress confirms the complaint is being handled (it
is, since the hand-over), with or without a message. A message alone is a public reply.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle, statuses
from pengaduan.complaints.lifecycle import MAX_TEXT, Actor
from pengaduan.complaints.tables import Complaint, Message
from pengaduan.errors import INVALID, NOT_FOUND, Refused
from pengaduan.events import publish
from pengaduan.handling.messages import REPLY_STATUSES, tell_each
from pengaduan.i18n import _
from pengaduan.notifications import services as notifications
from pengaduan.settings import Settings

UPDATE_ID_MAX = 100
# The agency's word → the lifecycle's action (None: no change of status).
ACTIONS = {"resolved": "resolve", "rejected": "decline", "in_progress": None}

_CLAIM = """
INSERT INTO handover_updates (agency, update_id, complaint, answer, received_at)
VALUES ($1, $2, $3, NULL, now())
ON CONFLICT (agency, update_id) DO NOTHING
RETURNING id
"""


def _invalid(message: str, field: str) -> Refused:
    return Refused(message, INVALID, field=field)


def read_update(data: Any) -> dict[str, Any]:
    """The update's fields checked; Refused (422, naming the field) otherwise."""
    if not isinstance(data, dict):
        raise _invalid(_("The update must be a JSON object."), "body")
    update_id, number = data.get("update_id"), data.get("number")
    status, message = data.get("status"), data.get("message", "")
    if not isinstance(update_id, str) or not 0 < len(update_id) <= UPDATE_ID_MAX:
        raise _invalid(
            _("update_id must be text of 1 to %(max)d characters.", max=UPDATE_ID_MAX),
            "update_id",
        )
    if not isinstance(number, str) or not 0 < len(number) <= 20:
        raise _invalid(_("number must be the complaint's number."), "number")
    if status is not None and status not in ACTIONS:
        raise _invalid(_("status must be one of %(listed)s.", listed=", ".join(ACTIONS)), "status")
    if message is None:
        message = ""
    if not isinstance(message, str) or len(message) > MAX_TEXT:
        raise _invalid(
            _("message must be text of at most %(max)d characters.", max=MAX_TEXT), "message"
        )
    if status is None and not message.strip():
        raise _invalid(_("Send a status, a message or both."), "status")
    return {
        "update_id": update_id,
        "number": number.strip().upper(),
        "status": status,
        "message": message.strip(),
    }


async def _public_message(
    complaint: dict[str, Any], actor: Actor, text: str, settings: Settings
) -> None:
    """The agency's public reply (inside the transaction), told to the reporter."""
    if complaint["status"] not in REPLY_STATUSES:
        raise Refused(
            _(
                "This cannot be done while the complaint is %(status)s.",
                status=statuses.label(complaint["status"]),
            )
        )
    now = datetime.now(UTC)
    await Message.insert(
        Message(
            complaint=complaint["id"],
            author=None,
            outside_agency=actor.agency_id,
            body=text,
            visibility="public",
            is_official_response=False,
            created_at=now,
        )
    )
    await Complaint.update({Complaint.updated_at: now}).where(Complaint.id == complaint["id"])
    await audit.record_on_complaint(
        complaint=complaint,
        actor_id=None,
        action="complaint.reply",
        data={"outside_agency": actor.agency_name},
        ip=actor.ip,
    )
    await tell_each(
        [complaint["reporter"]],
        "reply",
        complaint,
        params={"number": complaint["number"], "text": text[:500]},
        link=notifications.complaint_link(complaint["id"], staff=False),
        settings=settings,
    )
    await publish(
        [
            f"complaint_{complaint['id']}",
            f"user_{complaint['reporter']}",
            f"queue_{complaint['unit']}",
        ],
        {"event": "message", "complaint": complaint["id"]},
    )


async def apply_update(
    agency: dict[str, Any], update: dict[str, Any], settings: Settings, *, ip: str = ""
) -> tuple[dict[str, Any], bool]:
    """Apply a checked update (`read_update`) from `agency` (id, name); returns the answer
    and whether it is a repeat (an update id seen before: the first answer, nothing done).
    Refused: not found (no such complaint handed to this agency), conflict (the lifecycle
    does not allow it now), invalid (a text the action needs is missing)."""
    actor = Actor.outside(agency["id"], agency["name"], ip)
    async with db.ENGINE.transaction():
        row = await db.fetchrow(
            "SELECT id FROM complaints WHERE number = $1 AND handed_to = $2",
            update["number"],
            agency["id"],
        )
        if row is None:
            raise Refused(
                _("No complaint with this number is handed over to this agency."), NOT_FOUND
            )
        # Waits for a concurrent copy of the same update; a refused one left no row behind.
        if await db.fetchval(_CLAIM, agency["id"], update["update_id"], row["id"]) is None:
            earlier = await db.fetchval(
                "SELECT answer FROM handover_updates WHERE agency = $1 AND update_id = $2",
                agency["id"],
                update["update_id"],
            )
            return _json(earlier), True
        complaint = await lifecycle.load_for_update(row["id"])
        action = ACTIONS.get(update["status"]) if update["status"] else None
        if action is not None:
            complaint = await lifecycle.apply(
                row["id"], action, actor, text=update["message"], settings=settings
            )
        else:
            if update["status"] == "in_progress" and complaint["status"] != "in_progress":
                raise Refused(
                    _(
                        "This cannot be done while the complaint is %(status)s.",
                        status=statuses.label(complaint["status"]),
                    )
                )
            if update["message"]:
                await _public_message(complaint, actor, update["message"], settings)
        answer = {
            "ok": True,
            "update_id": update["update_id"],
            "number": complaint["number"],
            "status": complaint["status"],
        }
        await db.execute(
            "UPDATE handover_updates SET answer = $3::jsonb WHERE agency = $1 AND update_id = $2",
            agency["id"],
            update["update_id"],
            _dumps(answer),
        )
        return answer, False


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value)


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})
