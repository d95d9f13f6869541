"""A citizen registers: every field checked at once, the address throttled, the account
created with its personal data encrypted, and the email confirmation sent."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from pengaduan.accounts import fields, throttle, tokens
from pengaduan.accounts.nik import validate_nik
from pengaduan.accounts.passwords import hash_password, new_password_errors
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.errors import Checked
from pengaduan.i18n import _
from pengaduan.settings import Settings


def check_registration(data: dict[str, str]) -> Checked[None]:
    """Every field's problem at once (uniqueness is checked against the database later)."""
    values = {
        "username": fields.normalise_username(data.get("username", "")),
        "full_name": fields.normalise_name(data.get("full_name", "")),
        "nik": data.get("nik", "").strip(),
        "phone": data.get("phone", "").strip(),
        "address": data.get("address", "").strip(),
        "email": fields.normalise_email(data.get("email", "")),
    }
    checks = {
        "username": fields.username_problem(values["username"]),
        "full_name": fields.full_name_problem(values["full_name"]),
        "phone": fields.phone_problem(fields.normalise_phone(values["phone"])),
        "address": fields.address_problem(values["address"]),
        "email": fields.email_problem(values["email"]),
    }
    nik_digits, nik_problems = validate_nik(values["nik"])
    if not values["nik"]:
        checks["nik"] = _("Enter your NIK (the 16-digit number on your KTP).")
    elif nik_problems:
        checks["nik"] = " ".join(nik_problems)
    password = data.get("password", "")
    if not password:
        checks["password"] = _("Choose a password.")
    else:
        checks.update(
            new_password_errors(
                password,
                data.get("password_confirm", ""),
                username=values["username"],
                nik=nik_digits,
            )
        )
    values["nik_digits"] = nik_digits
    return Checked(values=values, errors={k: v for k, v in checks.items() if v})


async def register(
    settings: Settings, data: dict[str, str], *, language: str, ip: str
) -> Checked[None]:
    """Create a citizen account; the result carries the new id in values["id"] when ok."""
    result = check_registration(data)
    if not result.ok:
        return result
    values = result.values
    # Counted only once the database is asked: it tells whether a NIK, email or name is taken.
    if await throttle.over_limit("register", ip, result):
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
                    phone_encrypted=cipher.encrypt(fields.normalise_phone(values["phone"])),
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
                await tokens.send_confirmation(settings, user_id, values["email"], language)
    except asyncpg.UniqueViolationError:
        # Someone took the name, email or NIK between the check and the insert.
        await check_unique(result, nik_index=nik_index)
        if result.ok:
            raise
        return result
    result.values["id"] = str(user_id)
    return result


async def check_unique(
    result: Checked, *, nik_index: str | None, exclude_id: int | None = None
) -> None:
    """Note on `result` the username, email and NIK (by its blind index) already taken."""
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
            result.error("username", _("This username is taken. Choose another."))
        if values.get("email") and row["email"] == values["email"]:
            result.error("email", fields.email_taken())
        if nik_index and row["nik_index"] == nik_index:
            result.error(
                "nik",
                _("An account with this NIK exists already. Log in, or reset your password."),
            )
