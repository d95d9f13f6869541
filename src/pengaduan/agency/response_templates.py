"""Response templates: canned replies officers start from, per category or for all. The
admin's list and changes, and what the officer side may use (`templates_for_category`,
`template_for_category`, `USABLE_JSON_SQL` for a page that reads everything in one query)."""

from __future__ import annotations

from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.agency import changes
from pengaduan.agency.tables import Category, ResponseTemplate
from pengaduan.errors import NOT_FOUND, Checked, Refused
from pengaduan.i18n import _
from pengaduan.web.values import record_id

TITLE_MAX = changes.NAME_MAX
BODY_MAX = 5000

# The templates usable for a complaint of the category in parameter `$2`, as a JSON list of
# {id, title, body} by title: `templates_for_category` as a subquery.
USABLE_JSON_SQL = """
  (SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title, 'body', t.body)
                   ORDER BY t.title), '[]')
   FROM response_templates t
   WHERE t.is_active = true AND (t.category IS NULL OR t.category = $2))"""


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


async def template_for_category(template_id: int, category_id: int) -> dict[str, Any] | None:
    """One template an officer may use for a complaint of this category, or None."""
    for template in await templates_for_category(category_id):
        if template["id"] == template_id:
            return template
    return None


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
) -> Checked[None]:
    values = {
        "title": changes.one_line(data.get("title", "")),
        # The body keeps its line breaks; only trailing space goes.
        "body": data.get("body", "").replace("\r\n", "\n").strip(),
        "category": data.get("category", "").strip(),
    }
    result: Checked[None] = Checked(values=values)
    if not values["title"]:
        result.error("title", _("Enter a title."))
    elif len(values["title"]) > TITLE_MAX:
        result.error(
            "title", _("The title is too long (at most %(max)d characters).", max=TITLE_MAX)
        )
    if not values["body"]:
        result.error("body", _("Write the text of the response."))
    elif len(values["body"]) > BODY_MAX:
        result.error("body", _("The text is too long (at most %(max)d characters).", max=BODY_MAX))
    if values["category"]:
        category_id = record_id(values["category"]) or 0
        # An inactive category may stay where it is, but is not a new choice.
        allowed = Category.is_active.eq(True)
        if current_category is not None and category_id == current_category:
            allowed = Category.id == category_id
        if not await Category.exists().where((Category.id == category_id) & allowed):
            result.error("category", _("Choose one of the active categories, or all."))
    return result


def _template_columns(values: dict[str, str]) -> dict[str, Any]:
    return {
        "title": values["title"],
        "body": values["body"],
        "category": record_id(values["category"]),
    }


async def create_response_template(
    data: dict[str, str], *, admin_id: int, ip: str, idempotency_key: str | None = None
) -> Checked[None]:
    """A new response template; the form's key sent again gives the one it made (templates
    have no unique name to stop a double tap)."""
    if earlier := await _template_with_key(idempotency_key):
        return earlier
    result = await _clean_response_template(data, None)
    if not result.ok:
        return result
    columns = {**_template_columns(result.values), "idempotency_key": idempotency_key}
    try:
        async with db.ENGINE.transaction():
            template_id = await changes.insert_audited(
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


async def _template_with_key(key: str | None) -> Checked[None] | None:
    if not key:
        return None
    row = (
        await ResponseTemplate.select(ResponseTemplate.id, ResponseTemplate.title)
        .where(ResponseTemplate.idempotency_key == key)
        .first()
    )
    return Checked(values={"id": str(row["id"]), "title": row["title"]}) if row else None


def _not_found() -> Refused:
    return Refused(_("This response template does not exist."), NOT_FOUND)


async def update_response_template(
    template_id: int, data: dict[str, str], *, admin_id: int, ip: str
) -> Checked[None]:
    before = await response_template_detail(template_id)
    if before is None:
        raise _not_found()
    result = await _clean_response_template(data, before["category"])
    if not result.ok:
        return result
    columns = _template_columns(result.values)
    changed = changes.differences(before, columns)
    if not changed:
        return result
    if "body" in changed:
        # The audit log says that the text changed, not the whole text twice.
        changed["body"] = [len(before["body"]), len(columns["body"])]
    async with db.ENGINE.transaction():
        await changes.update_audited(
            ResponseTemplate,
            template_id,
            columns,
            target_type="response_template",
            admin_id=admin_id,
            ip=ip,
            changed=changed,
        )
    return result


async def set_response_template_active(
    template_id: int, active: bool, *, admin_id: int, ip: str
) -> None:
    async with db.ENGINE.transaction():
        row = await db.fetchrow(
            "SELECT is_active FROM response_templates WHERE id = $1 FOR UPDATE", template_id
        )
        if row is None:
            raise _not_found()
        if row["is_active"] == active:
            return
        await changes.set_active_audited(
            ResponseTemplate,
            template_id,
            active,
            target_type="response_template",
            admin_id=admin_id,
            ip=ip,
        )
