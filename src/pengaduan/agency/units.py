"""Units (instansi/divisi): listing them with their load, and the admin's changes.

Every change is audited in the transaction that makes it. A unit that still receives an
active category's complaints cannot be deactivated."""

from __future__ import annotations

from typing import Any

from pengaduan import db
from pengaduan.agency import changes
from pengaduan.agency.tables import Unit
from pengaduan.complaints import tallies
from pengaduan.errors import NOT_FOUND, Checked, Refused
from pengaduan.i18n import _


async def active_units() -> list[dict[str, Any]]:
    """Active units (id, name) by name, for choosing one."""
    return await Unit.select(Unit.id, Unit.name).where(Unit.is_active.eq(True)).order_by(Unit.name)


_LIST_SQL = f"""
SELECT u.id, u.name, u.description, u.is_active, u.auto_assign,
       (SELECT count(*) FROM users o
         WHERE o.unit = u.id AND o.role = 'officer' AND o.is_active) AS officers,
       (SELECT count(*) FROM categories c
         WHERE c.default_unit = u.id AND c.is_active) AS categories,
       {tallies.open_of("unit", "u.id")} AS open_complaints
FROM units u
ORDER BY u.is_active DESC, u.name
"""


async def list_units() -> list[dict[str, Any]]:
    """Every unit with how many active officers, active categories and open complaints it has."""
    return [dict(row) for row in await db.fetch(_LIST_SQL)]


async def unit_detail(unit_id: int) -> dict[str, Any] | None:
    return (
        await Unit.select(
            Unit.id, Unit.name, Unit.description, Unit.is_active, Unit.auto_assign, Unit.created_at
        )
        .where(Unit.id == unit_id)
        .first()
    )


def unit_form_values(unit: dict[str, Any]) -> dict[str, str]:
    """A unit as its edit form shows it."""
    return {
        "name": unit["name"],
        "description": unit["description"],
        "auto_assign": "on" if unit["auto_assign"] else "",
    }


def _name_exists() -> str:
    return _("A unit with this name exists already.")


async def _clean_unit(data: dict[str, str], unit_id: int | None) -> Checked[None]:
    values = {
        "name": changes.one_line(data.get("name", "")),
        "description": data.get("description", "").strip(),
        "auto_assign": changes.checkbox(data.get("auto_assign", "")),
    }
    result: Checked[None] = Checked(values=values)
    if problem := changes.name_problem(values["name"]):
        result.error("name", problem)
    if problem := changes.description_problem(values["description"]):
        result.error("description", problem)
    if "name" not in result.errors and await changes.name_taken("units", values["name"], unit_id):
        result.error("name", _name_exists())
    return result


def _unit_columns(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "description": values["description"],
        "auto_assign": values["auto_assign"] == "on",
    }


async def create_unit(data: dict[str, str], *, admin_id: int, ip: str) -> Checked[None]:
    """A new, active unit; `values["id"]` holds its id when it worked."""
    result = await _clean_unit(data, None)
    if not result.ok:
        return result
    return await changes.save_new(
        result,
        Unit,
        _unit_columns(result.values),
        target_type="unit",
        who={"admin_id": admin_id, "ip": ip},
        name_exists=_name_exists(),
    )


async def update_unit(
    unit_id: int, data: dict[str, str], *, admin_id: int, ip: str
) -> Checked[None]:
    before = await unit_detail(unit_id)
    if before is None:
        raise Refused(_("This unit does not exist."), NOT_FOUND)
    result = await _clean_unit(data, unit_id)
    if not result.ok:
        return result
    return await changes.save_changes(
        result,
        Unit,
        before,
        _unit_columns(result.values),
        target_type="unit",
        who={"admin_id": admin_id, "ip": ip},
        name_exists=_name_exists(),
    )


async def set_unit_active(unit_id: int, active: bool, *, admin_id: int, ip: str) -> None:
    """(De)activate a unit. A unit that is the default unit of an active category stays
    active: its new complaints would have nowhere to go."""
    async with db.ENGINE.transaction():
        # The row lock makes a category that is being pointed at this unit wait (or be seen).
        row = await db.fetchrow("SELECT id, is_active FROM units WHERE id = $1 FOR UPDATE", unit_id)
        if row is None:
            raise Refused(_("This unit does not exist."), NOT_FOUND)
        if row["is_active"] == active:
            return
        if not active:
            blocking = await db.fetch(
                "SELECT name FROM categories WHERE default_unit = $1 AND is_active ORDER BY name",
                unit_id,
            )
            if blocking:
                raise Refused(
                    _(
                        "This unit cannot be deactivated: it receives the complaints of the "
                        "active categories %(names)s. Give them another unit or deactivate "
                        "them first.",
                        names=", ".join(r["name"] for r in blocking),
                    )
                )
        await changes.set_active_audited(
            Unit, unit_id, active, target_type="unit", admin_id=admin_id, ip=ip
        )


async def unit_still_active(unit_id: int) -> bool:
    """Inside a transaction: the unit is active, and stays so until it ends (a concurrent
    deactivation waits for it, then sees the category pointed at it)."""
    active = await db.fetchval("SELECT is_active FROM units WHERE id = $1 FOR SHARE", unit_id)
    return bool(active)
