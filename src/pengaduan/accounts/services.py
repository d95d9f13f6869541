"""Accounts: registration, login, email confirmation, password reset and change, profile."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import asyncpg
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from pengaduan import db
from pengaduan.accounts import throttle
from pengaduan.accounts.nik import validate_nik
from pengaduan.accounts.passwords import (
    hash_password,
    hash_password_sync,
    password_problems,
    verify_password,
)
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.i18n import _, get_locale, ngettext
from pengaduan.notifications.mail import render_mail
from pengaduan.notifications.outbox import enqueue_email
from pengaduan.settings import Settings

log = logging.getLogger(__name__)

CONFIRM_MAX_AGE = 48 * 3600
RESET_MAX_AGE = 3600
INVITE_MAX_AGE = 72 * 3600
RESET_MAILS_PER_HOUR = 3
# A hash that no password matches: accounts created by an admin until the invitation is used.
UNUSABLE_PASSWORD = "!unusable"

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,29}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9]{8,15}$")


# What sending an account mail (reset, invitation) needs to know about the user.
MAILING_COLUMNS = (
    User.id,
    User.username,
    User.full_name,
    User.email,
    User.email_confirmed_at,
    User.password_hash,
    User.language,
    User.is_active,
)


class AccountError(Exception):
    """A request that cannot be carried out; the message is for the person."""


@dataclass
class FormResult:
    """Cleaned values and, per field, what is wrong."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    # Set when refused for too many requests: try again after this many seconds.
    wait_seconds: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# --- normalising and checking fields -----------------------------------------------------


def normalise_username(value: str) -> str:
    return value.strip().lower()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    """Digits with an optional leading +; Indonesian 08… becomes +628…."""
    cleaned = re.sub(r"[\s().-]", "", value.strip())
    if cleaned.startswith("08"):
        cleaned = "+62" + cleaned[1:]
    elif cleaned.startswith("62"):
        cleaned = "+" + cleaned
    return cleaned


def username_problem(username: str) -> str | None:
    if not username:
        return _("Choose a username.")
    if not USERNAME_RE.match(username):
        return _(
            "A username has 3 to 30 characters: lowercase letters, digits, dots, dashes or "
            "underscores, starting with a letter or digit."
        )
    return None


def email_problem(email: str, *, required: bool = False) -> str | None:
    if not email:
        return _("Enter an email address.") if required else None
    if len(email) > 254 or not EMAIL_RE.match(email):
        return _("This does not look like an email address (example: nama@contoh.id).")
    return None


def phone_problem(phone: str) -> str | None:
    if not phone:
        return _("Enter a phone number.")
    if not PHONE_RE.match(phone):
        return _("Enter a phone number of 8 to 15 digits, for example 081234567890.")
    return None


def full_name_problem(name: str) -> str | None:
    if not name:
        return _("Enter your full name.")
    if len(name) > 200:
        return _("The name is too long (at most 200 characters).")
    return None


def address_problem(address: str) -> str | None:
    if not address:
        return _("Enter your address.")
    if len(address) > 500:
        return _("The address is too long (at most 500 characters).")
    return None


# --- tokens ---------------------------------------------------------------------------------


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt=f"pengaduan.{salt}")


