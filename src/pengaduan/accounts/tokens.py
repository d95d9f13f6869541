"""Signed links sent by mail: email confirmation, password reset and the invitation to a new
staff account; the mails that carry them, and confirming an address with one.

A reset or invitation link names the account and a fingerprint of its password hash, so it
stops working once the password changes (used, or outdated by a newer one). Nothing is stored.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.errors import CONFLICT, INVALID, Refused
from pengaduan.i18n import _
from pengaduan.notifications.mail import render_mail
from pengaduan.notifications.outbox import enqueue_email
from pengaduan.settings import Settings

# Where the links lead: the routes that open them are declared on these paths, so a mail and
# the page it links to cannot drift apart (services have no request to ask `url_for`).
CONFIRM_PATH = "/konfirmasi-email"
RESET_PATH = "/atur-ulang-sandi"
INVITE_PATH = "/undangan"

CONFIRM_MAX_AGE = 48 * 3600
RESET_MAX_AGE = 3600
INVITE_MAX_AGE = 72 * 3600
# A hash that no password matches: accounts created by an admin until the invitation is used.
UNUSABLE_PASSWORD = "!unusable"

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


# --- the mails ------------------------------------------------------------------------------


async def send_confirmation(settings: Settings, user_id: int, email: str, language: str) -> None:
    """Queue the mail with the link that confirms `email` (in the caller's transaction)."""
    user = await User.select(User.full_name).where(User.id == user_id).first()
    link = f"{settings.base_url}{CONFIRM_PATH}/{confirm_token(settings, user_id, email)}"
    mail = render_mail(
        "confirm_email",
        {"full_name": user["full_name"], "link": link, "expires_hours": CONFIRM_MAX_AGE // 3600},
        language,
    )
    await enqueue_email(to=email, mail=mail, kind="confirm_email")


async def send_reset_mail(settings: Settings, user: dict[str, Any], *, invite: bool) -> None:
    """Queue a reset link, or an invitation to a new account (`user` has MAILING_COLUMNS)."""
    token = reset_token(settings, user["id"], user["password_hash"], invite=invite)
    link = f"{settings.base_url}{INVITE_PATH if invite else RESET_PATH}/{token}"
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
        raise Refused(
            _("This confirmation link has expired. Log in and ask for a new one."), INVALID
        ) from None
    except BadSignature:
        raise Refused(_("This confirmation link is not valid."), INVALID) from None
    user = (
        await User.select(User.id, User.email, User.email_confirmed_at)
        .where(User.id == data["u"])
        .first()
    )
    if user is None or user["email"] != data["e"]:
        raise Refused(
            _("This confirmation link is for an address that is no longer in use."), CONFLICT
        )
    return user


async def resend_confirmation(settings: Settings, user_id: int) -> None:
    user = (
        await User.select(User.email, User.email_confirmed_at, User.language)
        .where(User.id == user_id)
        .first()
    )
    if not user or not user["email"] or user["email_confirmed_at"] is not None:
        raise Refused(_("There is no unconfirmed email address on your account."), CONFLICT)
    async with ENGINE.transaction():
        await send_confirmation(settings, user_id, user["email"], user["language"])


# --- reset and invitation links -------------------------------------------------------------


async def user_for_reset_token(
    settings: Settings, token: str, *, invite: bool = False
) -> dict[str, Any]:
    """The account a reset (or invitation) link is for, or Refused."""
    salt, max_age = (
        ("account-invite", INVITE_MAX_AGE) if invite else ("password-reset", RESET_MAX_AGE)
    )
    try:
        data = _serializer(settings, salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Refused(_("This link has expired. Ask for a new one."), INVALID) from None
    except BadSignature:
        raise Refused(_("This link is not valid."), INVALID) from None
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
        raise Refused(_("This link has been used already or is no longer valid."), CONFLICT)
    return user
