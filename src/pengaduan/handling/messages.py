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
from pengaduan.settings import Settings

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


async def tell_each(
    user_ids: list[int],
    kind: str,
    complaint: dict[str, Any],
    params: dict[str, Any],
    link: str,
    settings: Settings,
) -> None:
    """Notify each of the users about the complaint, in their own language (inside the
    caller's transaction: the outbox rows commit with the change)."""
    for user in await notifications.recipients(user_ids):
        with notifications.in_language(user["language"]):
            await notifications.tell(
                user,
                kind=kind,
                complaint_id=complaint["id"],
                number=complaint["number"],
                params=params,
                link=link,
                settings=settings,
            )


async def _write(
    complaint_id: int,
    actor: Actor,
    text: str,
    *,
    visibility: str,
    field: str,
    empty: str,
    idempotency_key: str | None,
    seen: str | None,
    allowed: tuple[str, ...] | None = None,
) -> tuple[dict[str, Any], tuple[str, datetime] | None]:
    """Inside the transaction: the complaint locked, and the message written with its audit
    row (its text and when); None when this form was sent before (then nothing more is
    done). The
    complaint must not have changed since the form was filled in, the text must fit (beside
    `field`) and its status be one of `allowed`, if given."""
    complaint = await lock(complaint_id, actor)
    if await repeats.earlier_message(idempotency_key, actor.user_id, complaint_id):
        return complaint, None
    await lifecycle.ensure_unchanged(complaint, seen)
    body = checked_text(text, field, empty)
    if allowed is not None and complaint["status"] not in allowed:
        raise not_now(complaint["status"])
    now = datetime.now(UTC)
    await write_message(
        complaint_id, actor, body, visibility=visibility, at=now, idempotency_key=idempotency_key
    )
    await audit.record(
        actor_id=actor.user_id,
        action="complaint.reply" if visibility == "public" else "complaint.note",
        target_type="complaint",
        target_id=complaint_id,
        ip=actor.ip,
    )
    return complaint, (body, now)


async def reply(
    complaint_id: int,
    actor: Actor,
    text: str,
    *,
    idempotency_key: str | None = None,
    seen: str | None = None,
    settings: Settings,
) -> dict[str, Any]:
    """A public message to the reporter, who is told in their own language.

    `seen` (here and below): the version the officer acted on (lifecycle.ensure_unchanged)."""
    async with ENGINE.transaction():
        complaint, written = await _write(
            complaint_id,
            actor,
            text,
            visibility="public",
            field="body",
            empty=_("Write the reply."),
            idempotency_key=idempotency_key,
            seen=seen,
            allowed=REPLY_STATUSES,
        )
        if written is None:
            return complaint
        body, now = written
        values: dict[Any, Any] = {Complaint.updated_at: now}
        if complaint["first_response_at"] is None:
            values[Complaint.first_response_at] = now
        await Complaint.update(values).where(Complaint.id == complaint_id)
        await tell_each(
            [complaint["reporter"]],
            "reply",
            complaint,
            params={"number": complaint["number"], "text": body[:500]},
            link=notifications.complaint_link(complaint_id, staff=False),
            settings=settings,
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
        complaint, written = await _write(
            complaint_id,
            actor,
            text,
            visibility="internal",
            field="note",
            empty=_("Write the note."),
            idempotency_key=idempotency_key,
            seen=seen,
        )
        if written is None:
            return complaint
        # Only on the staff's queue channel: the citizen's complaint channel hears nothing.
        await publish([f"queue_{complaint['unit']}"], {"event": "note", "complaint": complaint_id})
        return complaint
