"""Answering a mail the intake could not take (refused files, a reply from another address,
no text): a mail through the outbox to its sender, in the agency's language, saying why and
where to go instead. A complaint filed by mail is answered by filing itself (its "complaint
received" mail, with the number and the tracking code)."""

from __future__ import annotations

from pengaduan.mailintake.reading import IncomingMail
from pengaduan.notifications.mail import render_mail
from pengaduan.notifications.outbox import enqueue_email
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
