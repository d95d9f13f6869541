"""After filing, the reporter and the agency: the reporter's messages to the handling side,
their one rating after resolution (which closes it), and reopening it when not satisfied."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle, repeats, statuses
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.reading import check_reporter, reporters_locked
from pengaduan.complaints.tables import Message, Rating
from pengaduan.db import ENGINE
from pengaduan.errors import CONFLICT, Refused
from pengaduan.events import publish
from pengaduan.i18n import _
from pengaduan.notifications import services as notifications
from pengaduan.settings import Settings


async def post_message(
    complaint_id: int,
    reporter_id: int,
    body: str,
    *,
    ip: str = "",
    idempotency_key: str | None = None,
    settings: Settings,
) -> None:
    """A public message from the reporter; the handling officer (or the unit's officers while
    nobody has it) is told. Refused (a conflict) once the complaint is over. The form's key
    sent again stores nothing more (complaints.repeats)."""
    async with ENGINE.transaction():
        complaint = await reporters_locked(complaint_id, reporter_id)
        if await repeats.earlier_message(idempotency_key, reporter_id, complaint_id):
            return
        if complaint["status"] in statuses.MESSAGES_CLOSED:
            raise Refused(
                _(
                    "No more messages can be sent on this complaint: it is %(status)s.",
                    status=statuses.label(complaint["status"]),
                ),
                CONFLICT,
            )
        await Message.insert(
            Message(
                complaint=complaint_id,
                author=reporter_id,
                body=body,
                visibility="public",
                is_official_response=False,
                created_at=datetime.now(UTC),
                idempotency_key=idempotency_key,
            )
        )
        await _tell_handlers(complaint, body, settings)
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "message", "complaint": complaint_id},
        )


async def _tell_handlers(complaint: dict[str, Any], body: str, settings: Settings) -> None:
    staff_ids = await lifecycle.handling_staff(complaint)
    for user in await notifications.recipients(staff_ids):
        with notifications.in_language(user["language"]):
            await notifications.notify(
                user,
                kind="message",
                complaint_id=complaint["id"],
                params={"number": complaint["number"], "text": body[:500]},
                settings=settings,
            )


async def rate(
    complaint_id: int,
    actor: Actor,
    score: int,
    comment: str,
    *,
    idempotency_key: str | None = None,
    settings: Settings,
) -> None:
    """The reporter's one rating after resolution; a resolved complaint closes with it
    (through the lifecycle). A closed complaint not yet rated can still be rated. The form's
    key sent again is the rating already given, not a refusal."""
    assert actor.user_id is not None
    async with ENGINE.transaction():
        complaint = await reporters_locked(complaint_id, actor.user_id)
        if await repeats.earlier_rating(idempotency_key, complaint_id):
            return
        if complaint["status"] not in ("resolved", "closed"):
            raise Refused(_("A complaint can be rated once it is resolved."), CONFLICT)
        if await Rating.exists().where(Rating.complaint == complaint_id):
            raise Refused(_("You have already rated this complaint."), CONFLICT)
        await Rating.insert(
            Rating(
                complaint=complaint_id,
                score=score,
                comment=comment,
                created_at=datetime.now(UTC),
                idempotency_key=idempotency_key,
            )
        )
        await audit.record_on_complaint(
            complaint=complaint,
            actor_id=actor.user_id,
            action="complaint.rate",
            data={"score": score},
            ip=actor.ip,
        )
        if complaint["status"] == "resolved":
            await lifecycle.apply(complaint_id, "close", actor, settings=settings)
        else:
            await publish(
                [f"complaint_{complaint_id}", "stats"],
                {"event": "rated", "complaint": complaint_id},
            )


async def reopen(complaint_id: int, actor: Actor, reason: str, *, settings: Settings) -> None:
    """Not satisfied: back to in progress within the reopening window
    (`statuses.REOPEN_WINDOW`) of the resolution, with a reason."""
    await check_reporter(complaint_id, actor.user_id)
    await lifecycle.apply(complaint_id, "reopen", actor, text=reason, settings=settings)
