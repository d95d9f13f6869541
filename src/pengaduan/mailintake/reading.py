"""Reading an incoming mail: who sent it, its subject, its text (the plain part, else the
text of the HTML part), its attachments, and the message itself for the headers that tell
automatic mail apart. What cannot be read as a mail is `Malformed`."""

from __future__ import annotations

import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser

# Parts that sign a mail rather than belong to it: never evidence.
SIGNATURE_TYPES = frozenset(
    {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
)
# Kept out of the HTML's text: code, styling and the quoted mail a reply carries.
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "blockquote"})
_BREAKING_TAGS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table"})
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


class Malformed(Exception):
    """The bytes are not a mail one can answer (no sender address, headers unreadable)."""


@dataclass(frozen=True)
class IncomingMail:
    """One mail as the intake needs it; `text` is untrimmed (see `trimming`)."""

    message: EmailMessage
    sender: str  # the From address, lower case
    sender_name: str
    subject: str
    text: str
    attachments: tuple[tuple[str, bytes], ...]
    message_id: str  # "" when the mail has none

    def header(self, name: str) -> str:
        """A header's text ("" when absent or unreadable)."""
        try:
            value = self.message.get(name)
        except (ValueError, IndexError, TypeError, LookupError):
            return ""
        return str(value or "").strip()


class _HtmlText(HTMLParser):
    """The words of an HTML body, with a line break where the markup breaks a line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag in _SKIPPED_TAGS or (tag == "div" and "gmail_quote" in classes):
            self.skipping += 1
        elif tag in _BREAKING_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS and self.skipping:
            self.skipping -= 1
        elif tag in _BREAKING_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_text(markup: str) -> str:
    """The text of an HTML body (quoted mail in <blockquote> or Gmail's quote left out)."""
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):
        # An unknown or lying charset: the bytes as UTF-8, whatever cannot be read dropped.
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body_part(message: EmailMessage) -> Message | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError):
        return None


def _is_attachment(part: Message, body: Message | None) -> bool:
    if part is body or part.is_multipart():
        return False
    content_type = part.get_content_type()
    if content_type in SIGNATURE_TYPES or part.get_content_maintype() == "message":
        return False
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment" or part.get_filename():
        return True
    # A plain or HTML part that is not the chosen body is its alternative, not a file.
    return part.get_content_maintype() != "text" and content_type != "multipart/alternative"


def _attachments(message: EmailMessage, body: Message | None) -> tuple[tuple[str, bytes], ...]:
    found: list[tuple[str, bytes]] = []
    for part in message.walk():
        if not _is_attachment(part, body):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        name = part.get_filename() or f"lampiran-{len(found) + 1}"
        found.append((name, data))
    return tuple(found)


def read_mail(raw: bytes) -> IncomingMail:
    """The mail in `raw` (as it came over SMTP or IMAP); Malformed without a sender."""
    try:
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
        if message.defects and not message.keys():
            raise Malformed("no headers")
        name, address = email.utils.parseaddr(str(message.get("From") or ""))
        subject = " ".join(str(message.get("Subject") or "").split())
        message_id = str(message.get("Message-ID") or "").strip()
    except (ValueError, IndexError, TypeError, LookupError) as exc:
        raise Malformed(f"unreadable headers: {exc}") from exc
    address = address.strip().lower()
    if not _ADDRESS.match(address):
        raise Malformed("no sender address in From")
    assert isinstance(message, EmailMessage)
    body = _body_part(message)
    text = ""
    if body is not None:
        text = _part_text(body)
        if body.get_content_subtype() == "html":
            text = html_text(text)
    return IncomingMail(
        message=message,
        sender=address,
        sender_name=" ".join(name.split()),
        subject=subject,
        text=text.replace("\r\n", "\n"),
        attachments=_attachments(message, body),
        message_id=message_id,
    )
