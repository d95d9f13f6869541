"""Who filed a complaint that came from outside the web form (Open311, mail, WhatsApp/SMS):
the account with that confirmed email address, or else a *contact-only reporter*.

A contact-only reporter is a citizen user that cannot log in (no usable password), made the
first time an address complains and found again by the keyed hash of that address
(`users.contact_key`), so all their complaints, answers and status notifications hang off one
person exactly as an account's do. The email is kept as the account's email (a person who
later wants an account asks for a password reset at that address and gets this one); the
phone is encrypted like an account's. The hash is keyed (the NIK's blind-index key): an
address list cannot be hashed to see who complained.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from pengaduan import db
from pengaduan.accounts.fields import (
    email_problem,
    normalise_email,
    normalise_name,
    normalise_phone,
    phone_problem,
)
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings

NAME_MAX = 200
# Never a valid bcrypt hash: the password check fails for it (passwords.verify_password_sync).
NO_PASSWORD = "!"


@dataclass(frozen=True)
class Reporter:
    user_id: int
    # A registered account (False: a contact-only reporter).
    is_account: bool


_ACCOUNT_SQL = """
SELECT id FROM users
WHERE email = $1 AND email_confirmed_at IS NOT NULL AND is_active AND contact_key IS NULL
"""

_FIND_SQL = (
    "SELECT id, email, email_confirmed_at, phone_encrypted FROM users WHERE contact_key = $1"
)

# An unconfirmed account may hold the address: then the reporter keeps it only as its key.
_CREATE_SQL = """
INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name, role,
    phone_encrypted, language, is_active, created_at, updated_at, contact_key)
VALUES ($1, CASE WHEN NOT EXISTS (SELECT 1 FROM users WHERE email = $2::varchar)
              THEN $2::varchar END,
    CASE WHEN $3::boolean AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2::varchar)
         THEN $6::timestamptz END,
    $4, $5, 'citizen', $7, $8, true, $6::timestamptz, $6::timestamptz, $9)
ON CONFLICT (contact_key) DO NOTHING
RETURNING id
"""


def contact_key(settings: Settings, *, email: str | None, phone: str | None) -> str:
    """The keyed hash a contact-only reporter is found by (the email before the phone)."""
    value = f"email:{email}" if email else f"phone:{phone}"
    return cipher_for(settings).keyed_hash(value)


def _cleaned(email: str | None, phone: str | None) -> tuple[str | None, str | None]:
    email = normalise_email(email) if email else None
    phone = normalise_phone(phone) if phone else None
    if email:
        problem = email_problem(email, required=True)
        if problem:
            raise Refused(problem, INVALID, field="email")
    if phone:
        problem = phone_problem(phone)
        if problem:
            raise Refused(problem, INVALID, field="phone")
    if not email and not phone:
        raise Refused(_("Give an email address or a phone number."), INVALID, field="email")
    return email, phone


async def reporter_for(
    *,
    email: str | None = None,
    phone: str | None = None,
    name: str = "",
    confirmed: bool = False,
    language: str = "id",
    settings: Settings,
) -> Reporter:
    """The account with this confirmed email, or the contact-only reporter of this address
    (created when new). `confirmed`: the person proved the email address (they sent the mail
    from it), so status mails may go to it. Refused(INVALID) for a malformed address."""
    email, phone = _cleaned(email, phone)
    if email:
        account = await db.fetchval(_ACCOUNT_SQL, email)
        if account is not None:
            return Reporter(account, True)
    key = contact_key(settings, email=email, phone=phone)
    found = await db.fetchrow(_FIND_SQL, key)
    if found is not None:
        await _complete(found, email, phone, confirmed, settings)
        return Reporter(found["id"], False)
    full_name = normalise_name(name)[:NAME_MAX] or _("Reporter without an account")
    now = datetime.now(UTC)
    phone_encrypted = cipher_for(settings).encrypt(phone) if phone else None
    for _attempt in range(3):
        username = f"kontak-{secrets.token_hex(6)}"
        try:
            created = await db.fetchval(
                _CREATE_SQL,
                username,
                email,
                confirmed,
                NO_PASSWORD,
                full_name,
                now,
                phone_encrypted,
                language,
                key,
            )
        except asyncpg.UniqueViolationError as exc:
            # A clashing generated name, or an account that took the email meanwhile: try
            # again (the email then stays out).
            if any(c in (exc.constraint_name or "") for c in ("username", "email")):
                continue
            raise
        if created is None:
            # Created by a request at the same moment: that one is the reporter.
            created = await db.fetchval("SELECT id FROM users WHERE contact_key = $1", key)
        return Reporter(created, False)
    raise RuntimeError("could not name a contact-only reporter")


async def _complete(
    found: asyncpg.Record,
    email: str | None,
    phone: str | None,
    confirmed: bool,
    settings: Settings,
) -> None:
    """A known reporter who now also proves their email, or gives a phone they lacked."""
    if email and confirmed and found["email"] == email and found["email_confirmed_at"] is None:
        await db.execute("UPDATE users SET email_confirmed_at = now() WHERE id = $1", found["id"])
    if phone and found["phone_encrypted"] is None:
        await db.execute(
            "UPDATE users SET phone_encrypted = $2 WHERE id = $1",
            found["id"],
            cipher_for(settings).encrypt(phone),
        )