def _password_fingerprint(password_hash: str) -> str:
    """Changes whenever the password does: a used or outdated reset link stops working."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def confirm_token(settings: Settings, user_id: int, email: str) -> str:
    return _serializer(settings, "email-confirm").dumps({"u": user_id, "e": email})


def reset_token(settings: Settings, user_id: int, password_hash: str, *, invite: bool) -> str:
    salt = "account-invite" if invite else "password-reset"
    return _serializer(settings, salt).dumps(
        {"u": user_id, "p": _password_fingerprint(password_hash)}
    )


@cache
def _dummy_hash(rounds: int) -> str:
    """Checked against when the account does not exist, so both answers take as long."""
    return hash_password_sync("not-a-real-password-for-timing", rounds)


# --- mail -----------------------------------------------------------------------------------


async def _send_confirmation(settings: Settings, user_id: int, email: str, language: str) -> None:
    user = await User.select(User.full_name).where(User.id == user_id).first()
    link = f"{settings.base_url}/konfirmasi-email/{confirm_token(settings, user_id, email)}"
    mail = render_mail(
        "confirm_email",
        {"full_name": user["full_name"], "link": link, "expires_hours": CONFIRM_MAX_AGE // 3600},
        language,
    )
    await enqueue_email(to=email, mail=mail, kind="confirm_email")


async def send_reset_mail(settings: Settings, user: dict[str, Any], *, invite: bool) -> None:
    token = reset_token(settings, user["id"], user["password_hash"], invite=invite)
    path = "undangan" if invite else "atur-ulang-sandi"
    link = f"{settings.base_url}/{path}/{token}"
    if invite:
        context = {
            "full_name": user["full_name"],
            "username": user["username"],
            "link": link,
            "expires_hours": INVITE_MAX_AGE // 3600,
        }
        mail = render_mail("account_invite", context, user["language"])
    else:
        context = {
            "full_name": user["full_name"],
            "link": link,
            "expires_minutes": RESET_MAX_AGE // 60,
        }
        mail = render_mail("password_reset", context, user["language"])
    await enqueue_email(
        to=user["email"], mail=mail, kind="account_invite" if invite else "password_reset"
    )


# --- registration ---------------------------------------------------------------------------


def check_registration(data: dict[str, str]) -> FormResult:
    """Every field's problem at once (uniqueness is checked against the database later)."""
    values = {
        "username": normalise_username(data.get("username", "")),
        "full_name": " ".join(data.get("full_name", "").split()),
        "nik": data.get("nik", "").strip(),
        "phone": data.get("phone", "").strip(),
        "address": data.get("address", "").strip(),
        "email": normalise_email(data.get("email", "")),
    }
    result = FormResult(values=values)
    checks = {
        "username": username_problem(values["username"]),
        "full_name": full_name_problem(values["full_name"]),
        "phone": phone_problem(normalise_phone(values["phone"])),
        "address": address_problem(values["address"]),
        "email": email_problem(values["email"]),
    }
    nik_digits, nik_problems = validate_nik(values["nik"])
    if not values["nik"]:
        checks["nik"] = _("Enter your NIK (the 16-digit number on your KTP).")
    elif nik_problems:
        checks["nik"] = " ".join(nik_problems)
    password = data.get("password", "")
    problems = password_problems(password, username=values["username"], nik=nik_digits)
    if not password:
        checks["password"] = _("Choose a password.")
    elif problems:
        checks["password"] = " ".join(problems)
    elif password != data.get("password_confirm", ""):
        checks["password_confirm"] = _("The two passwords are not the same.")
    result.errors = {k: v for k, v in checks.items() if v}
    result.values["nik_digits"] = nik_digits
    return result


async def register(
    settings: Settings, data: dict[str, str], *, language: str, ip: str
) -> FormResult:
    """Create a citizen account; the result carries the new id in values["id"] when ok."""
    result = check_registration(data)
    if not result.ok:
        return result
    values = result.values
    # Counted only once the database is asked: it tells whether a NIK, email or name is taken.
    busy = await requests_throttled("register", ip)
    if busy:
        result.errors["form"] = busy.error
        result.wait_seconds = busy.wait_seconds
        return result
    cipher = cipher_for(settings)
    nik_index = cipher.blind_index(values["nik_digits"])
    await check_unique(result, nik_index=nik_index)
    if not result.ok:
        return result
    try:
        async with ENGINE.transaction():
            rows = await User.insert(
                User(
                    username=values["username"],
                    email=values["email"] or None,
                    full_name=values["full_name"],
                    role="citizen",
                    password_hash=await hash_password(data["password"], settings.bcrypt_rounds),
                    nik_encrypted=cipher.encrypt(values["nik_digits"]),
                    nik_index=nik_index,
                    phone_encrypted=cipher.encrypt(normalise_phone(values["phone"])),
                    address_encrypted=cipher.encrypt(values["address"]),
                    language=language,
                    password_changed_at=datetime.now(UTC),
                )
            ).returning(User.id)
            user_id = rows[0]["id"]
            await audit.record(
                actor_id=user_id,
                action="account.register",
                target_type="user",
                target_id=user_id,
                ip=ip,
            )
            if values["email"]:
                await _send_confirmation(settings, user_id, values["email"], language)
    except asyncpg.UniqueViolationError:
        # Someone took the name, email or NIK between the check and the insert.
        await check_unique(result, nik_index=nik_index)
        if result.ok:
            raise
        return result
    result.values["id"] = str(user_id)
    return result


