"""The outbox worker: due messages delivered in batches, one transaction per channel, in a
background loop woken by `NOTIFY outbox` (pengaduan.background)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pengaduan import db
from pengaduan.background import BackgroundLoop, Backoff
from pengaduan.db import ENGINE
from pengaduan.notifications.outbox import NOTIFY_CHANNEL
from pengaduan.notifications.outbox.attempts import SELECT_DUE, short_error
from pengaduan.notifications.outbox.email_delivery import deliver_by_smtp, deliver_to_mailbox
from pengaduan.notifications.outbox.handover_delivery import deliver_handovers
from pengaduan.notifications.outbox.sms_delivery import deliver_by_gateway
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

BATCH_SIZE = 20
# While the database is unreachable the worker tries again after 1 s, 2 s, 4 s, ... (up to
# its error wait): soon after the database is back, with one log line for the whole outage.
OUTAGE_FIRST_RETRY = 1.0


@dataclass(frozen=True)
class BatchResult:
    picked: int
    delivered: int


async def _deliver_channel(settings: Settings, channel: str, limit: int) -> BatchResult:
    # One transaction per channel: a slow gateway does not keep the mail locked, and the
    # rows stay locked (FOR UPDATE SKIP LOCKED) until it ends, so other workers take others.
    async with ENGINE.transaction():
        rows = await db.fetch(SELECT_DUE, limit, channel)
        if not rows:
            return BatchResult(picked=0, delivered=0)
        if channel == "sms":
            delivered = await deliver_by_gateway(settings, rows)
        elif channel == "handover":
            delivered = await deliver_handovers(settings, rows)
        elif settings.mail_transport == "mailbox":
            delivered = await deliver_to_mailbox(settings, rows)
        else:
            delivered = await deliver_by_smtp(settings, rows)
    if delivered:
        log.info("outbox: delivered %s of %s %s message(s)", delivered, len(rows), channel)
    return BatchResult(picked=len(rows), delivered=delivered)


async def deliver_batch(settings: Settings, *, limit: int = BATCH_SIZE) -> BatchResult:
    """Send up to `limit` due emails, then (with a gateway configured) up to `limit` due
    SMS, then up to `limit` due hand-over documents; without a gateway SMS rows are left
    alone, and so is mail without an SMTP server in production (no attempt, no warning: they
    wait, pending, for one to be configured)."""
    result = BatchResult(picked=0, delivered=0)
    channels = ["handover"]
    if settings.mail_transport != "none":
        channels.insert(0, "email")
    if settings.sms_enabled:
        channels.insert(-1, "sms")
    for channel in channels:
        batch = await _deliver_channel(settings, channel, limit)
        result = BatchResult(
            picked=max(result.picked, batch.picked), delivered=result.delivered + batch.delivered
        )
    return result


async def deliver_due(settings: Settings, *, limit: int = BATCH_SIZE) -> int:
    """Send what is due (see `deliver_batch`); return how many were delivered."""
    return (await deliver_batch(settings, limit=limit)).delivered


class OutboxWorker(BackgroundLoop):
    """Delivers the outbox in a loop until stopped: soon again after a full batch, else
    after `idle_seconds` or as soon as `NOTIFY outbox` says a message was committed."""

    def __init__(
        self,
        settings: Settings,
        *,
        batch_size: int = BATCH_SIZE,
        busy_seconds: float = 1.0,
        idle_seconds: float = 5.0,
        error_seconds: float = 5.0,
        listen: bool = True,
    ) -> None:
        super().__init__(
            "outbox",
            listen=NOTIFY_CHANNEL if listen else None,
            where="the outbox worker",
            describe_error=lambda exc: short_error(exc, settings),
        )
        self.settings = settings
        self.batch_size = batch_size
        self.busy_seconds = busy_seconds
        self.idle_seconds = idle_seconds
        self.error_seconds = error_seconds
        self.backoff = Backoff(
            "the outbox worker", first=OUTAGE_FIRST_RETRY, cap=error_seconds, logger=log
        )

    async def before(self) -> None:
        if self.settings.mail_transport == "none":
            # Said once here, not per message: the admins' outbox shows what is waiting.
            log.info("outbox: no SMTP server configured; mail stays pending in the outbox")

    async def round(self) -> float:
        try:
            result = await deliver_batch(self.settings, limit=self.batch_size)
        except Exception as exc:
            # A database or network blip must not end delivery for good.
            return self.backoff.failed(exc, "outbox: delivery round failed")
        self.backoff.succeeded()
        return self.busy_seconds if result.picked >= self.batch_size else self.idle_seconds
