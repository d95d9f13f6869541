"""Complaint categories: what the public form offers, the admin's list, and the admin's changes.

A category routes its complaints to its default unit with its deadline. Every change is
audited in the transaction that makes it; a category that has complaints is never deleted
(it is deactivated instead), so their history stays readable."""

from __future__ import annotations

from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.agency import changes
from pengaduan.agency.tables import Category, Unit
from pengaduan.agency.units import unit_still_active
from pengaduan.audit import services as audit
from pengaduan.complaints import tallies
from pengaduan.errors import NOT_FOUND, Checked, Refused
from pengaduan.i18n import _, ngettext
from pengaduan.web.values import record_id, whole_number

ICON_MAX = 16
DEADLINE_MIN, DEADLINE_MAX = 1, 365


async def active_categories() -> list[dict[str, Any]]:
    """Active categories with their unit's name, alphabetically (the new-complaint form)."""
    return (
        await Category.select(
            Category.id,
            Category.name,
            Category.description,
            Category.icon,
            Category.deadline_days,
            Category.default_unit.name.as_alias("unit_name"),
        )
        .where(Category.is_active.eq(True))
        .order_by(Category.name)
    )


async def category_choices() -> list[dict[str, Any]]:
    """Active categories (id, name, icon, default_unit, deadline_days) by name, for the staff's
    choices. Asked by every whole queue page: straight through asyncpg (see db.fetch)."""
    rows = await db.fetch(
        "SELECT id, name, icon, default_unit, deadline_days FROM categories"
        " WHERE is_active = true ORDER BY name"
    )
    return [dict(row) for row in rows]


async def all_categories() -> list[dict[str, Any]]:
    """Every category (id, name, is_active) by name, for filters and choices."""
    return await Category.select(Category.id, Category.name, Category.is_active).order_by(
        Category.name
    )


_LIST_SQL = f"""
SELECT c.id, c.name, c.description, c.icon, c.is_active, c.deadline_days,
       c.default_unit, u.name AS unit_name, u.is_active AS unit_active,
       {tallies.total_of("category", "c.id")} AS complaints,
       {tallies.open_of("category", "c.id")} AS open_complaints,
       (SELECT count(*) FROM response_templates t WHERE t.category = c.id) AS templates
FROM categories c
JOIN units u ON u.id = c.default_unit
ORDER BY c.is_active DESC, c.name
"""


async def list_categories() -> list[dict[str, Any]]:
    """Every category with its unit and how many complaints (all, open) and templates it has."""
    return [dict(row) for row in await db.fetch(_LIST_SQL)]


async def category_detail(category_id: int) -> dict[str, Any] | None:
    row = await db.fetchrow(
        f"""
        SELECT c.id, c.name, c.description, c.icon, c.is_active, c.deadline_days,
               c.default_unit, u.name AS unit_name, u.is_active AS unit_active,
               {tallies.total_of("category", "c.id")} AS complaints
        FROM categories c JOIN units u ON u.id = c.default_unit
        WHERE c.id = $1
        """,
        category_id,
    )
    return dict(row) if row else None


def category_form_values(category: dict[str, Any]) -> dict[str, str]:
    return {
        "name": category["name"],
        "description": category["description"],
        "icon": category["icon"],
        "default_unit": str(category["default_unit"]),
        "deadline_days": str(category["deadline_days"]),
    }


def _name_exists() -> str:
    return _("A category with this name exists already.")


def _inactive_unit() -> str:
    return _("Choose one of the active units.")


async def _clean_category(data: dict[str, str], category_id: int | None) -> Checked[None]:
    values = {
        "name": changes.one_line(data.get("name", "")),
        "description": data.get("description", "").strip(),
        "icon": data.get("icon", "").strip(),
        "default_unit": data.get("default_unit", "").strip(),
        "deadline_days": data.get("deadline_days", "").strip(),
    }
    result: Checked[None] = Checked(values=values)
    if problem := changes.name_problem(values["name"]):
        result.error("name", problem)
    if problem := changes.description_problem(values["description"]):
        result.error("description", problem)
    if len(values["icon"]) > ICON_MAX:
        result.error(
            "icon",
            _("The icon is too long: one emoji or at most %(max)d characters.", max=ICON_MAX),
        )
    default_unit = record_id(values["default_unit"])
    if default_unit is None:
        result.error("default_unit", _("Choose the unit that handles this category."))
    elif not await Unit.exists().where((Unit.id == default_unit) & Unit.is_active.eq(True)):
        result.error("default_unit", _inactive_unit())
    days = whole_number(values["deadline_days"]) or 0
    if not DEADLINE_MIN <= days <= DEADLINE_MAX:
        result.error(
            "deadline_days",
            _(
                "Enter a number of days from %(min)d to %(max)d.",
                min=DEADLINE_MIN,
                max=DEADLINE_MAX,
            ),
        )
    if "name" not in result.errors and await changes.name_taken(
        "categories", values["name"], category_id
    ):
        result.error("name", _name_exists())
    return result