async def check_unique(
    result: FormResult, *, nik_index: str | None, exclude_id: int | None = None
) -> None:
    values = result.values
    others = User.select(User.id, User.username, User.email, User.nik_index)
    condition = User.username == values.get("username", "")
    if values.get("email"):
        condition = condition | (User.email == values["email"])
    if nik_index:
        condition = condition | (User.nik_index == nik_index)
    rows = await others.where(condition)
    for row in rows:
        if exclude_id is not None and row["id"] == exclude_id:
            continue
        if row["username"] == values.get("username"):
            result.errors["username"] = _("This username is taken. Choose another.")
        if values.get("email") and row["email"] == values["email"]:
            result.errors["email"] = _("An account with this email address exists already.")
        if nik_index and row["nik_index"] == nik_index:
            result.errors["nik"] = _(
                "An account with this NIK exists already. Log in, or reset your password."
            )


# --- login ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginOutcome:
    user: dict[str, Any] | None = None
    error: str | None = None
    wait_seconds: int | None = None


def _wait_message(seconds: int) -> str:
    if seconds >= 60:
        return ngettext(
            "Too many failed attempts. Try again in %(num)d minute.",
            "Too many failed attempts. Try again in %(num)d minutes.",
            (seconds + 59) // 60,
        )
    return ngettext(
        "Too many failed attempts. Try again in %(num)d second.",
        "Too many failed attempts. Try again in %(num)d seconds.",
        seconds,
    )


def _busy_message(seconds: int) -> str:
    if seconds >= 60:
        return ngettext(
            "Too many requests from your network. Try again in %(num)d minute.",
            "Too many requests from your network. Try again in %(num)d minutes.",
            (seconds + 59) // 60,
        )
    return ngettext(
        "Too many requests from your network. Try again in %(num)d second.",
        "Too many requests from your network. Try again in %(num)d seconds.",
        seconds,
    )


@dataclass(frozen=True)
class Refusal:
    """Too many requests: what to tell the person, and when they may try again."""

    error: str
    wait_seconds: int


async def requests_throttled(kind: str, ip: str) -> Refusal | None:
    """Count a registration or reset request from `ip`; the refusal when over the limit."""
    throttled = await throttle.count_request(kind, ip)
    if throttled is None:
        return None
    return Refusal(error=_busy_message(throttled.seconds), wait_seconds=throttled.seconds)


async def authenticate(
    settings: Settings, identifier: str, password: str, *, ip: str
) -> LoginOutcome:
    """Check a username-or-email and password, with throttling; same answer for unknown users."""
    identifier = identifier.strip().lower()
    if not identifier or not password:
        return LoginOutcome(error=_("Enter your username or email and your password."))
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
        seconds = attempt.refused.seconds
        return LoginOutcome(error=_wait_message(seconds), wait_seconds=seconds)
    if user is None:
        await verify_password(password, _dummy_hash(settings.bcrypt_rounds))
        ok = False
    else:
        ok = await verify_password(password, user["password_hash"])
        if ok and not user["is_active"]:
            # Told only to whoever knows the password: a guesser learns nothing of the account.
            return LoginOutcome(
                error=_(
                    "Your account has been deactivated. Contact the service desk or an "
                    "administrator to have it reactivated."
                )
            )
    if not ok:
        throttled = attempt.wait_if_wrong
        if throttled:
            return LoginOutcome(
                error=_wait_message(throttled.seconds), wait_seconds=throttled.seconds
            )
        return LoginOutcome(error=_("The username/email or password is wrong."))
    await throttle.login_succeeded(attempt)
    await User.update({User.last_login_at: datetime.now(UTC)}).where(User.id == user["id"])
    await audit.record(
        actor_id=user["id"], action="account.login", target_type="user", target_id=user["id"], ip=ip
    )
    return LoginOutcome(user=user)


