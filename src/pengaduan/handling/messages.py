"""What staff write on a complaint: public replies to the reporter and internal notes.

Each runs in one transaction that locks the complaint, writes the message with its audit row
(and for a reply, the reporter's notification) and publishes its events, which PostgreSQL
delivers at commit. A form sent twice writes once (complaints.repeats)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle, repeats
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.statuses import OPEN_STATUSES
from pengaduan.complaints.tables import Complaint, Message
from pengaduan.db import ENGINE
from pengaduan.events import publish
from pengaduan.handling.preconditions import checked_text, lock, not_now
from pengaduan.i18n import _
from pengaduan.notifications import services as notifications

# Public replies are possible until the complaint is finished for good.
REPLY_STATUSES = (*OPEN_STATUSES, "resolved")


async def write_message(
    complaint_id: int,
    actor: Actor,
    body: str,
    *,
    visibility: str,
    at: datetime,
    idempotency_key: str | None = None,
) -> None:
    """One message by the actor (inside the caller's transaction): "public" for the reporter,
    "internal" for staff only."""
    await Message.insert(
        Message(
            complaint=complaint_id,
            author=actor.user_id,
            body=body,
            visibility=visibility,
            is_official_response=False,
            created_at=at,
            idempotency_key=idempotency_key,
        )
    )


async def _locked_unless_repeated(
    complaint_id: int, actor: Actor, idempotency_key: str | None, seen: str | None
) -> tuple[dict[str, Any], bool]:
    """The complaint locked, and whether this form was sent before (then nothing more is
    done); else the check that the complaint did not change since the form was filled in."""
    complaint = await lock(complaint_id, actor)
    if await repeats.earlier_message(idempotency_key, actor.user_id, complaint_id):
        return complaint, True
    await lifecycle.ensure_unchanged(complaint, seen)
    return complaint, False


async def reply(
    complaint_id: int,
    actor: Actor,
    text: str,
    *,
    idempotency_key: str | None = None,
    seen: str | None = None,
) -> dict[str, Any]:
    """A public message to the reporter, who is told in their own language.

    `seen` (here and below): the version the officer acted on (lifecycle.ensure_unchanged)."""
    async with ENGINE.transaction():
        complaint, repeated = await _locked_unless_repeated(
            complaint_id, actor, idempotency_key, seen
        )
        if repeated:
            return complaint
        body = checked_text(text, "body", _("Write the reply."))
        if complaint["status"] not in REPLY_STATUSES:
            raise not_now(complaint["status"])
        now = datetime.now(UTC)
        await write_message(
            complaint_id,
            actor,
            body,
            visibility="public",
            at=now,
            idempotency_key=idempotency_key,
        )
        values: dict[Any, Any] = {Complaint.updated_at: now}
        if complaint["first_response_at"] is None:
            values[Complaint.first_response_at] = now
        await Complaint.update(values).where(Complaint.id == complaint_id)
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.reply",
            target_type="complaint",
            target_id=complaint_id,
            ip=actor.ip,
        )
        for user in await notifications.recipients([complaint["reporter"]]):
            with notifications.in_language(user["language"]):
                await notifications.tell(
                    user,
                    kind="reply",
                    complaint_id=complaint_id,
                    number=complaint["number"],
                    params={"number": complaint["number"], "text": body[:500]},
                    link=f"/pengaduan/{complaint_id}",
                )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "message", "complaint": complaint_id},
        )
        return complaint


async def add_note(
    complaint_id: int,
    actor: Actor,
    text: str,
    *,
    idempotency_key: str | None = None,
    seen: str | None = None,
) -> dict[str, Any]:
    """An internal note: staff only, no notification, nothing the citizen can see."""
    async with ENGINE.transaction():
        complaint, repeated = await _locked_unless_repeated(
            complaint_id, actor, idempotency_key, seen
        )
        if repeated:
            return complaint
        body = checked_text(text, "note", _("Write the note."))
        await write_message(
            complaint_id,
            actor,
            body,
            visibility="internal",
            at=datetime.now(UTC),
            idempotency_key=idempotency_key,
        )
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.note",
            target_type="complaint",
            target_id=complaint_id,
            ip=actor.ip,
        )
        # Only on the staff's queue channel: the citizen's complaint channel hears nothing.
        await publish([f"queue_{complaint['unit']}"], {"event": "note", "complaint": complaint_id})
        return complaint
