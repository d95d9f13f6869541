"""Mails as citizens' mail programs write them, for the mail intake's tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def citizen_mail(
    *,
    sender: str = "Budi Santoso <budi@warga.test>",
    to: str = "aduan@pemda.test",
    subject: str = "Jalan berlubang di Jl. Merdeka",
    text: str | None = "Jalan di depan sekolah berlubang besar sejak seminggu.",
    html: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A mail from a citizen: text and/or HTML, files as (name, data, "type/subtype")."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="warga.test")
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message
