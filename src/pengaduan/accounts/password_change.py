"""Setting a new password, whichever way the person proved who they are: a reset or
invitation link, a code (reset_codes), or the current password. Each checks the new password
against the policy (passwords.new_password_errors) once, then `store_password` writes it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pengaduan.accounts.passwords import hash_password, new_password_errors, verify_password
from pengaduan.accounts.sessions import end_user_sessions
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.i18n import _, get_locale
from pengaduan.settings import Settings


async def store_password(
    settings: Settings,
    user_id: int,
    password: str,
    *,
    ip: str,
    via: str,
    keep_session: str | None = None,
) -> None:
    """Write a password that passed the policy; every session of the account ends (but
    `keep_session`). `via` says how the person got here, for the audit log."""
    new_hash = await hash_password(password, settings.bcrypt_rounds)
    now = datetime.now(UTC)
    changes: dict[Any, Any] = {User.password_hash: new_hash, User.password_changed_at: now}
    if via == "invite":
        # The invitation arrived by mail: the address is proven. The account takes the
        # language its owner uses, not the one the admin happened to create it in.
        changes[User.email_confirmed_at] = now
        changes[User.language] = get_locale()
    async with ENGINE.transaction():
        await User.update(changes).where(User.id == user_id)
        await end_user_sessions(user_id, keep=keep_session)
        await audit.record(
            actor_id=user_id,
            action=f"account.password_{via}",
            target_type="user",
            target_id=user_id,
            ip=ip,
        )


async def set_password(
    settings: Settings,
    user: dict[str, Any],
    password: str,
    confirm: str,
    *,
    ip: str,
    via: str,
) -> dict[str, str]:
    """Set a new password from a reset or invitation link (`via`: "reset" or "invite").

    Returns field errors (empty when done).
    """
    errors = new_password_errors(password, confirm, username=user["username"])
    if not errors:
        await store_password(settings, user["id"], password, ip=ip, via=via)
    return errors


async def change_password(
    settings: Settings,
    user_id: int,
    current: str,
    password: str,
    confirm: str,
    *,
    keep_session: str,
    ip: str,
) -> dict[str, str]:
    """Change a password knowing the current one; other sessions end at once."""
    user = (
        await User.select(User.id, User.username, User.password_hash)
        .where(User.id == user_id)
        .first()
    )
    if not await verify_password(current, user["password_hash"]):
        return {"current_password": _("The current password is wrong.")}
    errors = new_password_errors(password, confirm, username=user["username"])
    if not errors:
        await store_password(
            settings, user_id, password, ip=ip, via="changed", keep_session=keep_session
        )
    return errors
