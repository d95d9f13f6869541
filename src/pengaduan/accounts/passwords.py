"""Passwords: hashing with bcrypt (cost from settings, off the event loop) and the policy,
written once for every way a password is chosen."""

from __future__ import annotations

import asyncio
from functools import cache
from importlib import resources

import bcrypt

from pengaduan.accounts.nik import normalise_nik
from pengaduan.i18n import _

# bcrypt only reads the first 72 bytes; longer passwords are pre-hashed so every byte counts.
_MAX_BCRYPT_BYTES = 72


def _prepare(password: str) -> bytes:
    raw = password.encode("utf-8")
    if len(raw) > _MAX_BCRYPT_BYTES:
        import base64
        import hashlib

        raw = base64.b64encode(hashlib.sha256(raw).digest())
    return raw


def hash_password_sync(password: str, rounds: int) -> str:
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(rounds=rounds)).decode("ascii")


def verify_password_sync(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prepare(password), password_hash.encode("ascii"))
    except ValueError:
        return False


async def hash_password(password: str, rounds: int) -> str:
    return await asyncio.to_thread(hash_password_sync, password, rounds)


async def verify_password(password: str, password_hash: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, password, password_hash)


# --- the password policy -----------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10
COMMON_PASSWORDS_FILE = "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower-cased), read once per process."""
    text = (
        resources.files("pengaduan.accounts")
        .joinpath("data", COMMON_PASSWORDS_FILE)
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, username: str = "", nik: str = "") -> list[str]:
    """A translated message for each way `password` breaks the policy (none: acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(
            _(
                "The password must have at least %(minimum)d characters; yours has %(count)d.",
                minimum=MIN_PASSWORD_LENGTH,
                count=len(password),
            )
        )
    folded = password.strip().casefold()
    if folded in common_passwords():
        problems.append(
            _(
                "This password is one of the most common ones, which attackers try first; "
                "please choose another."
            )
        )
    if username.strip() and folded == username.strip().casefold():
        problems.append(_("The password must not be the same as your username."))
    nik_digits = normalise_nik(nik)
    # Anyone who sees the KTP (a photocopy is handed over everywhere) knows the NIK, so a
    # password built around it is no secret, however the NIK is grouped inside it.
    if nik_digits and (folded == nik.strip().casefold() or nik_digits in normalise_nik(password)):
        problems.append(_("The password must not be or contain your NIK."))
    return problems


def new_password_errors(
    password: str, confirm: str, *, username: str = "", nik: str = ""
) -> dict[str, str]:
    """What is wrong with a new password and its confirmation, per form field (none: it may
    be set): the policy first, then whether the two agree. Every way of choosing a password
    (registration, reset link, code, change) asks this, once."""
    problems = password_problems(password, username=username, nik=nik)
    if problems:
        return {"password": " ".join(problems)}
    if password != confirm:
        return {"password_confirm": _("The two passwords are not the same.")}
    return {}
