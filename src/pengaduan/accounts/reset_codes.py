"""Password reset without email: one-time codes sent by SMS (with a gateway configured) or
handed over at the service desk by an officer who checked the citizen's KTP against the NIK.

A code is only a licence to set a new password (on /lupa-sandi/kode): the citizen chooses the
password themselves, so no temporary password ever exists. Only a keyed hash of the code is
stored (six digits are brute-forced in no time from a plain hash); each code takes
MAX_ATTEMPTS tries, and the tries per client address are throttled (accounts/throttle.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db, i18n
from pengaduan.accounts import throttle
from pengaduan.accounts.nik import normalise_nik
from pengaduan.accounts.password_change import store_password
from pengaduan.accounts.passwords import new_password_errors
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.accounts.tables import PasswordResetCode, User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.errors import INVALID, Checked, Refused
from pengaduan.i18n import _
from pengaduan.notifications.outbox import enqueue_sms
from pengaduan.settings import Settings

SMS_DIGITS = 6
SMS_LIFETIME = timedelta(minutes=15)
DESK_DIGITS = 8
DESK_LIFETIME = timedelta(hours=24)
MAX_ATTEMPTS = 5
SMS_CODES_PER_HOUR = 3


def _hash(settings: Settings, user_id: int, code: str) -> str:
    message = f"password-reset-code:{user_id}:{code}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _new_code(digits: int) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def normalise_code(raw: str) -> str:
    """The digits of a typed code (people type it in groups, "1234 5678")."""
    return "".join(ch for ch in (raw or "") if ch.isascii() and ch.isdigit())[:16]


async def _issue(
    settings: Settings, user_id: int, channel: str, *, issued_by: int | None = None
) -> tuple[str, datetime]:
    """A new code for the user (any earlier one still open is spent); the caller's transaction."""
    digits, lifetime = (
        (SMS_DIGITS, SMS_LIFETIME) if channel == "sms" else (DESK_DIGITS, DESK_LIFETIME)
    )
    code = _new_code(digits)
    now = datetime.now(UTC)
    await PasswordResetCode.update({PasswordResetCode.used_at: now}).where(
        (PasswordResetCode.user == user_id) & PasswordResetCode.used_at.is_null()
    )
    await PasswordResetCode.insert(
        PasswordResetCode(
            user=user_id,
            code_hash=_hash(settings, user_id, code),
            channel=channel,
            attempts=0,
            created_at=now,
            expires_at=now + lifetime,
            issued_by=issued_by,
        )
    )
    return code, now + lifetime


# --- by SMS -----------------------------------------------------------------------------------


