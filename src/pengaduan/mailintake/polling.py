"""Polling a hosted mailbox over IMAP (aioimaplib) instead of listening: each round takes
the unread mail of the folder, oldest first, and marks what was taken, ignored or refused as
read (the mailbox keeps the state; the same mail read twice still makes one complaint). What
may work later (the database away, a sender over the limit) stays unread for the next round.
Mail over the size limit is not downloaded: its sender is told from its headers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field

from aioimaplib import IMAP4, IMAP4_SSL, AioImapException, Response

from pengaduan.complaints.evidence import megabytes
from pengaduan.complaints.storage import Storage
from pengaduan.i18n import _
from pengaduan.mailintake import answers, loops
from pengaduan.mailintake.reading import Malformed, read_mail
from pengaduan.mailintake.taking import Deferred, Rejected, take
from pengaduan.notifications.texts import in_language
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
SEEN = r"(\Seen)"


class MailboxError(Exception):
    """The mailbox could not be reached, or refused the login or a command."""


@dataclass
class Round:
    """What one look at the mailbox did: per outcome, how many mails."""

    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def _literal(lines: list[bytes | bytearray]) -> bytes | None:
    # A FETCH answer is its line, then the literal (a bytearray), then the closing line.
    for line in lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


class MailboxPoller:
    def __init__(self, settings: Settings, storage: Storage) -> None:
        self.settings = settings
        self.storage = storage

    async def _connect(self) -> IMAP4:
        s = self.settings
        kind = IMAP4_SSL if s.mail_intake_imap_security == "tls" else IMAP4
        client = kind(host=s.mail_intake_imap_host, port=s.mail_intake_imap_port, timeout=60)
        await client.wait_hello_from_server()
        await self._ok(client.login(s.mail_intake_imap_user, s.mail_intake_imap_password))
        await self._ok(client.select(s.mail_intake_imap_folder))
        return client

    @staticmethod
    async def _ok(command: Awaitable[Response]) -> list[bytes | bytearray]:
        response = await command
        if response.result != "OK":
            raise MailboxError(b" ".join(bytes(x) for x in response.lines[-1:]).decode())
        return response.lines

    async def poll_once(self) -> Round:
        """One look at the folder; MailboxError (or OSError) when it cannot be had."""
        done = Round()
        try:
            client = await self._connect()
        except (AioImapException, TimeoutError) as exc:
            raise MailboxError(f"cannot open the mailbox: {exc!r}") from exc
        try:
            lines = await self._ok(client.uid_search("UNSEEN"))
            uids = [uid.decode() for uid in bytes(lines[0]).split()] if lines else []
            for uid in sorted(uids, key=int):
                outcome = await self._take(client, uid)
                done.count(outcome)
                if outcome == "database away":
                    break
        except (AioImapException, TimeoutError) as exc:
            raise MailboxError(f"the mailbox stopped answering: {exc!r}") from exc
        finally:
            try:
                await client.logout()
            except (AioImapException, OSError, TimeoutError):
                pass
        return done

    async def _take(self, client: IMAP4, uid: str) -> str:
        sized = await self._ok(client.uid("fetch", uid, "(RFC822.SIZE)"))
        found = _SIZE.search(b" ".join(bytes(line) for line in sized))
        if found and int(found.group(1)) > self.settings.mail_intake_max_bytes:
            await self._too_big(client, uid)
            return "too big"
        raw = _literal(await self._ok(client.uid("fetch", uid, "(BODY.PEEK[])")))
        if raw is None:
            return "gone"  # expunged meanwhile
        try:
            taken = await take(raw, settings=self.settings, storage=self.storage)
            outcome = taken.outcome
        except Rejected as refusal:
            log.warning("mail intake: mailbox mail %s set aside: %s", uid, refusal.reply)
            outcome = "rejected"
        except Deferred as later:
            return "database away" if later.reply.startswith("451") else "later"
        await self._ok(client.uid("store", uid, "+FLAGS", SEEN))
        return outcome

    async def _too_big(self, client: IMAP4, uid: str) -> None:
        """Tell the sender (from the headers alone) and mark it read and flagged for a person."""
        head = _literal(await self._ok(client.uid("fetch", uid, "(BODY.PEEK[HEADER])")))
        try:
            mail = read_mail(head or b"")
        except Malformed:
            mail = None
        if (
            mail is not None
            and loops.automatic(mail, envelope_from=None, settings=self.settings) is None
        ):
            with in_language(self.settings.default_language):
                await answers.refusal(
                    mail,
                    _(
                        "Your mail was larger than %(max)s MB. Send fewer or smaller photos.",
                        max=megabytes(self.settings.mail_intake_max_bytes),
                    ),
                    number=None,
                    settings=self.settings,
                )
        await self._ok(client.uid("store", uid, "+FLAGS", r"(\Seen \Flagged)"))

    async def run(self, stop: asyncio.Event) -> None:
        """Poll every `mail_intake_imap_interval` seconds until `stop` is set."""
        while not stop.is_set():
            try:
                done = await self.poll_once()
                if done.outcomes:
                    log.info("mail intake: mailbox round %s", done.outcomes)
            except (MailboxError, OSError) as exc:
                log.warning("mail intake: %s; trying again next round", exc)
            try:
                await asyncio.wait_for(stop.wait(), self.settings.mail_intake_imap_interval)
            except TimeoutError:
                pass
