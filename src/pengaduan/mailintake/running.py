"""`pengaduan mail-intake`: the listener (SMTP or LMTP) or the mailbox poller, with the
database pool, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from pengaduan import db, outages
from pengaduan.complaints.evidence import storage_for
from pengaduan.mailintake.listener import start_listener
from pengaduan.mailintake.polling import MailboxPoller
from pengaduan.settings import Settings


def mailbox_problem(settings: Settings) -> str | None:
    """What is missing to poll the mailbox, or None."""
    if not settings.mail_intake_imap_host:
        return "PENGADUAN_MAIL_INTAKE_IMAP_HOST is not set"
    if not settings.mail_intake_imap_user or not settings.mail_intake_imap_password:
        return "PENGADUAN_MAIL_INTAKE_IMAP_USER and _PASSWORD are needed to poll the mailbox"
    return None


async def run_intake(
    settings: Settings,
    *,
    imap: bool,
    once: bool = False,
    host: str | None = None,
    port: int | None = None,
    say: Callable[[str], object] = print,
) -> None:
    """Take mail until a signal (or, polling with `once`, after one round); the engine must
    already point at the database."""
    await db.open_pool(settings)
    storage = storage_for(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    server = None
    try:
        if imap:
            poller = MailboxPoller(settings, storage)
            where = f"{settings.mail_intake_imap_host}/{settings.mail_intake_imap_folder}"
            if once:
                done = await poller.poll_once()
                say(f"Took the mailbox {where}: {done.outcomes or 'nothing new'}.")
                return
            say(f"Polling {where} every {settings.mail_intake_imap_interval} s (Ctrl+C to stop).")
            await poller.run(stop)
        else:
            server = await start_listener(settings, storage, host=host, port=port)
            bound = server.sockets[0].getsockname()
            protocol = settings.mail_intake_protocol.upper()
            say(f"Taking complaints by mail: {protocol} on {bound[0]}:{bound[1]} (Ctrl+C to stop).")
            await stop.wait()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        if server is not None:
            server.close()
            await server.wait_closed()
        await outages.stop_probe()
        await db.close_pool()
