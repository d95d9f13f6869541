"""The outbox: messages written in the caller's transaction (here), delivered later by a
worker with retries (`outbox.worker`, by `outbox.email_delivery`, `outbox.sms_delivery` and
`outbox.handover_delivery`;
attempts recorded by `outbox.attempts`, a dead message revived by `outbox.dead`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.db import ENGINE
from pengaduan.notifications.mail import RenderedMail
from pengaduan.notifications.tables import Outbox

NOTIFY_CHANNEL = "outbox"
SMS_RECIPIENT_PREFIX = "user:"
# PostgreSQL delivers a NOTIFY at commit (and drops it on rollback), so workers wake exactly
# when the row becomes visible to them.
WAKE_WORKERS = f"NOTIFY {NOTIFY_CHANNEL}"


def email_payload(
    mail: RenderedMail, kind: str, render: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An email row's payload (what the worker sends; with `render`, what writes it again)."""
    payload: dict[str, Any] = {
        "subject": mail.subject,
        "text": mail.text,
        "html": mail.html,
        "kind": kind,
    }
    if render:
        payload["render"] = render
    return payload


def notification_email_payload(subject: str, kind: str, render: dict[str, Any]) -> dict[str, Any]:
    """A notification mail's payload: its subject (for the lists) and the spec that writes it
    when sent (notifications.texts.mail_spec), in the language its recipient uses then."""
    return {"subject": subject, "kind": kind, "render": render}


def sms_recipient(user_id: int) -> str:
    return f"{SMS_RECIPIENT_PREFIX}{user_id}"


def sms_payload(text: str, kind: str, render: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"text": text, "kind": kind, **({"render": render} if render else {})}


async def _enqueue(channel: str, recipient: str, payload: dict[str, Any]) -> None:
    # Joins the caller's transaction if there is one, else makes the insert and the
    # NOTIFY one unit of their own.
    async with ENGINE.transaction():
        now = datetime.now(UTC)
        await Outbox.insert(
            Outbox(
                channel=channel,
                recipient=recipient,
                payload=payload,
                attempts=0,
                next_attempt_at=now,
                last_error="",
                created_at=now,
            )
        )
        await db.execute(WAKE_WORKERS)


async def enqueue_email(
    *, to: str, mail: RenderedMail, kind: str, render: dict[str, Any] | None = None
) -> None:
    """Queue `mail` for `to`. Inside the caller's transaction it is sent only if that
    transaction commits; `kind` (e.g. "confirm_email") is kept for the record. With `render`
    (notifications.texts.mail_spec) the mail is written again when sent, in the language
    its recipient uses then."""
    await _enqueue("email", to, email_payload(mail, kind, render))


async def enqueue_notification_email(
    *, to: str, subject: str, kind: str, render: dict[str, Any]
) -> None:
    """Queue a notification mail for `to`, written when it is sent (see
    `notification_email_payload`); joins the caller's transaction as `enqueue_email` does."""
    await _enqueue("email", to, notification_email_payload(subject, kind, render))


async def enqueue_sms(
    *, user_id: int, text: str, kind: str, render: dict[str, Any] | None = None
) -> None:
    """Queue an SMS for the user. The recipient is `user:<id>`: the phone number is personal
    data kept encrypted in `users`, and is decrypted only when the message is sent. With
    `render` ({kind, number, complaint}) the text is written again when sent, in the
    language the recipient uses then."""
    await _enqueue("sms", sms_recipient(user_id), sms_payload(text, kind, render))


def handover_recipient(agency_id: int) -> str:
    return f"agency:{agency_id}"


async def enqueue_handover(
    *, agency_id: int, complaint_id: int, note: str, idempotency_key: str
) -> None:
    """Queue the hand-over document of the complaint for the outside agency (built when sent:
    handover.document). `idempotency_key` goes with every attempt, so the agency can drop a
    copy it got before."""
    payload = {
        "kind": "handover",
        "agency": agency_id,
        "complaint": complaint_id,
        "note": note,
        "idempotency_key": idempotency_key,
    }
    await _enqueue("handover", handover_recipient(agency_id), payload)
