"""What the admin's changes to units, categories and response templates share: cleaning a
name or description, telling a taken name, and writing a row together with its audit entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.errors import Checked
from pengaduan.i18n import _

NAME_MAX = 150
DESCRIPTION_MAX = 2000


def now() -> datetime:
    return datetime.now(UTC)


def one_line(value: str) -> str:
    return " ".join(value.split())


def checkbox(value: str) -> str:
    """A checkbox as the form sends it: "on" when ticked, "" otherwise."""
    return "on" if value in ("on", "1", "true", "yes") else ""


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that differ (for the audit log)."""
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


async def name_taken(table: str, name: str, exclude_id: int | None) -> bool:
    """Whether another row of `table` (units, categories) has this name."""
    # Case-insensitive: "Dinas Kesehatan" and "dinas kesehatan" would confuse everyone.
    found = await db.fetchval(
        f"SELECT 1 FROM {table} WHERE lower(name) = lower($1) AND id <> $2 LIMIT 1",
        name,
        exclude_id or 0,
    )
    return found is not None


def name_problem(name: str) -> str | None:
    if not name:
        return _("Enter a name.")
    if len(name) > NAME_MAX:
        return _("The name is too long (at most %(max)d characters).", max=NAME_MAX)
    return None


def description_problem(description: str) -> str | None:
    if len(description) > DESCRIPTION_MAX:
        return _("The description is too long (at most %(max)d characters).", max=DESCRIPTION_MAX)
    return None


async def insert_audited(
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


async def update_audited(
    table: Any,
    row_id: int,
    columns: dict[str, Any],
    *,
    target_type: str,
    admin_id: int,
    ip: str,
    changed: dict[str, list[Any]],
) -> None:
    """Write `columns` to one row (and `updated_at`) with its `<target_type>.update` audit
    entry saying what `changed` (inside the caller's transaction)."""
    await table.update(
        {getattr(table, k): v for k, v in columns.items()} | {table.updated_at: now()}
    ).where(table.id == row_id)
    await audit.record(
        actor_id=admin_id,
        action=f"{target_type}.update",
        target_type=target_type,
        target_id=row_id,
        data={"changes": changed},
        ip=ip,
    )


async def set_active_audited(
    table: Any, row_id: int, active: bool, *, target_type: str, admin_id: int, ip: str
) -> None:
    """(De)activate one row with its `<target_type>.reactivated/deactivated` audit entry
    (inside the caller's transaction, which checked that it may)."""
    await table.update({table.is_active: active, table.updated_at: now()}).where(table.id == row_id)
    await audit.record(
        actor_id=admin_id,
        action=f"{target_type}.reactivated" if active else f"{target_type}.deactivated",
        target_type=target_type,
        target_id=row_id,
        ip=ip,
    )


# Inside the transaction, before writing: what is wrong now (field, message), if anything.
Recheck = Callable[[], Awaitable[tuple[str, str] | None]]


async def save_new(
    result: Checked[Any],
    table: Any,
    columns: dict[str, Any],
    *,
    target_type: str,
    who: dict[str, Any],
    name_exists: str,
    recheck: Recheck | None = None,
    audit_data: dict[str, Any] | None = None,
) -> Checked[Any]:
    """Insert the checked row with its audit entry (`audit_data`, or the columns);
    `values["id"]` holds its id when it worked. A name someone took a moment ago is an error
    beside the name."""
    try:
        async with db.ENGINE.transaction():
            if recheck is not None and (problem := await recheck()):
                result.error(*problem)
                return result
            new_id = await insert_audited(
                table, columns, target_type=target_type, data=audit_data, **who
            )
    except asyncpg.UniqueViolationError:
        result.error("name", name_exists)
        return result
    result.values["id"] = str(new_id)
    return result


async def save_changes(
    result: Checked[Any],
    table: Any,
    before: dict[str, Any],
    columns: dict[str, Any],
    *,
    target_type: str,
    who: dict[str, Any],
    name_exists: str,
    recheck: Recheck | None = None,
) -> Checked[Any]:
    """Write what changed in the checked row (nothing when nothing did) with its audit entry.
    A name someone took a moment ago is an error beside the name."""
    changed = differences(before, columns)
    if not changed:
        return result
    try:
        async with db.ENGINE.transaction():
            if recheck is not None and (problem := await recheck()):
                result.error(*problem)
                return result
            await update_audited(
                table, before["id"], columns, target_type=target_type, changed=changed, **who
            )
    except asyncpg.UniqueViolationError:
        result.error("name", name_exists)
    return result
