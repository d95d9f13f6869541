"""Asking for a password reset ("forgot password"): a link by mail, a code by SMS for an
account without email, or nothing at all, always with the same answer to the person."""

from __future__ import annotations

import logging

from pengaduan import db
from pengaduan.accounts import reset_codes, tokens
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

RESET_MAILS_PER_HOUR = 3

# Mails that may go to an address that is not proven yet, counted against the hourly limit.
_RECENT_RESET_MAILS = """
SELECT count(*) FROM outbox
WHERE recipient = $1 AND payload->>'kind' IN ('password_reset', 'confirm_email')
  AND created_at > now() - interval '1 hour'
"""


async def request_password_reset(settings: Settings, identifier: str, *, ip: str) -> None:
    """Send a reset link when the account exists and has a confirmed email, a code by SMS when
    it has no email but a phone (and a gateway is configured); silent otherwise.

    An unconfirmed address gets the confirmation link instead (no other mail may go to it).
    Runs after the answer has been sent (so the answer takes as long whether or not the account
    exists): nobody is left to tell of a failure but the log.
    """
    try:
        await _request_password_reset(settings, identifier, ip=ip)
    except Exception:
        log.exception("a password reset request could not be carried out")


async def _request_password_reset(settings: Settings, identifier: str, *, ip: str) -> None:
    identifier = identifier.strip().lower()
    if not identifier:
        return
    column = User.email if "@" in identifier else User.username
    user = (
        await User.select(*tokens.MAILING_COLUMNS, User.phone_encrypted)
        .where(column == identifier)
        .first()
    )
    if user is None or not user["is_active"]:
        return
    if not user["email"]:
        # Registered without email: a code by SMS when there is a gateway; otherwise the
        # reset page sends them to the service desk with their KTP.
        if settings.sms_enabled and user["phone_encrypted"]:
            async with ENGINE.transaction():
                await reset_codes.send_sms_code(settings, user, ip=ip)
        return
    if await db.fetchval(_RECENT_RESET_MAILS, user["email"]) >= RESET_MAILS_PER_HOUR:
        return
    async with ENGINE.transaction():
        if user["email_confirmed_at"] is None:
            await tokens.send_confirmation(settings, user["id"], user["email"], user["language"])
        else:
            invite = user["password_hash"] == tokens.UNUSABLE_PASSWORD
            await tokens.send_reset_mail(settings, user, invite=invite)
        await audit.record(
            actor_id=None,
            action="account.reset_requested",
            target_type="user",
            target_id=user["id"],
            ip=ip,
        )
