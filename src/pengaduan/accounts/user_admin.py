"""Admin user management: list and search, create staff, change role, (de)activate, reset links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pengaduan.accounts import fields, tokens
from pengaduan.accounts.registration import check_unique
from pengaduan.accounts.sessions import end_user_sessions
from pengaduan.accounts.tables import ROLES, User
from pengaduan.agency.tables import Unit
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.errors import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Checked, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings
from pengaduan.web.values import page_number, record_id, text

PAGE_SIZE = 25
NIP_RE = re.compile(r"^[0-9]{18}$")


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""
    status: str = ""  # "", "active", "inactive"
    unit: int | None = None
    page: int = 1

    @classmethod
    def from_query(cls, params: dict[str, str]) -> UserFilters:
        role = params.get("role", "")
        status = params.get("status", "")
        return cls(
            # A search that cannot be stored cannot match: it is left out.
            q=(text(params.get("q"), limit=100) or "").strip(),
            role=role if role in ROLES else "",
            status=status if status in ("active", "inactive") else "",
            unit=record_id(params.get("unit")),
            page=page_number(params.get("page")),
        )

    def query_string(self, **changes: Any) -> str:
        from urllib.parse import urlencode

        values = {
            "q": self.q,
            "role": self.role,
            "status": self.status,
            "unit": self.unit or "",
            "page": self.page,
        }
        values.update(changes)
        if values["page"] == 1:
            del values["page"]
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


async def list_users(filters: UserFilters) -> tuple[list[dict[str, Any]], int]:
    """One page of users matching the filters (in SQL), and the total count."""
    condition = None

    def add(clause: Any) -> None:
        nonlocal condition
        condition = clause if condition is None else condition & clause

    if filters.q:
        pattern = f"%{filters.q}%"
        add(
            User.username.ilike(pattern)
            | User.full_name.ilike(pattern)
            | User.email.ilike(pattern)
            | User.nip.ilike(pattern)
        )
    if filters.role:
        add(User.role == filters.role)
    if filters.status:
        add(User.is_active.eq(filters.status == "active"))
    if filters.unit:
        add(User.unit == filters.unit)
    query = User.select(
        User.id,
        User.username,
        User.full_name,
        User.email,
        User.role,
        User.nip,
        User.is_active,
        User.last_login_at,
        User.unit.name.as_alias("unit_name"),
    )
    count = User.count()
    if condition is not None:
        query = query.where(condition)
        count = count.where(condition)
    rows = (
        await query.order_by(User.username).limit(PAGE_SIZE).offset((filters.page - 1) * PAGE_SIZE)
    )
    return rows, await count


async def active_units() -> list[dict[str, Any]]:
    return await Unit.select(Unit.id, Unit.name).where(Unit.is_active.eq(True)).order_by(Unit.name)


async def user_detail(user_id: int) -> dict[str, Any] | None:
    return (
        await User.select(
            User.id,
            User.username,
            User.full_name,
            User.email,
            User.email_confirmed_at,
            User.role,
            User.nip,
            User.unit,
            User.is_active,
            User.created_at,
            User.last_login_at,
            User.password_hash,
            User.unit.name.as_alias("unit_name"),
        )
        .where(User.id == user_id)
        .first()
    )


async def create_staff(
    settings: Settings, data: dict[str, str], *, admin_id: int, ip: str
) -> Checked[None]:
    """An officer or admin account; they set their own password through an emailed link."""
    values = {
        "username": fields.normalise_username(data.get("username", "")),
        "full_name": fields.normalise_name(data.get("full_name", "")),
        "email": fields.normalise_email(data.get("email", "")),
        "role": data.get("role", ""),
        "nip": re.sub(r"\s", "", data.get("nip", "")),
        "unit": data.get("unit", ""),
    }
    checks = {
        "username": fields.username_problem(values["username"]),
        "full_name": fields.full_name_problem(values["full_name"]),
        "email": fields.email_problem(values["email"], required=True),
    }
    if values["role"] not in ("officer", "admin"):
        checks["role"] = _("Choose officer or admin.")
    if values["nip"] and not NIP_RE.match(values["nip"]):
        checks["nip"] = _("A NIP has exactly 18 digits.")
    unit_id: int | None = None
    if values["unit"]:
        unit_id = record_id(values["unit"])
        if unit_id is None or not await Unit.exists().where(
            (Unit.id == unit_id) & Unit.is_active.eq(True)
        ):
            checks["unit"] = _("Choose one of the active units.")
    if values["role"] == "officer":
        if not values["nip"]:
            checks["nip"] = _("Officers need their NIP.")
        if not values["unit"]:
            checks["unit"] = _("Officers belong to a unit: choose one.")
    result: Checked[None] = Checked(values=values, errors={k: v for k, v in checks.items() if v})
    if not result.ok:
        return result
    await check_unique(result, nik_index=None)
    if values["nip"] and await User.exists().where(User.nip == values["nip"]):
        result.error("nip", _("An account with this NIP exists already."))
    if not result.ok:
        return result
    async with ENGINE.transaction():
        rows = await User.insert(
            User(
                username=values["username"],
                full_name=values["full_name"],
                email=values["email"],
                role=values["role"],
                nip=values["nip"] or None,
                unit=unit_id,
                password_hash=tokens.UNUSABLE_PASSWORD,
                language="id",
            )
        ).returning(User.id)
        user_id = rows[0]["id"]
        await audit.record(
            actor_id=admin_id,
            action="user.create",
            target_type="user",
            target_id=user_id,
            ip=ip,
            data={"role": values["role"], "unit": unit_id, "username": values["username"]},
        )
        user = await user_detail(user_id)
        user["language"] = "id"
        await tokens.send_reset_mail(settings, user, invite=True)
    result.values["id"] = str(user_id)
    return result


async def change_role(user_id: int, role: str, unit: str, *, admin_id: int, ip: str) -> None:
    """A new role; the user's sessions end, so the next one starts with a new id."""
    if role not in ROLES:
        raise Refused(_("Choose citizen, officer or admin."), INVALID, field="role")
    if user_id == admin_id:
        raise Refused(_("You cannot change your own role."), FORBIDDEN)
    user = await user_detail(user_id)
    if user is None:
        raise Refused(_("This user does not exist."), NOT_FOUND)
    unit_id = record_id(unit) if unit.strip() else user["unit"]
    if unit.strip() and unit_id is None:
        raise Refused(_("Choose one of the active units."), INVALID, field="unit")
    if role == "officer" and not unit_id:
        raise Refused(_("Officers belong to a unit: choose one."), INVALID, field="unit")
    if unit_id and not await Unit.exists().where(Unit.id == unit_id):
        raise Refused(_("Choose one of the active units."), INVALID, field="unit")
    async with ENGINE.transaction():
        await User.update(
            {
                User.role: role,
                User.unit: unit_id if role == "officer" else user["unit"],
                User.updated_at: datetime.now(UTC),
            }
        ).where(User.id == user_id)
        await end_user_sessions(user_id)
        await audit.record(
            actor_id=admin_id,
            action="user.role_changed",
            target_type="user",
            target_id=user_id,
            ip=ip,
            data={"from": user["role"], "to": role, "unit": unit_id},
        )


