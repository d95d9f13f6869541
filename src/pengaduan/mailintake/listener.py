"""The SMTP (or LMTP) listener the agency's mail server forwards the complaints address to:
only the complaints addresses (and their reply addresses) are taken, mail over the size limit
is refused with 552 before it is read, and each mail's fate is the reply to its DATA
(`taking`: 250 taken or ignored, 4xx try again later, 5xx never)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from pengaduan.complaints.evidence import megabytes
from pengaduan.complaints.storage import Storage
from pengaduan.mailintake.taking import Deferred, Rejected, take
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

IDENT = "Pengaduan mail intake"
# aiosmtpd's words for a mail over the SIZE limit (announced at MAIL FROM, or found in DATA).
_TOO_BIG = ("552 Error: Too much mail data", "552 Error: message size exceeds")


def accepts(settings: Settings, address: str) -> bool:
    """Whether `address` is a complaints address here (or a reply address of one)."""
    addresses = settings.mail_intake_address_list
    if not addresses:
        return True
    local, _at, domain = address.strip().lower().partition("@")
    return f"{local.partition('+')[0]}@{domain}" in addresses


class IntakeHandler:
    """aiosmtpd's handler: recipients checked, each mail taken."""

    def __init__(self, settings: Settings, storage: Storage, *, lmtp: bool = False) -> None:
        self.settings = settings
        self.storage = storage
        self.lmtp = lmtp

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not accepts(self.settings, address):
            return f"550 5.1.1 <{address}>: not a complaints address here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or b""
        try:
            taken = await take(
                raw,
                envelope_from=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                settings=self.settings,
                storage=self.storage,
            )
            reply = f"250 2.0.0 {taken.outcome} {taken.number or ''}".rstrip()
        except (Deferred, Rejected) as refusal:
            reply = refusal.reply
        except Exception:
            log.exception("mail intake: a mail could not be taken")
            reply = "451 4.3.0 Local error while taking the mail; try again later"
        if self.lmtp:
            # LMTP answers DATA once per recipient; the mail is taken once for all of them.
            return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))
        return reply


class _Clear:
    """Says the size limit in the 552 reply (aiosmtpd's own words name no limit)."""

    data_size_limit: int | None

    async def push(self, status: str) -> None:
        if status.startswith(_TOO_BIG):
            status = (
                f"552 5.3.4 Message too big for the complaints address (at most "
                f"{megabytes(self.data_size_limit or 0)} MB); send fewer or smaller photos"
            )
        await super().push(status)  # type: ignore[misc]


class IntakeSmtp(_Clear, SMTP):
    pass


class IntakeLmtp(_Clear, LMTP):
    pass


def _server_name(settings: Settings) -> str:
    addresses = settings.mail_intake_address_list
    return addresses[0].partition("@")[2] if addresses else "pengaduan"


async def start_listener(
    settings: Settings, storage: Storage, *, host: str | None = None, port: int | None = None
) -> asyncio.Server:
    """Listen on `host`:`port` (the settings' by default) in the running loop, which must be
    the one the database pool belongs to."""
    lmtp = settings.mail_intake_protocol == "lmtp"
    handler = IntakeHandler(settings, storage, lmtp=lmtp)
    protocol = IntakeLmtp if lmtp else IntakeSmtp
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: protocol(
            handler,
            data_size_limit=settings.mail_intake_max_bytes,
            enable_SMTPUTF8=True,
            hostname=_server_name(settings),
            ident=IDENT,
        ),
        host=host or settings.mail_intake_host,
        port=port or settings.mail_intake_port,
    )