def _category_columns(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "description": values["description"],
        "icon": values["icon"],
        "default_unit": record_id(values["default_unit"]),
        "deadline_days": whole_number(values["deadline_days"]),
    }


def _unit_recheck(columns: dict[str, Any]) -> changes.Recheck:
    """The unit chosen is still active once in the transaction (and stays so until it ends)."""

    async def recheck() -> tuple[str, str] | None:
        if await unit_still_active(columns["default_unit"]):
            return None
        return "default_unit", _inactive_unit()

    return recheck


async def create_category(data: dict[str, str], *, admin_id: int, ip: str) -> Checked[None]:
    result = await _clean_category(data, None)
    if not result.ok:
        return result
    columns = _category_columns(result.values)
    return await changes.save_new(
        result,
        Category,
        columns,
        target_type="category",
        who={"admin_id": admin_id, "ip": ip},
        name_exists=_name_exists(),
        recheck=_unit_recheck(columns),
    )


async def update_category(
    category_id: int, data: dict[str, str], *, admin_id: int, ip: str
) -> Checked[None]:
    """Change a category. Complaints already filed keep their unit and deadline; only new
    ones follow the new values."""
    before = await category_detail(category_id)
    if before is None:
        raise Refused(_("This category does not exist."), NOT_FOUND)
    result = await _clean_category(data, category_id)
    if not result.ok:
        return result
    columns = _category_columns(result.values)
    return await changes.save_changes(
        result,
        Category,
        before,
        columns,
        target_type="category",
        who={"admin_id": admin_id, "ip": ip},
        name_exists=_name_exists(),
        recheck=_unit_recheck(columns),
    )


async def set_category_active(category_id: int, active: bool, *, admin_id: int, ip: str) -> None:
    """A deactivated category disappears from the new-complaint form; its complaints stay."""
    async with db.ENGINE.transaction():
        row = await db.fetchrow(
            "SELECT id, is_active, default_unit FROM categories WHERE id = $1 FOR UPDATE",
            category_id,
        )
        if row is None:
            raise Refused(_("This category does not exist."), NOT_FOUND)
        if row["is_active"] == active:
            return
        if active and not await unit_still_active(row["default_unit"]):
            raise Refused(
                _(
                    "The unit of this category is inactive. Choose an active unit for it "
                    "before reactivating it."
                )
            )
        await changes.set_active_audited(
            Category, category_id, active, target_type="category", admin_id=admin_id, ip=ip
        )


async def delete_category(category_id: int, *, admin_id: int, ip: str) -> str:
    """Delete a category nobody used; returns its name. One with complaints (or response
    templates) is kept: its history must stay readable."""
    try:
        async with db.ENGINE.transaction():
            name = await db.fetchval(
                "SELECT name FROM categories WHERE id = $1 FOR UPDATE", category_id
            )
            if name is None:
                raise Refused(_("This category does not exist."), NOT_FOUND)
            used = await db.fetchrow(
                "SELECT (SELECT count(*) FROM complaints WHERE category = $1) AS complaints,"
                " (SELECT count(*) FROM response_templates WHERE category = $1) AS templates",
                category_id,
            )
            if used["complaints"]:
                raise Refused(_in_use_message(used["complaints"]))
            if used["templates"]:
                raise Refused(
                    _(
                        "This category has response templates. Move or delete them first, or "
                        "deactivate the category instead."
                    )
                )
            await Category.delete().where(Category.id == category_id)
            await audit.record(
                actor_id=admin_id,
                action="category.delete",
                target_type="category",
                target_id=category_id,
                data={"name": name},
                ip=ip,
            )
    except asyncpg.ForeignKeyViolationError:
        # A complaint was filed under it while we looked.
        raise Refused(_in_use_message(1)) from None
    return name


def _in_use_message(count: int) -> str:
    return ngettext(
        "This category has %(num)d complaint, so it is kept for its history. Deactivate it "
        "instead.",
        "This category has %(num)d complaints, so it is kept for its history. Deactivate it "
        "instead.",
        count,
    )
