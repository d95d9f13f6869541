"""Creating an administrator from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

from pengaduan.accounts.fields import normalise_email, normalise_username
from pengaduan.accounts.passwords import hash_password, password_problems
from pengaduan.accounts.tables import User
from pengaduan.db import ENGINE
from pengaduan.settings import Settings


class AdminError(Exception):
    """The admin cannot be created as asked."""


async def create_admin(
    settings: Settings, *, username: str, full_name: str, email: str | None, password: str
) -> int:
    username = normalise_username(username)
    email = normalise_email(email) if email else None
    if not username or not full_name.strip():
        raise AdminError("username and full name are required")
    problems = password_problems(password, username=username)
    if problems:
        raise AdminError(" ".join(problems))
    await ENGINE.start_connection_pool(min_size=1, max_size=2)
    try:
        if await User.exists().where(User.username == username):
            raise AdminError(f"a user named {username!r} exists already")
        if email and await User.exists().where(User.email == email):
            raise AdminError(f"a user with email {email!r} exists already")
        rows = await User.insert(
            User(
                username=username,
                full_name=full_name.strip(),
                email=email,
                # Whoever runs this command has the mailbox in hand.
                email_confirmed_at=datetime.now(UTC) if email else None,
                password_changed_at=datetime.now(UTC),
                role="admin",
                password_hash=await hash_password(password, settings.bcrypt_rounds),
            )
        ).returning(User.id)
        return rows[0]["id"]
    finally:
        await ENGINE.close_connection_pool()
