"""Delivering the outbox's SMS: the phone number decrypted only now, the text written in the
language its recipient uses now, handed to the HTTP gateway."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.accounts.personal_data import UndecryptableData, cipher_for
from pengaduan.notifications import texts
from pengaduan.notifications.outbox import SMS_RECIPIENT_PREFIX
from pengaduan.notifications.outbox.attempts import fail, mark_sent, payload_of
from pengaduan.notifications.sms import GatewayError, GatewayUnreachable, SmsGateway
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

SELECT_PHONES = """
SELECT id, phone_encrypted, language FROM users WHERE id = ANY($1::int[]) AND is_active
"""


class _NoPhone(Exception):
    """The user has no phone number (any more), or is no longer active."""


def _written_now(settings: Settings, payload: dict[str, Any], language: str | None) -> str:
    """A notification SMS in the language its recipient uses now; as queued otherwise."""
    spec = payload.get("render")
    if not isinstance(spec, dict) or language is None:
        return payload["text"]
    with texts.in_language(language):
        return texts.sms_text(
            spec["kind"], spec["number"], spec.get("complaint"), base_url=settings.base_url
        )


async def deliver_by_gateway(settings: Settings, rows: Sequence[asyncpg.Record]) -> int:
    """Send `rows` (locked by the caller's transaction); how many were delivered."""
    ids = {
        int(r["recipient"].removeprefix(SMS_RECIPIENT_PREFIX))
        for r in rows
        if r["recipient"].removeprefix(SMS_RECIPIENT_PREFIX).isdigit()
    }
    found = await db.fetch(SELECT_PHONES, list(ids))
    phones = {p["id"]: p["phone_encrypted"] for p in found}
    languages = {p["id"]: p["language"] for p in found}
    cipher = cipher_for(settings)
    gateway = SmsGateway(settings)
    delivered = 0
    try:
        for position, row in enumerate(rows):
            try:
                user_id = int(row["recipient"].removeprefix(SMS_RECIPIENT_PREFIX))
                token = phones.get(user_id)
                phone = cipher.decrypt(token) if token else None
                if not phone:
                    raise _NoPhone("the recipient has no phone number or is not active")
                text = _written_now(settings, payload_of(row), languages.get(user_id))
            except (_NoPhone, UndecryptableData, KeyError, TypeError, ValueError) as exc:
                # Will not get better by waiting: give up on it now (an admin may retry).
                await fail(settings, row, exc, permanent=True)
                log.error("outbox %s: cannot be sent: %s", row["id"], exc)
                continue
            reference = f"outbox-{row['id']}-{int(row['created_at'].timestamp() * 1_000_000)}"
            try:
                await gateway.send(to=phone, text=text, reference=reference)
            except GatewayUnreachable as exc:
                # No gateway, no point trying the rest now: all of them wait for the retry.
                for pending in rows[position:]:
                    await fail(settings, pending, exc)
                break
            except GatewayError as exc:
                await fail(settings, row, exc, permanent=exc.permanent)
            else:
                await mark_sent(row)
                delivered += 1
    finally:
        await gateway.close()
    return delivered
