"""Units, categories and response templates: queries, validation and the admin's changes.

Every change is audited in the transaction that makes it. Deactivation keeps history: a unit
that still receives an active category's complaints cannot be deactivated, and a category
that has complaints is never deleted (it is deactivated instead).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from pengaduan.agency.tables import Category, Unit
from pengaduan.audit import services as audit
from pengaduan.complaints.tables import ResponseTemplate
from pengaduan.db import ENGINE
from pengaduan.errors import Checked as FormResult
from pengaduan.i18n import _, ngettext
from pengaduan.web.values import record_id, whole_number

NAME_MAX = 150
DESCRIPTION_MAX = 2000
ICON_MAX = 16
DEADLINE_MIN, DEADLINE_MAX = 1, 365
TEMPLATE_BODY_MAX = 5000


class AgencyError(Exception):
    """A change that cannot be made; `message` is for the person, `status_code` for HTTP."""

    def __init__(self, message: str, status_code: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _checked(value: str) -> str:
    """A checkbox as the form sends it: "on" when ticked, "" otherwise."""
    return "on" if value in ("on", "1", "true", "yes") else ""


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that differ (for the audit log)."""
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


async def _name_taken(table: str, name: str, exclude_id: int | None) -> bool:
    # Case-insensitive: "Dinas Kesehatan" and "dinas kesehatan" would confuse everyone.
    rows = await Unit.raw(
        f"SELECT 1 FROM {table} WHERE lower(name) = lower({{}}) AND id <> {{}} LIMIT 1",
        name,
        exclude_id or 0,
    )
    return bool(rows)


def _name_problem(name: str) -> str | None:
    if not name:
        return _("Enter a name.")
    if len(name) > NAME_MAX:
        return _("The name is too long (at most %(max)d characters).", max=NAME_MAX)
    return None


def _description_problem(description: str) -> str | None:
    if len(description) > DESCRIPTION_MAX:
        return _("The description is too long (at most %(max)d characters).", max=DESCRIPTION_MAX)
    return None


# --- units -----------------------------------------------------------------------------------


async def active_units() -> list[dict[str, Any]]:
    """Active units (id, name) by name, for choosing one."""
    return await Unit.select(Unit.id, Unit.name).where(Unit.is_active.eq(True)).order_by(Unit.name)


async def list_units() -> list[dict[str, Any]]:
    """Every unit with how many active officers, active categories and open complaints it has."""
    return await Unit.raw(
        """
        SELECT u.id, u.name, u.description, u.is_active, u.auto_assign,
               (SELECT count(*) FROM users o
                 WHERE o.unit = u.id AND o.role = 'officer' AND o.is_active) AS officers,
               (SELECT count(*) FROM categories c
                 WHERE c.default_unit = u.id AND c.is_active) AS categories,
               (SELECT count(*) FROM complaints p
                 WHERE p.unit = u.id AND p.status IN ('pending', 'verified', 'in_progress'))
                 AS open_complaints
        FROM units u
        ORDER BY u.is_active DESC, u.name
        """
    )


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


async def _clean_unit(data: dict[str, str], unit_id: int | None) -> FormResult:
    values = {
        "name": _one_line(data.get("name", "")),
        "description": data.get("description", "").strip(),
        "auto_assign": _checked(data.get("auto_assign", "")),
    }
    result = FormResult(values=values)
    checks = {
        "name": _name_problem(values["name"]),
        "description": _description_problem(values["description"]),
    }
    result.errors = {k: v for k, v in checks.items() if v}
    if "name" not in result.errors and await _name_taken("units", values["name"], unit_id):
        result.errors["name"] = _("A unit with this name exists already.")
    return result


def _unit_columns(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "description": values["description"],
        "auto_assign": values["auto_assign"] == "on",
    }


async def _insert_audited(
    table: Any,
    columns: dict[str, Any],
    *,
    target_type: str,
    admin_id: int,
    ip: str,
    data: dict[str, Any] | None = None,
) -> int:
    """Insert one row and its `<target_type>.create` audit entry (inside the caller's
    transaction); returns the new id."""
    rows = await table.insert(table(**columns)).returning(table.id)
    new_id = rows[0]["id"]
    await audit.record(
        actor_id=admin_id,
        action=f"{target_type}.create",
        target_type=target_type,
        target_id=new_id,
        data=columns if data is None else data,
        ip=ip,
    )
    return new_id


