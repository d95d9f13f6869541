"""Telling automatic mail apart: auto-replies, bounces, mailing lists and our own mail come
back are never answered and never become complaints (RFC 3834 and the headers mail
software sets in practice)."""

from __future__ import annotations

from pengaduan.mailintake.reading import IncomingMail
from pengaduan.notifications.outbox.email_delivery import OWN_HEADER, is_own_message_id
from pengaduan.settings import Settings

# Senders that are mail software, never a person who could be answered.
ROBOT_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply"}
)
# Headers set by vacation responders and list servers (beyond Auto-Submitted and Precedence).
AUTOMATIC_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response", "List-Id")


def _empty_path(value: str | None) -> bool:
    return value is not None and value.strip() in ("", "<>")


def automatic(mail: IncomingMail, *, envelope_from: str | None, settings: Settings) -> str | None:
    """Why `mail` is automatic (a word for the log), or None for a mail a person wrote.
    `envelope_from`: the SMTP MAIL FROM, when it came over SMTP (None over IMAP)."""
    auto_submitted = mail.header("Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return "auto-submitted"
    if mail.header("Precedence").lower() in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    for name in AUTOMATIC_HEADERS:
        if mail.header(name):
            return name.lower()
    if _empty_path(envelope_from) or mail.header("Return-Path") == "<>":
        return "bounce"
    if mail.message.get_content_type() == "multipart/report":
        return "bounce"
    if mail.sender.partition("@")[0] in ROBOT_LOCAL_PARTS:
        return "robot sender"
    if mail.header(OWN_HEADER) or is_own_message_id(settings, mail.message_id):
        return "our own mail"
    if mail.sender in settings.mail_intake_address_list:
        return "our own address"
    return None
