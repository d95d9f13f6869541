"""Taking one incoming mail: automatic mail ignored, each sender limited, a reply about a
complaint (its reply address or its number in the subject) made a message on it through the
web's conversation service, any other mail filed as a complaint through the channels' intake.
What cannot be done is answered by mail (`answers`); what may work later (the database away,
a sender over the limit) is `Deferred`, what never will (not a mail) `Rejected`."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pengaduan import db, outages
from pengaduan.accounts import contacts, throttle
from pengaduan.accounts.fields import normalise_email
from pengaduan.complaints import conversation, intake
from pengaduan.complaints.storage import Storage
from pengaduan.errors import Refused
from pengaduan.i18n import _
from pengaduan.mailintake import addressing, answers, authentication, loops, trimming
from pengaduan.mailintake.reading import IncomingMail, Malformed, read_mail
from pengaduan.notifications.texts import in_language
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

# "Re:", "Fwd:" and their Indonesian and Outlook cousins, however many.
_PREFIXES = re.compile(
    r"^(?:\s*(?:re|fw|fwd|bls|balas|tr|aw|wg|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.I
)

REPORTER_OF_NUMBER = """
SELECT c.id, c.number, c.reporter, lower(u.email) AS email, u.contact_key
FROM complaints c JOIN users u ON u.id = c.reporter
WHERE c.number = $1
"""


class Deferred(Exception):
    """Not taken now, may be later (SMTP 4xx; over IMAP the mail stays unread): `reply`."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