async def create_unit(data: dict[str, str], *, admin_id: int, ip: str) -> FormResult:
    """A new, active unit; `values["id"]` holds its id when it worked."""
    result = await _clean_unit(data, None)
    if not result.ok:
        return result
    columns = _unit_columns(result.values)
    try:
        async with ENGINE.transaction():
            unit_id = await _insert_audited(
                Unit, columns, target_type="unit", admin_id=admin_id, ip=ip
            )
    except asyncpg.UniqueViolationError:
        # Someone created the same name a moment ago.
        result.errors["name"] = _("A unit with this name exists already.")
        return result
    result.values["id"] = str(unit_id)
    return result


async def update_unit(unit_id: int, data: dict[str, str], *, admin_id: int, ip: str) -> FormResult:
    before = await unit_detail(unit_id)
    if before is None:
        raise AgencyError(_("This unit does not exist."), 404)
    result = await _clean_unit(data, unit_id)
    if not result.ok:
        return result
    columns = _unit_columns(result.values)
    changes = _changes(before, columns)
    if not changes:
        return result
    try:
        async with ENGINE.transaction():
            await Unit.update(
                {getattr(Unit, k): v for k, v in columns.items()} | {Unit.updated_at: _now()}
            ).where(Unit.id == unit_id)
            await audit.record(
                actor_id=admin_id,
                action="unit.update",
                target_type="unit",
                target_id=unit_id,
                data={"changes": changes},
                ip=ip,
            )
    except asyncpg.UniqueViolationError:
        result.errors["name"] = _("A unit with this name exists already.")
    return result


async def set_unit_active(unit_id: int, active: bool, *, admin_id: int, ip: str) -> None:
    """(De)activate a unit. A unit that is the default unit of an active category stays
    active: its new complaints would have nowhere to go."""
    async with ENGINE.transaction():
        # The row lock makes a category that is being pointed at this unit wait (or be seen).
        rows = await Unit.raw("SELECT id, is_active FROM units WHERE id = {} FOR UPDATE", unit_id)
        if not rows:
            raise AgencyError(_("This unit does not exist."), 404)
        if rows[0]["is_active"] == active:
            return
        if not active:
            blocking = await Category.raw(
                "SELECT name FROM categories WHERE default_unit = {} AND is_active ORDER BY name",
                unit_id,
            )
            if blocking:
                raise AgencyError(
                    _(
                        "This unit cannot be deactivated: it receives the complaints of the "
                        "active categories %(names)s. Give them another unit or deactivate "
                        "them first.",
                        names=", ".join(r["name"] for r in blocking),
                    )
                )
        await Unit.update({Unit.is_active: active, Unit.updated_at: _now()}).where(
            Unit.id == unit_id
        )
        await audit.record(
            actor_id=admin_id,
            action="unit.reactivated" if active else "unit.deactivated",
            target_type="unit",
            target_id=unit_id,
            ip=ip,
        )


# --- categories ------------------------------------------------------------------------------


async def list_categories() -> list[dict[str, Any]]:
    """Every category with its unit and how many complaints (all, open) and templates it has."""
    return await Category.raw(
        """
        SELECT c.id, c.name, c.description, c.icon, c.is_active, c.deadline_days,
               c.default_unit, u.name AS unit_name, u.is_active AS unit_active,
               coalesce(p.total, 0) AS complaints, coalesce(p.open, 0) AS open_complaints,
               (SELECT count(*) FROM response_templates t WHERE t.category = c.id) AS templates
        FROM categories c
        JOIN units u ON u.id = c.default_unit
        LEFT JOIN (
            SELECT category, count(*) AS total,
                   count(*) FILTER (WHERE status IN ('pending', 'verified', 'in_progress')) AS open
            FROM complaints GROUP BY category
        ) p ON p.category = c.id
        ORDER BY c.is_active DESC, c.name
        """
    )


async def category_detail(category_id: int) -> dict[str, Any] | None:
    rows = await Category.raw(
        """
        SELECT c.id, c.name, c.description, c.icon, c.is_active, c.deadline_days,
               c.default_unit, u.name AS unit_name, u.is_active AS unit_active,
               (SELECT count(*) FROM complaints p WHERE p.category = c.id) AS complaints
        FROM categories c JOIN units u ON u.id = c.default_unit
        WHERE c.id = {}
        """,
        category_id,
    )
    return rows[0] if rows else None