async def send_sms_code(settings: Settings, user: dict[str, Any], *, ip: str) -> bool:
    """Text a code to the user's phone (in their language); False when they had their
    SMS_CODES_PER_HOUR already. Runs in the caller's transaction."""
    recent = await PasswordResetCode.count().where(
        (PasswordResetCode.user == user["id"])
        & (PasswordResetCode.channel == "sms")
        & (PasswordResetCode.created_at > datetime.now(UTC) - timedelta(hours=1))
    )
    if recent >= SMS_CODES_PER_HOUR:
        return False
    code, _expires = await _issue(settings, user["id"], "sms")
    previous = i18n.get_locale()
    i18n.set_locale(user["language"])
    try:
        text = _(
            "Pengaduan: your code to set a new password is %(code)s (valid %(minutes)d "
            "minutes). Never give it to anyone.",
            code=code,
            minutes=int(SMS_LIFETIME.total_seconds() // 60),
        )
    finally:
        i18n.set_locale(previous)
    await enqueue_sms(user_id=user["id"], text=text, kind="password_reset_code")
    await audit.record(
        actor_id=None,
        action="account.reset_code_sent",
        target_type="user",
        target_id=user["id"],
        ip=ip,
    )
    return True


# --- redeeming a code -------------------------------------------------------------------------

_OPEN_CODE = """
UPDATE password_reset_codes SET attempts = attempts + 1
WHERE id = (
    SELECT c.id FROM password_reset_codes c
    WHERE c."user" = $1 AND c.used_at IS NULL AND c.expires_at > now() AND c.attempts < $2
    ORDER BY c.created_at DESC LIMIT 1
)
RETURNING id, code_hash, channel
"""


_GIVE_BACK = "UPDATE password_reset_codes SET attempts = greatest(attempts - 1, 0) WHERE id = $1"


def _wrong(result: Checked[None]) -> Checked[None]:
    result.error("code", _("The username or the code is wrong, or the code has expired."))
    return result


async def redeem(
    settings: Settings,
    identifier: str,
    code: str,
    password: str,
    confirm: str,
    *,
    ip: str,
) -> Checked[None]:
    """Set a new password with a code; the result has the identifier and code as typed and
    the field errors (none: the password is set), or the wait after too many tries. Every try
    counts against the code (at most MAX_ATTEMPTS) and the address (throttle); an unknown
    user gets the same answer."""
    result: Checked[None] = Checked(values={"identifier": identifier, "code": code})
    if await throttle.over_limit("reset_code", ip, result):
        return result
    identifier = identifier.strip().lower()
    code = normalise_code(code)
    if not identifier or not code:
        return _wrong(result)
    column = User.email if "@" in identifier else User.username
    user = (
        await User.select(User.id, User.username, User.is_active)
        .where(column == identifier)
        .first()
    )
    # An unknown or inactive account runs the same statement (matching nothing): the answer
    # takes as long as for an account whose code is wrong.
    known = user is not None and user["is_active"]
    # Counted before it is compared, in one statement: simultaneous tries cannot pass the limit.
    opened = await db.fetchrow(_OPEN_CODE, user["id"] if known else 0, MAX_ATTEMPTS)
    if not known:
        return _wrong(result)
    if opened is None or not hmac.compare_digest(
        opened["code_hash"], _hash(settings, user["id"], code)
    ):
        return _wrong(result)
    result.errors = new_password_errors(password, confirm, username=user["username"])
    if not result.ok:
        # The code was right: a password the policy refuses is no try.
        await db.execute(_GIVE_BACK, opened["id"])
        return result
    async with ENGINE.transaction():
        claimed = (
            await PasswordResetCode.update({PasswordResetCode.used_at: datetime.now(UTC)})
            .where((PasswordResetCode.id == opened["id"]) & PasswordResetCode.used_at.is_null())
            .returning(PasswordResetCode.id)
        )
        if not claimed:  # used by a simultaneous request
            return _wrong(result)
        await store_password(settings, user["id"], password, ip=ip, via=f"code_{opened['channel']}")
    return result


# --- at the service desk ----------------------------------------------------------------------


async def desk_account(settings: Settings, typed: str) -> dict[str, Any] | None:
    """The citizen account an officer looks up by its exact username, or by the NIK on the
    KTP for someone who forgot the username too (no listing of people)."""
    name = typed.strip().lower()
    if not name:
        return None
    nik = normalise_nik(name)
    if len(nik) == 16 and nik.isascii() and nik.isdigit():
        where = User.nik_index == cipher_for(settings).blind_index(nik)
    else:
        where = User.username == name
    return (
        await User.select(User.id, User.username, User.full_name, User.created_at, User.is_active)
        .where(where & (User.role == "citizen"))
        .first()
    )


async def desk_account_by_id(user_id: int) -> dict[str, Any] | None:
    return (
        await User.select(User.id, User.username, User.full_name, User.created_at, User.is_active)
        .where((User.id == user_id) & (User.role == "citizen"))
        .first()
    )


@dataclass(frozen=True)
class DeskCode:
    """A code handed over at the desk, shown to the officer once."""

    code: str
    expires_at: datetime


async def desk_reset(
    settings: Settings, *, officer_id: int, user_id: int, nik: str, ip: str
) -> DeskCode | None:
    """Hand a code to the citizen standing at the desk once the NIK on their KTP, typed by the
    officer, matches the account's; else Refused (INVALID, about the field "nik"). Both
    outcomes are audited. None: no such citizen."""
    user = (
        await User.select(User.id, User.nik_index, User.is_active)
        .where((User.id == user_id) & (User.role == "citizen"))
        .first()
    )
    if user is None:
        return None
    typed = normalise_nik(nik)
    if not (len(typed) == 16 and typed.isascii() and typed.isdigit()):
        raise Refused(
            _("Type the 16 digits of the NIK on the citizen's KTP."), INVALID, field="nik"
        )
    index = cipher_for(settings).blind_index(typed)
    if not user["is_active"] or not hmac.compare_digest(index, user["nik_index"] or ""):
        await audit.record(
            actor_id=officer_id,
            action="account.desk_reset_refused",
            target_type="user",
            target_id=user_id,
            ip=ip,
        )
        message = _("The NIK does not match this account. No code was given.")
        if not user["is_active"]:
            message = _("This account is deactivated. No code was given.")
        raise Refused(message, INVALID, field="nik")
    async with ENGINE.transaction():
        code, expires_at = await _issue(settings, user_id, "desk", issued_by=officer_id)
        await audit.record(
            actor_id=officer_id,
            action="account.desk_reset",
            target_type="user",
            target_id=user_id,
            data={"expires_at": expires_at.isoformat(timespec="seconds")},
            ip=ip,
        )
    return DeskCode(code=code, expires_at=expires_at)
