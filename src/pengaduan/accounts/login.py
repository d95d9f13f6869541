"""Logging in: a username or email and a password, throttled per account and per address, with
the same answer (and as slow) whether or not the account exists."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from pengaduan.accounts import throttle
from pengaduan.accounts.passwords import hash_password_sync, verify_password
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings


@cache
def _dummy_hash(rounds: int) -> str:
    """Checked against when the account does not exist, so both answers take as long."""
    return hash_password_sync("not-a-real-password-for-timing", rounds)


async def authenticate(
    settings: Settings, identifier: str, password: str, *, ip: str
) -> dict[str, Any]:
    """The account (id, username, role, is_active, password_hash, language) for a
    username-or-email and its password; Refused (INVALID, or TOO_MANY with the wait) with the
    same answer for an unknown user as for a wrong password."""
    identifier = identifier.strip().lower()
    if not identifier or not password:
        raise Refused(_("Enter your username or email and your password."), INVALID)
    column = User.email if "@" in identifier else User.username
    user = (
        await User.select(
            User.id, User.username, User.role, User.is_active, User.password_hash, User.language
        )
        .where(column == identifier)
        .first()
    )
    # Counted before the password is checked, against the account whichever name was typed.
    attempt = await throttle.reserve_login(
        throttle.account_key(user["id"] if user else None, identifier), ip
    )
    if attempt.refused:
        raise throttle.refused_login(attempt.refused)
    if user is None:
        await verify_password(password, _dummy_hash(settings.bcrypt_rounds))
        ok = False
    else:
        ok = await verify_password(password, user["password_hash"])
        if ok and not user["is_active"]:
            # Told only to whoever knows the password: a guesser learns nothing of the account.
            raise Refused(
                _(
                    "Your account has been deactivated. Contact the service desk or an "
                    "administrator to have it reactivated."
                ),
                INVALID,
            )
    if not ok:
        throttled = attempt.wait_if_wrong
        if throttled:
            raise throttle.refused_login(throttled)
        raise Refused(_("The username/email or password is wrong."), INVALID)
    await throttle.login_succeeded(attempt)
    await User.update({User.last_login_at: datetime.now(UTC)}).where(User.id == user["id"])
    await audit.record(
        actor_id=user["id"], action="account.login", target_type="user", target_id=user["id"], ip=ip
    )
    return user