def category_form_values(category: dict[str, Any]) -> dict[str, str]:
    return {
        "name": category["name"],
        "description": category["description"],
        "icon": category["icon"],
        "default_unit": str(category["default_unit"]),
        "deadline_days": str(category["deadline_days"]),
    }


async def all_categories() -> list[dict[str, Any]]:
    """Every category (id, name, is_active) by name, for filters and choices."""
    return await Category.select(Category.id, Category.name, Category.is_active).order_by(
        Category.name
    )


async def _clean_category(data: dict[str, str], category_id: int | None) -> FormResult:
    values = {
        "name": _one_line(data.get("name", "")),
        "description": data.get("description", "").strip(),
        "icon": data.get("icon", "").strip(),
        "default_unit": data.get("default_unit", "").strip(),
        "deadline_days": data.get("deadline_days", "").strip(),
    }
    result = FormResult(values=values)
    checks = {
        "name": _name_problem(values["name"]),
        "description": _description_problem(values["description"]),
    }
    if len(values["icon"]) > ICON_MAX:
        checks["icon"] = _(
            "The icon is too long: one emoji or at most %(max)d characters.", max=ICON_MAX
        )
    default_unit = record_id(values["default_unit"])
    if default_unit is None:
        checks["default_unit"] = _("Choose the unit that handles this category.")
    elif not await Unit.exists().where((Unit.id == default_unit) & Unit.is_active.eq(True)):
        checks["default_unit"] = _("Choose one of the active units.")
    days = whole_number(values["deadline_days"]) or 0
    if not DEADLINE_MIN <= days <= DEADLINE_MAX:
        checks["deadline_days"] = _(
            "Enter a number of days from %(min)d to %(max)d.", min=DEADLINE_MIN, max=DEADLINE_MAX
        )
    result.errors = {k: v for k, v in checks.items() if v}
    if "name" not in result.errors and await _name_taken("categories", values["name"], category_id):
        result.errors["name"] = _("A category with this name exists already.")
    return result


def _category_columns(values: dict[str, str]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "description": values["description"],
        "icon": values["icon"],
        "default_unit": record_id(values["default_unit"]),
        "deadline_days": whole_number(values["deadline_days"]),
    }


async def _unit_still_active(unit_id: int) -> bool:
    """Inside a transaction: the unit is active, and stays so until it ends (a concurrent
    deactivation waits for it, then sees this category)."""
    rows = await Unit.raw("SELECT is_active FROM units WHERE id = {} FOR SHARE", unit_id)
    return bool(rows and rows[0]["is_active"])


async def create_category(data: dict[str, str], *, admin_id: int, ip: str) -> FormResult:
    result = await _clean_category(data, None)
    if not result.ok:
        return result
    columns = _category_columns(result.values)
    try:
        async with ENGINE.transaction():
            if not await _unit_still_active(columns["default_unit"]):
                result.errors["default_unit"] = _("Choose one of the active units.")
                return result
            category_id = await _insert_audited(
                Category, columns, target_type="category", admin_id=admin_id, ip=ip
            )
    except asyncpg.UniqueViolationError:
        result.errors["name"] = _("A category with this name exists already.")
        return result
    result.values["id"] = str(category_id)
    return result


async def update_category(
    category_id: int, data: dict[str, str], *, admin_id: int, ip: str
) -> FormResult:
    """Change a category. Complaints already filed keep their unit and deadline; only new
    ones follow the new values."""
    before = await category_detail(category_id)
    if before is None:
        raise AgencyError(_("This category does not exist."), 404)
    result = await _clean_category(data, category_id)
    if not result.ok:
        return result
    columns = _category_columns(result.values)
    changes = _changes(before, columns)
    if not changes:
        return result
    try:
        async with ENGINE.transaction():
            if not await _unit_still_active(columns["default_unit"]):
                result.errors["default_unit"] = _("Choose one of the active units.")
                return result
            await Category.update(
                {getattr(Category, k): v for k, v in columns.items()}
                | {Category.updated_at: _now()}
            ).where(Category.id == category_id)
            await audit.record(
                actor_id=admin_id,
                action="category.update",
                target_type="category",
                target_id=category_id,
                data={"changes": changes},
                ip=ip,
            )
    except asyncpg.UniqueViolationError:
        result.errors["name"] = _("A category with this name exists already.")
    return result