async def set_active(user_id: int, active: bool, *, admin_id: int, ip: str) -> None:
    """Deactivating ends the user's sessions at once."""
    if user_id == admin_id and not active:
        raise Refused(_("You cannot deactivate your own account."), FORBIDDEN)
    if await user_detail(user_id) is None:
        raise Refused(_("This user does not exist."), NOT_FOUND)
    async with ENGINE.transaction():
        await User.update({User.is_active: active, User.updated_at: datetime.now(UTC)}).where(
            User.id == user_id
        )
        if not active:
            await end_user_sessions(user_id)
        await audit.record(
            actor_id=admin_id,
            action="user.reactivated" if active else "user.deactivated",
            target_type="user",
            target_id=user_id,
            ip=ip,
        )


async def send_reset_link(settings: Settings, user_id: int, *, admin_id: int, ip: str) -> str:
    """Mail the user a reset link (or their invitation again); returns a message for the admin."""
    user = await User.select(*tokens.MAILING_COLUMNS).where(User.id == user_id).first()
    if user is None:
        raise Refused(_("This user does not exist."), NOT_FOUND)
    if not user["is_active"]:
        raise Refused(_("Reactivate the account before sending a link."), CONFLICT)
    if not user["email"]:
        raise Refused(_("This user has no email address."), CONFLICT)
    invite = user["password_hash"] == tokens.UNUSABLE_PASSWORD
    if not invite and user["email_confirmed_at"] is None:
        raise Refused(
            _("The user's email address is not confirmed yet, so no reset link can go to it."),
            CONFLICT,
        )
    async with ENGINE.transaction():
        await tokens.send_reset_mail(settings, user, invite=invite)
        await audit.record(
            actor_id=admin_id,
            action="user.reset_link_sent",
            target_type="user",
            target_id=user_id,
            ip=ip,
        )
    return _("A link was sent to %(email)s.", email=user["email"])
