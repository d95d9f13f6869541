"""The development mailbox: mail written as .eml files under the data folder instead of sent,
read back for /dev/surat; and the one-line account of where mail and SMS go."""

from __future__ import annotations

import email.policy
import os
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlsplit

from pengaduan.settings import Settings

# <creation time>-<outbox id>.eml: the names sort by time, and a message sent twice (a worker
# that died after writing, before recording it) overwrites itself instead of doubling.
NAME_RE = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9]{1,12}\.eml$")
LIST_LIMIT = 200


def file_name(outbox_id: int, created_at: datetime) -> str:
    return f"{created_at:%Y%m%dT%H%M%S%f}-{outbox_id}.eml"


def write(settings: Settings, name: str, message: EmailMessage) -> Path:
    """Store one message atomically (a reader never sees half a file)."""
    folder = settings.mailbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(message.as_bytes(policy=email.policy.SMTP))
    os.replace(tmp, path)
    return path


@dataclass(frozen=True)
class StoredMail:
    name: str
    subject: str
    to: str
    sender: str
    date: str
    text: str


def _parse(path: Path, *, body: bool) -> StoredMail:
    with path.open("rb") as handle:
        message = BytesParser(policy=email.policy.default).parse(handle, headersonly=not body)
    text = ""
    if body:
        part = message.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
    return StoredMail(
        name=path.name,
        subject=str(message.get("Subject", "")),
        to=str(message.get("To", "")),
        sender=str(message.get("From", "")),
        date=str(message.get("Date", "")),
        text=text,
    )


def newest(settings: Settings, limit: int = LIST_LIMIT) -> list[StoredMail]:
    """The newest `limit` messages, newest first (headers only)."""
    folder = settings.mailbox_dir
    if not folder.is_dir():
        return []
    names = sorted((n for n in os.listdir(folder) if NAME_RE.match(n)), reverse=True)[:limit]
    found = []
    for name in names:
        try:
            found.append(_parse(folder / name, body=False))
        except FileNotFoundError:  # removed by hand meanwhile
            continue
    return found


def read(settings: Settings, name: str) -> StoredMail | None:
    """One message with its text body; None for a name that is not a stored message's."""
    if not NAME_RE.match(name):
        return None
    path = settings.mailbox_dir / name
    if not path.is_file():
        return None
    return _parse(path, body=True)


def delivery_lines(settings: Settings, site: str) -> list[str]:
    """Where mail and SMS go, for `pengaduan serve` and `pengaduan worker` to print."""
    if settings.mail_transport == "mailbox":
        mail = f"Mail: written to {settings.mailbox_dir} (no SMTP server set), read at {site}/dev/surat"
    elif settings.mail_transport == "smtp":
        mail = f"Mail: sent through SMTP {settings.smtp_host}:{settings.smtp_port}"
    else:
        mail = "Mail: not sent (no PENGADUAN_SMTP_HOST); kept pending in the outbox"
    if settings.sms_enabled:
        sms = f"SMS: sent through the gateway at {urlsplit(settings.sms_gateway_url).netloc}"
    else:
        sms = "SMS: not sent (no gateway: PENGADUAN_SMS_GATEWAY_URL is empty)"
    return [mail, sms]