async def set_category_active(category_id: int, active: bool, *, admin_id: int, ip: str) -> None:
    """A deactivated category disappears from the new-complaint form; its complaints stay."""
    async with ENGINE.transaction():
        rows = await Category.raw(
            "SELECT id, is_active, default_unit FROM categories WHERE id = {} FOR UPDATE",
            category_id,
        )
        if not rows:
            raise AgencyError(_("This category does not exist."), 404)
        if rows[0]["is_active"] == active:
            return
        if active and not await _unit_still_active(rows[0]["default_unit"]):
            raise AgencyError(
                _(
                    "The unit of this category is inactive. Choose an active unit for it "
                    "before reactivating it."
                )
            )
        await Category.update({Category.is_active: active, Category.updated_at: _now()}).where(
            Category.id == category_id
        )
        await audit.record(
            actor_id=admin_id,
            action="category.reactivated" if active else "category.deactivated",
            target_type="category",
            target_id=category_id,
            ip=ip,
        )


async def delete_category(category_id: int, *, admin_id: int, ip: str) -> str:
    """Delete a category nobody used; returns its name. One with complaints (or response
    templates) is kept: its history must stay readable."""
    try:
        async with ENGINE.transaction():
            rows = await Category.raw(
                "SELECT id, name FROM categories WHERE id = {} FOR UPDATE", category_id
            )
            if not rows:
                raise AgencyError(_("This category does not exist."), 404)
            name = rows[0]["name"]
            used = await Category.raw(
                "SELECT (SELECT count(*) FROM complaints WHERE category = {}) AS complaints,"
                " (SELECT count(*) FROM response_templates WHERE category = {}) AS templates",
                category_id,
                category_id,
            )
            if used[0]["complaints"]:
                raise AgencyError(_in_use_message(used[0]["complaints"]))
            if used[0]["templates"]:
                raise AgencyError(
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
        raise AgencyError(_in_use_message(1)) from None
    return name


def _in_use_message(count: int) -> str:
    return ngettext(
        "This category has %(num)d complaint, so it is kept for its history. Deactivate it "
        "instead.",
        "This category has %(num)d complaints, so it is kept for its history. Deactivate it "
        "instead.",
        count,
    )


# --- response templates ----------------------------------------------------------------------


async def list_response_templates(category_id: int | None = None) -> list[dict[str, Any]]:
    """Every response template (of one category and those for all, when given), active first."""
    query = ResponseTemplate.select(
        ResponseTemplate.id,
        ResponseTemplate.title,
        ResponseTemplate.body,
        ResponseTemplate.is_active,
        ResponseTemplate.category,
        ResponseTemplate.category.name.as_alias("category_name"),
        ResponseTemplate.updated_at,
    )
    if category_id is not None:
        query = query.where(
            (ResponseTemplate.category == category_id) | ResponseTemplate.category.is_null()
        )
    return await query.order_by(ResponseTemplate.is_active, ascending=False).order_by(
        ResponseTemplate.title
    )


async def templates_for_category(category_id: int) -> list[dict[str, Any]]:
    """The active templates an officer may start from for a complaint of this category."""
    return (
        await ResponseTemplate.select(
            ResponseTemplate.id, ResponseTemplate.title, ResponseTemplate.body
        )
        .where(
            ResponseTemplate.is_active.eq(True)
            & ((ResponseTemplate.category == category_id) | ResponseTemplate.category.is_null())
        )
        .order_by(ResponseTemplate.title)
    )


async def response_template_detail(template_id: int) -> dict[str, Any] | None:
    return (
        await ResponseTemplate.select(
            ResponseTemplate.id,
            ResponseTemplate.title,
            ResponseTemplate.body,
            ResponseTemplate.is_active,
            ResponseTemplate.category,
            ResponseTemplate.category.name.as_alias("category_name"),
        )
        .where(ResponseTemplate.id == template_id)
        .first()
    )


def response_template_form_values(template: dict[str, Any]) -> dict[str, str]:
    return {
        "title": template["title"],
        "body": template["body"],
        "category": str(template["category"] or ""),
    }


async def _clean_response_template(
    data: dict[str, str], current_category: int | None
) -> FormResult:
    values = {
        "title": _one_line(data.get("title", "")),
        # The body keeps its line breaks; only trailing space goes.
        "body": data.get("body", "").replace("\r\n", "\n").strip(),
        "category": data.get("category", "").strip(),
    }
    result = FormResult(values=values)
    if not values["title"]:
        result.errors["title"] = _("Enter a title.")
    elif len(values["title"]) > NAME_MAX:
        result.errors["title"] = _(
            "The title is too long (at most %(max)d characters).", max=NAME_MAX
        )
    if not values["body"]:
        result.errors["body"] = _("Write the text of the response.")
    elif len(values["body"]) > TEMPLATE_BODY_MAX:
        result.errors["body"] = _(
            "The text is too long (at most %(max)d characters).", max=TEMPLATE_BODY_MAX
        )
    if values["category"]:
        category_id = record_id(values["category"]) or 0
        # An inactive category may stay where it is, but is not a new choice.
        allowed = Category.is_active.eq(True)
        if current_category is not None and category_id == current_category:
            allowed = Category.id == category_id
        if not await Category.exists().where((Category.id == category_id) & allowed):
            result.errors["category"] = _("Choose one of the active categories, or all.")
    return result


def _template_columns(values: dict[str, str]) -> dict[str, Any]:
    return {
        "title": values["title"],
        "body": values["body"],
        "category": record_id(values["category"]),
    }


async def create_response_template(
    data: dict[str, str], *, admin_id: int, ip: str, idempotency_key: str | None = None
) -> FormResult:
    """A new response template; the form's key sent again gives the one it made (templates
    have no unique name to stop a double tap)."""
    if earlier := await _template_with_key(idempotency_key):
        return earlier
    result = await _clean_response_template(data, None)
    if not result.ok:
        return result
    columns = {**_template_columns(result.values), "idempotency_key": idempotency_key}
    try:
        async with ENGINE.transaction():
            template_id = await _insert_audited(
                ResponseTemplate,
                columns,
                target_type="response_template",
                admin_id=admin_id,
                ip=ip,
                data={"title": columns["title"], "category": columns["category"]},
            )
    except asyncpg.UniqueViolationError as exc:
        # The same form twice at once: the other request made it.
        if "idempotency" not in (exc.constraint_name or ""):
            raise
        if earlier := await _template_with_key(idempotency_key):
            return earlier
        raise
    result.values["id"] = str(template_id)
    return result


async def _template_with_key(key: str | None) -> FormResult | None:
    if not key:
        return None
    row = (
        await ResponseTemplate.select(ResponseTemplate.id, ResponseTemplate.title)
        .where(ResponseTemplate.idempotency_key == key)
        .first()
    )
    return FormResult(values={"id": str(row["id"]), "title": row["title"]}) if row else None


async def update_response_template(
    template_id: int, data: dict[str, str], *, admin_id: int, ip: str
) -> FormResult:
    before = await response_template_detail(template_id)
    if before is None:
        raise AgencyError(_("This response template does not exist."), 404)
    result = await _clean_response_template(data, before["category"])
    if not result.ok:
        return result
    columns = _template_columns(result.values)
    changes = _changes(before, columns)
    if not changes:
        return result
    if "body" in changes:
        # The audit log says that the text changed, not the whole text twice.
        changes["body"] = [len(before["body"]), len(columns["body"])]
    async with ENGINE.transaction():
        await ResponseTemplate.update(
            {getattr(ResponseTemplate, k): v for k, v in columns.items()}
            | {ResponseTemplate.updated_at: _now()}
        ).where(ResponseTemplate.id == template_id)
        await audit.record(
            actor_id=admin_id,
            action="response_template.update",
            target_type="response_template",
            target_id=template_id,
            data={"changes": changes},
            ip=ip,
        )
    return result


async def set_response_template_active(
    template_id: int, active: bool, *, admin_id: int, ip: str
) -> None:
    async with ENGINE.transaction():
        rows = await ResponseTemplate.raw(
            "SELECT is_active FROM response_templates WHERE id = {} FOR UPDATE", template_id
        )
        if not rows:
            raise AgencyError(_("This response template does not exist."), 404)
        if rows[0]["is_active"] == active:
            return
        await ResponseTemplate.update(
            {ResponseTemplate.is_active: active, ResponseTemplate.updated_at: _now()}
        ).where(ResponseTemplate.id == template_id)
        await audit.record(
            actor_id=admin_id,
            action="response_template.reactivated" if active else "response_template.deactivated",
            target_type="response_template",
            target_id=template_id,
            ip=ip,
        )


def _now() -> datetime:
    return datetime.now(UTC)


# --- for the public side ---------------------------------------------------------------------


async def active_categories() -> list[dict[str, Any]]:
    """Active categories with their unit's name, alphabetically."""
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
