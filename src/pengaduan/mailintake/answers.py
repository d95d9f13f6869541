"""Answering a mail the intake could not take (refused files, a reply from another address,
no text): a mail through the outbox to its sender, in the agency's language, saying why and
where to go instead. A complaint filed by mail is answered by filing itself (its "complaint
received" mail, with the number and the tracking code)."""

from __future__ import annotations

from pengaduan import db
from pengaduan.complaints.filing import Submitted
from pengaduan.mailintake.reading import IncomingMail
from pengaduan.notifications import services as notifications
from pengaduan.notifications.mail import render_mail
from pengaduan.notifications.outbox import enqueue_email
from pengaduan.notifications.texts import sms_link
from pengaduan.settings import Settings

NEW_COMPLAINT_PATH = "/pengaduan/baru"  # complaints:new (no request here to ask url_for)


async def refusal(
    mail: IncomingMail, reason: str, *, number: str | None, settings: Settings
) -> None:
    """Tell the sender of `mail` that it was not taken, and `reason` (already translated);
    `number`: the complaint it was a reply about."""
    rendered = render_mail(
        "mail_intake_refused",
        {
            "subject": mail.subject,
            "reason": reason,
            "number": number or "",
            "link": settings.base_url + NEW_COMPLAINT_PATH,
        },
        settings.default_language,
    )
    await enqueue_email(to=mail.sender, mail=rendered, kind="mail_intake_refused")


async def received_unless_told(
    mail: IncomingMail, submitted: Submitted, reporter_id: int, *, settings: Settings
) -> None:
    """The "complaint received" mail (number and tracking code) to the sender, when filing
    did not send it to that address: an account that chose no such mail, or a contact-only
    reporter whose address an unconfirmed account holds. The sender asked by mail and is
    answered by mail."""
    found = await notifications.recipients([reporter_id])
    user = found[0] if found else None
    if (
        user is not None
        and (user["email"] or "").lower() == mail.sender
        and user["email_confirmed_at"] is not None
        and notifications.wants(user, "email", "submitted")
    ):
        return  # filing told them (complaints.submission)
    title = await db.fetchval("SELECT title FROM complaints WHERE id = $1", submitted.id)
    rendered = render_mail(
        "complaint_received",
        {
            "full_name": mail.sender_name or mail.sender,
            "number": submitted.number,
            "title": title,
            "tracking_code": submitted.tracking_code,
            # The tracking page: a contact-only reporter has no account to open it with.
            "link": sms_link("submitted", submitted.number, None, base_url=settings.base_url),
            "reply_number": submitted.number,
        },
        user["language"] if user else settings.default_language,
    )
    # `reply_number` gives it the complaint's reply address (addressing.reply_address_of).
    await enqueue_email(
        to=mail.sender,
        mail=rendered,
        kind="complaint_received",
        render={"context": {"reply_number": submitted.number}},
    )