# --- email confirmation ---------------------------------------------------------------------


async def email_to_confirm(settings: Settings, token: str) -> str:
    """The address a confirmation link would confirm, changing nothing (the link's page asks
    for a press of its button: a GET must not confirm, mail scanners open links)."""
    return (await _confirmation(settings, token))["email"]


async def confirm_email(settings: Settings, token: str) -> str:
    """Confirm the address in the token; returns a message for the person."""
    user = await _confirmation(settings, token)
    if user["email_confirmed_at"] is None:
        await User.update({User.email_confirmed_at: datetime.now(UTC)}).where(User.id == user["id"])
        await audit.record(
            actor_id=user["id"],
            action="account.email_confirmed",
            target_type="user",
            target_id=user["id"],
        )
    return _("Your email address %(email)s is confirmed.", email=user["email"])


async def _confirmation(settings: Settings, token: str) -> dict[str, Any]:
    """The user a confirmation token names, if it is valid and their address still the same."""
    try:
        data = _serializer(settings, "email-confirm").loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        raise AccountError(
            _("This confirmation link has expired. Log in and ask for a new one.")
        ) from None
    except BadSignature:
        raise AccountError(_("This confirmation link is not valid.")) from None
    user = (
        await User.select(User.id, User.email, User.email_confirmed_at)
        .where(User.id == data["u"])
        .first()
    )
    if user is None or user["email"] != data["e"]:
        raise AccountError(_("This confirmation link is for an address that is no longer in use."))
    return user


async def resend_confirmation(settings: Settings, user_id: int) -> None:
    user = (
        await User.select(User.email, User.email_confirmed_at, User.language)
        .where(User.id == user_id)
        .first()
    )
    if not user or not user["email"] or user["email_confirmed_at"] is not None:
        raise AccountError(_("There is no unconfirmed email address on your account."))
    async with ENGINE.transaction():
        await _send_confirmation(settings, user_id, user["email"], user["language"])


# --- password reset and change --------------------------------------------------------------


async def _recent_reset_mails(email: str) -> int:
    rows = await User.raw(
        "SELECT count(*) AS n FROM outbox WHERE recipient = {} AND payload->>'kind' IN "
        "('password_reset', 'confirm_email') AND created_at > now() - interval '1 hour'",
        email,
    )
    return rows[0]["n"]


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
        await User.select(*MAILING_COLUMNS, User.phone_encrypted)
        .where(column == identifier)
        .first()
    )
    if user is None or not user["is_active"]:
        return
    if not user["email"]:
        # Registered without email: a code by SMS when there is a gateway; otherwise the
        # reset page sends them to the service desk with their KTP.
        if settings.sms_enabled and user["phone_encrypted"]:
            from pengaduan.accounts import reset_codes

            async with ENGINE.transaction():
                await reset_codes.send_sms_code(settings, user, ip=ip)
        return
    if await _recent_reset_mails(user["email"]) >= RESET_MAILS_PER_HOUR:
        return
    async with ENGINE.transaction():
        if user["email_confirmed_at"] is None:
            await _send_confirmation(settings, user["id"], user["email"], user["language"])
        else:
            await send_reset_mail(settings, user, invite=user["password_hash"] == UNUSABLE_PASSWORD)
        await audit.record(
            actor_id=None,
            action="account.reset_requested",
            target_type="user",
            target_id=user["id"],
            ip=ip,
        )