class Rejected(Exception):
    """Never to be taken (SMTP 5xx; over IMAP the mail is set aside): `reply`."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True)
class Taken:
    """What became of a mail: "filed" (a complaint, `number`), "message" (on `number`),
    "ignored" (automatic: `detail` says why) or "answered" (refused, told by mail why)."""

    outcome: str
    number: str | None = None
    detail: str = ""


def idempotency_key(mail: IncomingMail) -> str:
    """The same mail delivered twice (a retried SMTP conversation, a mailbox polled again)
    has the same key: its sender and Message-ID, else what it says. (With the sender, a
    Message-ID copied by someone else is another mail, not a clash with theirs.)"""
    basis = f"{mail.sender}\n" + (mail.message_id or f"{mail.subject}\n{mail.text}")
    return "mail:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:48]


def title_of(mail: IncomingMail) -> str:
    """The subject without its "Re:"/"Fwd:" ("": the intake takes the text's start)."""
    return _PREFIXES.sub("", mail.subject).strip()


def _addressed_to(mail: IncomingMail, recipients: Sequence[str]) -> list[str]:
    headers = ("To", "Cc", "Delivered-To", "X-Original-To")
    return [*recipients, *(mail.header(name) for name in headers if mail.header(name))]


async def _limit(sender: str, settings: Settings) -> None:
    busy = await throttle.count_request("mail", sender[:290], limit=settings.mail_intake_per_hour)
    if busy is not None:
        minutes = (busy.seconds + 59) // 60
        raise Deferred(
            f"450 4.7.1 Too many mails from {sender} this hour; try again in {minutes} minutes"
        )


def _from_reporter(mail: IncomingMail, complaint: dict, settings: Settings) -> bool:
    """Whether the reporter of `complaint` sent `mail`: their address, or the address a
    contact-only reporter was made for (kept only as its key when an account held it)."""
    if mail.sender == complaint["email"]:
        return True
    key = contacts.contact_key(settings, email=normalise_email(mail.sender), phone=None)
    return complaint["contact_key"] is not None and complaint["contact_key"] == key


async def _reply(mail: IncomingMail, complaint: dict, key: str, settings: Settings) -> Taken:
    number = complaint["number"]
    if not _from_reporter(mail, complaint, settings):
        await answers.refusal(
            mail,
            _(
                "Only the address that filed complaint %(number)s can add messages to it by "
                "email. To file a complaint of your own, write to us without its number.",
                number=number,
            ),
            number=number,
            settings=settings,
        )
        return Taken("answered", number, "not the reporter")
    if mail.attachments:
        await answers.refusal(
            mail,
            _(
                "Files cannot be added to a complaint by replying. Open the complaint on the "
                "site to send them; your message was not added either."
            ),
            number=number,
            settings=settings,
        )
        return Taken("answered", number, "files on a reply")
    body = trimming.trim(mail.text)
    if not body:
        await answers.refusal(
            mail, _("Your reply had no text of its own."), number=number, settings=settings
        )
        return Taken("answered", number, "empty reply")
    await conversation.post_message(
        complaint["id"], complaint["reporter"], body, idempotency_key=key, settings=settings
    )
    return Taken("message", number)


async def _file(mail: IncomingMail, key: str, settings: Settings, storage: Storage) -> Taken:
    body = trimming.trim(mail.text)
    reporter = await contacts.reporter_for(
        email=mail.sender,
        name=mail.sender_name,
        confirmed=True,
        language=settings.default_language,
        settings=settings,
    )
    submitted = await intake.file_from_channel(
        channel="email",
        reporter_id=reporter.user_id,
        title=title_of(mail),
        body=body,
        category_id=None,
        attachments=[intake.Attachment(name=name, data=data) for name, data in mail.attachments],
        idempotency_key=key,
        settings=settings,
        storage=storage,
    )
    if not submitted.created:
        return Taken("filed", submitted.number, "again")
    await answers.received_unless_told(mail, submitted, reporter.user_id, settings=settings)
    return Taken("filed", submitted.number)


async def _take_from_person(
    mail: IncomingMail, recipients: Sequence[str], settings: Settings, storage: Storage
) -> Taken:
    await _limit(mail.sender, settings)
    key = idempotency_key(mail)
    number = addressing.number_in_addresses(
        settings, _addressed_to(mail, recipients)
    ) or addressing.number_in_subject(mail.subject)
    complaint = await db.fetchrow(REPORTER_OF_NUMBER, number) if number else None
    try:
        if complaint is not None:
            return await _reply(mail, dict(complaint), key, settings)
        return await _file(mail, key, settings, storage)
    except Refused as refused:
        # Nothing was stored (the intake checks every file before it writes anything).
        await answers.refusal(
            mail,
            refused.message,
            number=complaint["number"] if complaint else None,
            settings=settings,
        )
        return Taken("answered", number, refused.reason)


async def take(
    raw: bytes,
    *,
    envelope_from: str | None = None,
    recipients: Sequence[str] = (),
    settings: Settings,
    storage: Storage,
) -> Taken:
    """Take the mail `raw` (from `envelope_from` to `recipients` over SMTP; None and the
    headers over IMAP). Raises Deferred or Rejected with the SMTP reply to give."""
    try:
        mail = read_mail(raw)
    except Malformed as exc:
        raise Rejected(f"550 5.6.0 Not a mail we can read ({exc})") from exc
    reason = loops.automatic(mail, envelope_from=envelope_from, settings=settings)
    if reason is not None:
        log.info("mail intake: ignored a mail from %s (%s)", mail.sender, reason)
        return Taken("ignored", detail=reason)
    if not authentication.authenticated(mail, settings):
        log.info("mail intake: refused a mail from %s (not verified)", mail.sender)
        raise Rejected(
            "550 5.7.1 The sender's address could not be verified (DMARC, DKIM or SPF); "
            "write from your own mailbox"
        )
    try:
        # Answers and refusals in the agency's language (the sender has no other yet).
        with in_language(settings.default_language):
            taken = await _take_from_person(mail, recipients, settings, storage)
    except Deferred:
        raise
    except Exception as exc:
        if outages.is_outage(exc) or isinstance(exc, db.DatabaseUnavailable):
            outages.note_outage(exc, "mail intake")
            raise Deferred("451 4.3.0 The complaints database is away; try again later") from exc
        raise
    log.info("mail intake: %s from %s %s", taken.outcome, mail.sender, taken.number or "")
    return taken
