"""The fields of an account: how each is normalised and what makes it wrong (no database)."""

from __future__ import annotations

import re

from pengaduan.i18n import _

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,29}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9]{8,15}$")


def normalise_username(value: str) -> str:
    return value.strip().lower()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_name(value: str) -> str:
    """A full name with its runs of whitespace made single spaces."""
    return " ".join(value.split())


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


def email_taken() -> str:
    return _("An account with this email address exists already.")