async def user_for_reset_token(
    settings: Settings, token: str, *, invite: bool = False
) -> dict[str, Any]:
    """The account a reset (or invitation) link is for, or AccountError."""
    salt, max_age = (
        ("account-invite", INVITE_MAX_AGE) if invite else ("password-reset", RESET_MAX_AGE)
    )
    try:
        data = _serializer(settings, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise AccountError(_("This link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise AccountError(_("This link is not valid.")) from None
    user = (
        await User.select(
            User.id, User.username, User.full_name, User.password_hash, User.is_active, User.role
        )
        .where(User.id == data["u"])
        .first()
    )
    if (
        user is None
        or not user["is_active"]
        or _password_fingerprint(user["password_hash"]) != data["p"]
    ):
        raise AccountError(_("This link has been used already or is no longer valid."))
    return user


async def set_password(
    settings: Settings,
    user: dict[str, Any],
    password: str,
    confirm: str,
    *,
    ip: str,
    via: str,
) -> dict[str, str]:
    """Set a new password (after the policy); ends every session of the account.

    Returns field errors (empty when done).
    """
    problems = password_problems(password, username=user["username"])
    if problems:
        return {"password": " ".join(problems)}
    if password != confirm:
        return {"password_confirm": _("The two passwords are not the same.")}
    from pengaduan.accounts.sessions import end_user_sessions

    new_hash = await hash_password(password, settings.bcrypt_rounds)
    now = datetime.now(UTC)
    changes: dict[Any, Any] = {User.password_hash: new_hash, User.password_changed_at: now}
    if via == "invite":
        # The invitation arrived by mail: the address is proven. The account takes the
        # language its owner uses, not the one the admin happened to create it in.
        changes[User.email_confirmed_at] = now
        changes[User.language] = get_locale()
    async with ENGINE.transaction():
        await User.update(changes).where(User.id == user["id"])
        await end_user_sessions(user["id"])
        await audit.record(
            actor_id=user["id"],
            action=f"account.password_{via}",
            target_type="user",
            target_id=user["id"],
            ip=ip,
        )
    return {}


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
    from pengaduan.accounts.sessions import end_user_sessions

    user = (
        await User.select(User.id, User.username, User.password_hash)
        .where(User.id == user_id)
        .first()
    )
    if not await verify_password(current, user["password_hash"]):
        return {"current_password": _("The current password is wrong.")}
    problems = password_problems(password, username=user["username"])
    if problems:
        return {"password": " ".join(problems)}
    if password != confirm:
        return {"password_confirm": _("The two passwords are not the same.")}
    new_hash = await hash_password(password, settings.bcrypt_rounds)
    async with ENGINE.transaction():
        await User.update(
            {User.password_hash: new_hash, User.password_changed_at: datetime.now(UTC)}
        ).where(User.id == user_id)
        await end_user_sessions(user_id, keep=keep_session)
        await audit.record(
            actor_id=user_id,
            action="account.password_changed",
            target_type="user",
            target_id=user_id,
            ip=ip,
        )
    return {}


# --- profile --------------------------------------------------------------------------------


def mask_nik(nik: str | None) -> str:
    if not nik:
        return ""
    return nik[:4] + "•" * 8 + nik[-4:]


_PROFILE_SQL = """
SELECT u.id, u.username, u.full_name, u.email, u.email_confirmed_at, u.role, u.nip,
       u.language, u.nik_encrypted, u.phone_encrypted, u.address_encrypted,
       un.name AS unit_name, u.created_at
FROM users u LEFT JOIN units un ON un.id = u.unit
WHERE u.id = $1
"""
# The account page: the account and its live sessions (newest activity first) in one round
# trip, a row per session (the account's columns repeated; none when it has no session).
_PROFILE_AND_SESSIONS_SQL = """
SELECT u.id, u.username, u.full_name, u.email, u.email_confirmed_at, u.role, u.nip,
       u.language, u.nik_encrypted, u.phone_encrypted, u.address_encrypted,
       un.name AS unit_name, u.created_at,
       s.id_hash AS s_id_hash, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at,
       s.ip AS s_ip, s.user_agent AS s_user_agent
FROM users u
LEFT JOIN units un ON un.id = u.unit
LEFT JOIN sessions s ON s."user" = u.id AND s.expires_at > $2
WHERE u.id = $1
ORDER BY s.last_seen_at DESC
"""
_PROFILE_COLUMNS = (
    "id",
    "username",
    "full_name",
    "email",
    "email_confirmed_at",
    "role",
    "nip",
    "language",
    "unit_name",
    "created_at",
)
_SESSION_COLUMNS = ("id_hash", "created_at", "last_seen_at", "ip", "user_agent")


def _account(settings: Settings, row: Any) -> dict[str, Any]:
    account = {name: row[name] for name in _PROFILE_COLUMNS}
    cipher = cipher_for(settings)
    account["nik_masked"] = mask_nik(cipher.decrypt(row["nik_encrypted"]))
    account["phone"] = cipher.decrypt(row["phone_encrypted"]) or ""
    account["address"] = cipher.decrypt(row["address_encrypted"]) or ""
    # What a citizen's stored profile lacks (accounts written before phone and address were
    # asked, or by hand): the edit form needs both, so the page says so before the first save.
    account["missing"] = (
        [name for name in ("phone", "address") if not account[name]]
        if account["role"] == "citizen"
        else []
    )
    return account


async def profile(settings: Settings, user_id: int) -> dict[str, Any]:
    """The account as its owner sees it (personal data decrypted)."""
    # Straight through asyncpg (see db.fetch): the account page asks it every time.
    rows = await db.fetch(_PROFILE_SQL, user_id)
    return _account(settings, rows[0])


async def profile_and_sessions(
    settings: Settings, user_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`profile` and the account's unexpired sessions (id_hash, created_at, last_seen_at,
    ip, user_agent), most recently active first, in one query: what the account page shows."""
    rows = await db.fetch(_PROFILE_AND_SESSIONS_SQL, user_id, datetime.now(UTC))
    found = [
        {name: row["s_" + name] for name in _SESSION_COLUMNS}
        for row in rows
        if row["s_id_hash"] is not None
    ]
    return _account(settings, rows[0]), found


async def update_profile(
    settings: Settings, user_id: int, data: dict[str, str], *, ip: str
) -> FormResult:
    """Edit name, contact and address; a new email address must be confirmed again."""
    current = await profile(settings, user_id)
    values = {
        "full_name": " ".join(data.get("full_name", "").split()),
        "email": normalise_email(data.get("email", "")),
        "phone": data.get("phone", "").strip(),
        "address": data.get("address", "").strip(),
    }
    result = FormResult(values=values)
    citizen = current["role"] == "citizen"
    checks = {
        "full_name": full_name_problem(values["full_name"]),
        "email": email_problem(values["email"], required=not citizen),
    }
    if citizen:
        checks["phone"] = phone_problem(normalise_phone(values["phone"]))
        checks["address"] = address_problem(values["address"])
        # Left empty because there was nothing stored to keep: say what the profile lacks,
        # not merely that a field is required.
        if "phone" in current["missing"] and not values["phone"]:
            checks["phone"] = _("Your profile has no phone number yet: enter one to save.")
        if "address" in current["missing"] and not values["address"]:
            checks["address"] = _("Your profile has no address yet: enter it to save.")
    result.errors = {k: v for k, v in checks.items() if v}
    if not result.ok:
        return result
    if values["email"] and values["email"] != current["email"]:
        taken = await User.exists().where((User.email == values["email"]) & (User.id != user_id))
        if taken:
            result.errors["email"] = _("An account with this email address exists already.")
            return result
    cipher = cipher_for(settings)
    changes: dict[Any, Any] = {
        User.full_name: values["full_name"],
        User.email: values["email"] or None,
        User.updated_at: datetime.now(UTC),
    }
    if citizen:
        changes[User.phone_encrypted] = cipher.encrypt(normalise_phone(values["phone"]))
        changes[User.address_encrypted] = cipher.encrypt(values["address"])
    email_changed = (values["email"] or None) != current["email"]
    if email_changed:
        changes[User.email_confirmed_at] = None
    async with ENGINE.transaction():
        await User.update(changes).where(User.id == user_id)
        await audit.record(
            actor_id=user_id,
            action="account.profile_updated",
            target_type="user",
            target_id=user_id,
            ip=ip,
            data={"email_changed": email_changed},
        )
        if email_changed and values["email"]:
            await _send_confirmation(settings, user_id, values["email"], current["language"])
    result.values["email_changed"] = "1" if email_changed and values["email"] else ""
    return result


async def set_language(user_id: int, language: str) -> None:
    await User.update({User.language: language}).where(User.id == user_id)
