"""Doing what an inbound WhatsApp/SMS message asks, once per provider message id: file a
complaint (with its photos), tell a status, or help; the answer queued for the sender in the
outbox (its SMS delivery retries, and a message that never goes is on the admins' dead list).

A message is claimed first (`inbound_messages`, unique by provider id): the same message
delivered again finds its claim and is done nothing with. Should doing it fail (the database,
the image workers busy), the claim is given back, so the gateway's retry does it then; the
complaint's idempotency key (from the message id) keeps a retry from filing twice.

Each sender (their contact-only reporter) is limited: MESSAGES_PER_HOUR messages answered,
HELP_PER_HOUR help texts (an auto-responder answering our answers would otherwise talk to us
for ever), COMPLAINTS_PER_DAY complaints. Past a limit the first message hears so, the rest
get nothing.

A photo that cannot be fetched or fails the evidence checks is left out, the complaint filed
without it and the answer says how many were left out: a citizen who typed a complaint on a
phone wants it filed, not refused for a photo, and can send the photo again on the web page
the answer links to.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from pengaduan import db
from pengaduan.accounts import contacts, throttle
from pengaduan.complaints import evidence, intake, remote_media, tracking
from pengaduan.complaints.imaging import ImageWorkers, ImageWorkersBusy
from pengaduan.complaints.storage import Storage
from pengaduan.errors import INVALID, Refused
from pengaduan.notifications import outbox
from pengaduan.notifications import services as notifications
from pengaduan.notifications.texts import in_language
from pengaduan.settings import Settings
from pengaduan.sms_intake import answers, commands
from pengaduan.sms_intake.messages import Inbound

log = logging.getLogger(__name__)

MESSAGES_PER_HOUR = 20
HELP_PER_HOUR = 3
COMPLAINTS_PER_DAY = 10
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Provider ids are kept this long: far longer than any gateway retries a delivery.
KEEP_IDS = timedelta(days=30)
ANSWER_KIND = "sms_intake_answer"

# The claim, and (the same statement, by the index on received_at) the ids past keeping.
_CLAIM = """
WITH pruned AS (DELETE FROM inbound_messages WHERE received_at < now() - $3::interval)
INSERT INTO inbound_messages (message_key, channel, action, received_at)
VALUES ($1, $2, '', now())
ON CONFLICT (message_key) DO NOTHING
RETURNING id
"""


@dataclass(frozen=True)
class Outcome:
    """What was done: `action` (filed, status, no_match, help, throttled, ... or duplicate)."""

    action: str
    number: str | None = None

    @property
    def duplicate(self) -> bool:
        return self.action == "duplicate"


@dataclass(frozen=True)
class _Done:
    action: str
    answer: str | None
    complaint_id: int | None = None
    number: str | None = None


async def handle(
    message: Inbound,
    *,
    settings: Settings,
    storage: Storage,
    images: ImageWorkers | None = None,
    ip: str = "",
) -> Outcome:
    """Do what `message` asks, once; the answer queued for its sender."""
    claim = await db.fetchval(_CLAIM, message.key[:200], message.channel, KEEP_IDS)
    if claim is None:
        return Outcome("duplicate")
    try:
        reporter = await contacts.reporter_for(phone=message.sender, settings=settings)
        language = await db.fetchval("SELECT language FROM users WHERE id = $1", reporter.user_id)
        with in_language(language or settings.default_language):
            done = await _answer(message, reporter.user_id, settings, storage, images, ip)
        async with db.ENGINE.transaction():
            await db.execute(
                "UPDATE inbound_messages SET action = $2, complaint = $3 WHERE id = $1",
                claim,
                done.action,
                done.complaint_id,
            )
            if done.answer:
                await outbox.enqueue_sms(
                    user_id=reporter.user_id, text=done.answer, kind=ANSWER_KIND
                )
    except BaseException as exc:
        # Not done: the gateway's retry may do it. (Should the database be away, the claim
        # stays and the retry is taken for a copy; the log says which message.)
        with contextlib.suppress(Exception):
            await db.execute("DELETE FROM inbound_messages WHERE id = $1", claim)
        if isinstance(exc, Refused | ImageWorkersBusy):
            log.warning("inbound message %s not done now: %r", message.key, exc)
        else:
            log.exception("inbound message %s was not done", message.key)
        raise
    return Outcome(done.action, done.number)


async def _counted(key: str, window: timedelta, limit: int) -> tuple[bool, bool, int]:
    """(within the limit, the first one past it, seconds until the window ends)."""
    count, window_end = await throttle.count_in_window(key, window)
    return count <= limit, count == limit + 1, window_end.seconds


async def _answer(
    message: Inbound,
    reporter_id: int,
    settings: Settings,
    storage: Storage,
    images: ImageWorkers | None,
    ip: str,
) -> _Done:
    allowed, first_past, seconds = await _counted(f"sms_in:{reporter_id}", HOUR, MESSAGES_PER_HOUR)
    if not allowed:
        return _Done("throttled", answers.too_many(seconds) if first_past else None)
    command = commands.parse(message.text)
    if command.kind == "help":
        allowed, _first, _seconds = await _counted(
            f"sms_in_help:{reporter_id}", HOUR, HELP_PER_HOUR
        )
        return _Done("help", answers.help_text() if allowed else None)
    if command.kind == "check":
        return await _status(command, settings)
    if command.kind in ("stop", "start"):
        return await _switch(reporter_id, on=command.kind == "start")
    if not command.text:
        return _Done("file_usage", answers.file_usage())
    allowed, first_past, seconds = await _counted(
        f"sms_in_filed:{reporter_id}", DAY, COMPLAINTS_PER_DAY
    )
    if not allowed:
        return _Done("throttled", answers.too_many_complaints(seconds) if first_past else None)
    return await _file(message, command.text, reporter_id, settings, storage, images, ip)


async def _switch(reporter_id: int, *, on: bool) -> _Done:
    """Status messages by SMS on or off for this sender (their mail choices kept)."""
    current = await notifications.preferences(reporter_id)
    await notifications.save_preferences(
        reporter_id,
        "citizen",
        email=set(current["email"]),
        sms_kinds=set(notifications.CONTACT_SMS_KINDS) if on else set(),
    )
    return _Done("sms_on" if on else "sms_off", answers.switched(on=on))


async def _status(command: commands.Command, settings: Settings) -> _Done:
    if not command.number or not command.code:
        return _Done("check_usage", answers.check_usage())
    # The tracking page's lookup: the same None for a wrong code as for an unknown number.
    found = await tracking.track(command.number, command.code)
    if found is None:
        return _Done("no_match", answers.no_match())
    code = tracking.normalise_code(command.code)
    text = answers.status(found["number"], code, found["status"], base_url=settings.base_url)
    return _Done("status", text, number=found["number"])


async def _photo(url: str, settings: Settings) -> intake.Attachment | None:
    """The photo at `url` when it can be fetched and passes the cheap checks; else None."""
    try:
        item = await remote_media.fetch(url, settings=settings)
        evidence.check(item.name, item.data, settings.upload_max_bytes)
    except Refused as exc:
        log.info("inbound photo left out: %s", exc.message)
        return None
    return item


async def _file(
    message: Inbound,
    text: str,
    reporter_id: int,
    settings: Settings,
    storage: Storage,
    images: ImageWorkers | None,
    ip: str,
) -> _Done:
    wanted = message.media[: settings.upload_max_files]
    # Fetched at once: the gateway waits for the answer to its request.
    fetched = await asyncio.gather(*(_photo(url, settings) for url in wanted))
    photos = [item for item in fetched if item is not None]
    left_out = len(message.media) - len(photos)
    key = hashlib.sha256(message.key.encode()).hexdigest()

    async def filed(attachments: list[intake.Attachment]) -> _Done:
        submitted = await intake.file_from_channel(
            channel=message.channel,
            reporter_id=reporter_id,
            title=commands.title_of(text),
            body=text,
            category_id=None,
            attachments=attachments,
            idempotency_key=key,
            ip=ip,
            settings=settings,
            storage=storage,
            images=images,
        )
        answer = answers.filed(
            submitted.number,
            submitted.tracking_code,
            photos_left_out=left_out,
            base_url=settings.base_url,
        )
        return _Done("filed", answer, submitted.id, submitted.number)

    try:
        try:
            return await filed(photos)
        except Refused as exc:
            if exc.field != "evidence" or not photos:
                raise
            # A photo failed the full checks (it would not decode): filed without photos.
            log.info("inbound photos left out: %s", exc.message)
            left_out += len(photos)
            return await filed([])
    except Refused as exc:
        if exc.reason != INVALID:
            raise
        if exc.field == "title":
            # A message has no title of its own (it is the text's start): too short a text.
            return _Done("refused", answers.refused(answers.too_short()))
        return _Done("refused", answers.refused(exc.message))
