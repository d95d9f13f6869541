"""Telling people: in-app notifications, and mail through the outbox, in each recipient's language."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.db import ENGINE
from pengaduan.events import publish
from pengaduan.notifications import texts
from pengaduan.notifications.outbox import enqueue_notification_email, enqueue_sms
from pengaduan.notifications.tables import Notification, NotificationPreference

# Callers and pages know these as notifications.services.<name>; texts owns them.
from pengaduan.notifications.texts import (  # noqa: F401
    CITIZEN_KINDS,
    STAFF_KINDS,
    complaint_link,
    in_language,
    kind_label,
    sms_link,
    sms_text,
)
from pengaduan.settings import Settings

KINDS = CITIZEN_KINDS + STAFF_KINDS
CHANNELS = ("email", "sms")
# Without a saved choice: every kind by email (to a confirmed address), SMS only when asked
# for (it costs money, and a phone number given for contact is no consent to messages).
DEFAULT_EMAIL_KINDS = frozenset(KINDS)
DEFAULT_SMS_KINDS: frozenset[str] = frozenset()
# A reporter without an account (accounts.contacts) has no preferences page: with a phone
# they hear about their complaint by SMS unless they send BERHENTI (sms_intake); the intake's
# own answer is their "submitted".
CONTACT_SMS_KINDS = frozenset(CITIZEN_KINDS) - {"submitted"}


def kinds_for(role: str) -> tuple[str, ...]:
    """The kinds a user of `role` can get (an admin can be assigned nothing, but is told
    about overdue complaints)."""
    if role == "citizen":
        return CITIZEN_KINDS
    if role == "admin":
        return ("overdue",)
    return STAFF_KINDS


# What `recipients` gives of each user (`u`: users, `p`: their notification_preferences).
RECIPIENT_COLUMNS = """u.id, u.full_name, u.email, u.email_confirmed_at, u.language, u.role,
       u.phone_encrypted IS NOT NULL AS has_phone, p.email_kinds, p.sms_kinds,
       u.contact_key IS NOT NULL AS contact_only"""
RECIPIENTS = f"""
SELECT {RECIPIENT_COLUMNS}
FROM users u LEFT JOIN notification_preferences p ON p."user" = u.id
WHERE u.id = ANY($1::int[]) AND u.is_active
"""


async def recipients(user_ids: list[int]) -> list[dict[str, Any]]:
    """Active users with what is needed to reach them (language, confirmed email, whether
    they have a phone number) and their choices of channel per kind."""
    if not user_ids:
        return []
    return [dict(row) for row in await db.fetch(RECIPIENTS, sorted({int(i) for i in user_ids}))]


def wants(user: dict[str, Any], channel: str, kind: str) -> bool:
    """Whether the user chose (or by default gets) `kind` on `channel`."""
    chosen = user.get(f"{channel}_kinds")
    if chosen is None:
        if channel == "email":
            chosen = DEFAULT_EMAIL_KINDS
        else:
            chosen = CONTACT_SMS_KINDS if user.get("contact_only") else DEFAULT_SMS_KINDS
    return kind in chosen


async def notify(
    user: dict[str, Any],
    *,
    kind: str,
    params: dict[str, Any],
    complaint_id: int | None = None,
    number: str | None = None,
    settings: Settings,
) -> None:
    """One in-app notification of `kind` with its `params` (codes and what people wrote, never
    translated words: notifications.texts says them in the reader's language); joins the
    transaction. Call inside `in_language(user["language"])`: the text kept for readers that
    know no parameters is written in it.

    With the complaint's `number`, also an SMS through the outbox, when the user chose SMS
    for this kind, has a phone number, and a gateway is configured.
    """
    title, body = texts.title_and_body(kind, params)
    await Notification.insert(
        Notification(
            user=user["id"],
            kind=kind,
            title=title[:200],
            body=body,
            params=params,
            complaint=complaint_id,
            is_read=False,
        )
    )
    # The bell listens on the user's channel.
    await publish([f"user_{user['id']}"], {"event": "notification"})
    sms = sms_for(user, kind, number, complaint_id, settings=settings)
    if sms is not None:
        text, render = sms
        await enqueue_sms(user_id=user["id"], text=text, kind=kind, render=render)


def sms_for(
    user: dict[str, Any],
    kind: str,
    number: str | None,
    complaint_id: int | None,
    *,
    settings: Settings,
) -> tuple[str, dict[str, Any]] | None:
    """The SMS `notify` queues (in the current language) and what writes it again when sent,
    or None: only with the complaint's number, to a user with a phone who chose SMS for this
    kind, when a gateway is configured."""
    if not (number and user.get("has_phone") and wants(user, "sms", kind)):
        return None
    if not settings.sms_enabled:
        return None
    # Written again when sent, in the language the recipient uses then.
    render = {"kind": kind, "number": number, "complaint": complaint_id}
    return sms_text(kind, number, complaint_id, base_url=settings.base_url), render


async def mail(
    user: dict[str, Any],
    template: str,
    context: dict[str, Any],
    kind: str,
    *,
    topic: str | None = None,
    notification: dict[str, Any] | None = None,
    settings: Settings,
) -> None:
    """Mail through the outbox, only to a confirmed address (no other mail may go to one),
    and for a notification (`topic`: its kind) only if the user wants that kind by email.

    The context holds codes (a status), not words: the mail is written again when it is sent,
    in the language the recipient uses then (notifications.texts), as are the title and text
    of a `notification` (its kind and params) for the "notification" template. A `link` in
    the context that is a path becomes an absolute address on this site.
    """
    found = mail_for(
        user, template, context, topic=topic, notification=notification, settings=settings
    )
    if found is not None:
        subject, spec = found
        await enqueue_notification_email(to=user["email"], subject=subject, kind=kind, render=spec)


def mail_for(
    user: dict[str, Any],
    template: str,
    context: dict[str, Any],
    *,
    topic: str | None = None,
    notification: dict[str, Any] | None = None,
    settings: Settings,
) -> tuple[str, dict[str, Any]] | None:
    """The subject (in the user's language) and the spec of the mail `mail` queues for the
    user, which writes it when sent; None when none may or should go (see `mail`)."""
    if not user.get("email") or user.get("email_confirmed_at") is None:
        return None
    if topic is not None and not wants(user, "email", topic):
        return None
    context = dict(context)
    if user.get("contact_only") and context.get("number") and context.get("link"):
        # A reporter without an account (mail, WhatsApp) cannot log in to the complaint's
        # page: their link is the tracking page, with the code when the mail carries it.
        context["link"] = texts.tracking_link(
            context["number"], context.get("tracking_code", ""), base_url=""
        ).removesuffix("&kode=")
    if str(context.get("link", "")).startswith("/"):
        context["link"] = settings.base_url + context["link"]
    number = context.get("number") or ((notification or {}).get("params") or {}).get("number")
    if number and topic is not None and topic not in STAFF_KINDS and settings.mail_intake_addresses:
        # Mail to the reporter about their complaint: a reply to it becomes a message on it
        # (the outbox sets the complaint's reply address; the footer invites the reply).
        context["reply_number"] = number
    spec = texts.mail_spec(
        template,
        context,
        user_id=user["id"],
        notification=notification,
        language=user["language"],
        full_name=user["full_name"],
    )
    # Only the subject now (the outbox lists show it); the bodies are written when the mail
    # is sent, in the language the recipient uses then (outbox.email_delivery): rendering
    # them here cost every submission and status change two templates for nothing.
    subject = texts.notification_mail_subject(
        spec, language=user["language"], full_name=user["full_name"]
    )
    return subject, spec


async def tell(
    user: dict[str, Any],
    *,
    kind: str,
    params: dict[str, Any],
    complaint_id: int,
    number: str,
    link: str,
    settings: Settings,
) -> None:
    """In-app, SMS and a plain notification mail (subject: the title) for `kind`, as the user
    chose; call inside `in_language(user["language"])` and the changing transaction."""
    await notify(
        user,
        kind=kind,
        params=params,
        complaint_id=complaint_id,
        number=number,
        settings=settings,
    )
    await mail(
        user,
        "notification",
        {"link": link, "settings_link": settings.base_url + "/notifikasi/pengaturan"},
        kind=f"notification_{kind}",
        topic=kind,
        notification={"kind": kind, "params": params},
        settings=settings,
    )


async def unread_count(user_id: int) -> int:
    return await Notification.count().where(
        (Notification.user == user_id) & Notification.is_read.eq(False)
    )


# --- the centre -------------------------------------------------------------------------------

PAGE_SIZE = 30


async def page_of(user_id: int, page: int = 1) -> tuple[list[dict[str, Any]], bool]:
    """The user's notifications, newest first, one page; and whether there are more."""
    page = max(page, 1)
    # Every visit to the centre: read with other requests' (see db.fetch_together).
    # In the reader's language of this request (notifications.texts).
    rows = [
        texts.for_reader(row)
        for row in await db.fetch_together(
            "SELECT id, kind, title, body, params, complaint, is_read, created_at"
            " FROM notifications"
            ' WHERE "user" = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3',
            user_id,
            PAGE_SIZE + 1,
            (page - 1) * PAGE_SIZE,
        )
    ]
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def own(user_id: int, notification_id: int) -> dict[str, Any] | None:
    """The user's own notification, unchanged; None when it is not theirs (or not there)."""
    if not 0 < notification_id < 2**31:  # beyond the column's range: not there
        return None
    return (
        await Notification.select(Notification.id, Notification.complaint, Notification.is_read)
        .where((Notification.id == notification_id) & (Notification.user == user_id))
        .first()
    )


async def mark_read(user_id: int, notification_id: int) -> dict[str, Any] | None:
    """Mark the user's own notification read; None when it is not theirs (or not there)."""
    if not 0 < notification_id < 2**31:  # beyond the column's range: not there
        return None
    row = await db.fetchrow(
        'UPDATE notifications SET is_read = true WHERE id = $1 AND "user" = $2'
        " RETURNING id, kind, title, body, params, complaint, is_read, created_at",
        notification_id,
        user_id,
    )
    return texts.for_reader(row) if row else None


async def mark_all_read(user_id: int) -> int:
    rows = await db.fetch(
        'UPDATE notifications SET is_read = true WHERE "user" = $1 AND NOT is_read RETURNING id',
        user_id,
    )
    return len(rows)


def opening_link(role: str, complaint_id: int | None) -> str:
    """Where opening a notification goes: the complaint as this user sees it."""
    if complaint_id is None:
        return "/notifikasi"
    return complaint_link(complaint_id, staff=role in ("officer", "admin"))


# --- preferences ------------------------------------------------------------------------------


async def preferences(user_id: int) -> dict[str, frozenset[str]]:
    row = (
        await NotificationPreference.select(
            NotificationPreference.email_kinds, NotificationPreference.sms_kinds
        )
        .where(NotificationPreference.user == user_id)
        .first()
    )
    if row is None:
        return {"email": DEFAULT_EMAIL_KINDS, "sms": DEFAULT_SMS_KINDS}
    return {"email": frozenset(row["email_kinds"]), "sms": frozenset(row["sms_kinds"])}


async def save_preferences(
    user_id: int, role: str, *, email: set[str], sms_kinds: set[str]
) -> None:
    """Keep the user's choices for the kinds of their role; unknown kinds are ignored, and
    choices for kinds of another role (kept from before a role change) stay as they were."""
    mine = set(kinds_for(role))
    current = await preferences(user_id)
    chosen_email = sorted((set(current["email"]) - mine) | (email & mine))
    chosen_sms = sorted((set(current["sms"]) - mine) | (sms_kinds & mine))
    async with ENGINE.transaction():
        await db.execute(
            'INSERT INTO notification_preferences ("user", email_kinds, sms_kinds, updated_at)'
            " VALUES ($1, $2, $3, $4)"
            ' ON CONFLICT ("user") DO UPDATE SET email_kinds = excluded.email_kinds,'
            " sms_kinds = excluded.sms_kinds, updated_at = excluded.updated_at",
            user_id,
            chosen_email,
            chosen_sms,
            datetime.now(UTC),
        )
