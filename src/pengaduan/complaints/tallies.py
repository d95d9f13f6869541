"""How many complaints each officer, unit and category has (open ones, and all), each unit per
status, and each category's public ones per status, read from complaint_tallies instead of
counted from the complaints: who is least busy for the auto-assignment, the load the
assignment menus show beside each officer, the counts of the admin's units and categories
pages and of the officers' home page, the public archive's counts and the home page's.

Counting them grew with the table: tens of thousands of open complaints per officer at a
million complaints (313 ms per submission to find the least busy officer), all complaints
per category for the categories page (240 ms). The triggers of migration 2026-12-05T10:00
keep the tallies exact in the changing transaction, in slots that readers sum (no
submission waits for another's commit); a job folds the slots back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Literal

from pengaduan import db
from pengaduan.complaints import statuses
from pengaduan.scheduler import Job, Scheduler
from pengaduan.settings import Settings

COMPACT_EVERY = timedelta(minutes=10)
Scope = Literal["officer", "unit", "category"]
# A unit's complaints in one status: scope "unit:<status>", key the unit (migration
# 2026-12-05T13:00).
STATUS_SCOPE = "unit:"
# A category's public complaints in one status: scope "pub:<status>", key the category
# (migration 2026-12-05T16:00).
PUBLIC_SCOPE = "pub:"


def open_of(scope: Scope, key: str) -> str:
    """SQL: the open complaints of the officer, unit or category whose id is the SQL
    expression `key`."""
    return (
        "(SELECT coalesce(sum(t.open_count), 0)::int FROM complaint_tallies t"
        f" WHERE t.scope = '{scope}' AND t.key = {key})"
    )


def total_of(scope: Scope, key: str) -> str:
    """SQL: all complaints (any status) of the officer, unit or category `key`."""
    return (
        "(SELECT coalesce(sum(t.total_count), 0)::int FROM complaint_tallies t"
        f" WHERE t.scope = '{scope}' AND t.key = {key})"
    )


def least_busy_in(unit: str) -> str:
    """SQL: the active officer of the unit `unit` (an SQL expression) with the fewest open
    complaints (ties: the lowest id), or NULL when the unit has none."""
    return (
        "(SELECT o.id FROM users o"
        f" WHERE o.unit = {unit} AND o.role = 'officer' AND o.is_active"
        f" ORDER BY {open_of('officer', 'o.id')}, o.id LIMIT 1)"
    )


async def least_busy_officer(unit_id: int) -> int | None:
    """The unit's active officer with the fewest open complaints (ties: the lowest id)."""
    return await db.fetchval(f"SELECT {least_busy_in('$1::int')}", unit_id)


def capped_count_sql(scopes: Sequence[str], key: str | None, *, open_only: bool, cap: int) -> str:
    """SQL: the open (or all) complaints of the `scopes` (known names, written in) whose key
    is the SQL expression `key` (None: of every key, i.e. all complaints, each having one unit
    and one category), as db.capped_count gives a count: at most `cap` + 1."""
    column = "open_count" if open_only else "total_count"
    which = "" if key is None else f" AND t.key = {key}"
    return (
        f"SELECT least(coalesce(sum(t.{column}), 0), {int(cap) + 1})::int AS n"
        f" FROM complaint_tallies t WHERE t.scope IN ({_names(scopes)}){which}"
    )


def _names(scopes: Sequence[str]) -> str:
    return ", ".join(f"'{scope}'" for scope in scopes)


# A condition of a queue's list (handling.queue.conditions) that names one key of a scope.
_KEYED = re.compile(r"c\.(unit|category) = (\$\d+)")


def list_count_sql(conditions: Sequence[str], status: str, *, cap: int) -> str | None:
    """SQL counting (as `capped_count_sql`) what a queue's list with these conditions holds,
    when the tallies hold it: no condition but one unit or category (none: all complaints),
    in any status ("any"), the open ones ("") or, of a unit or of all, one status. None
    otherwise (the complaints are counted; an officer's own list also names their unit)."""
    keyed = [found for c in conditions if (found := _KEYED.fullmatch(c)) is not None]
    if len(conditions) > 1 or len(keyed) < len(conditions):
        return None
    scope, key = (keyed[0].group(1), keyed[0].group(2)) if keyed else ("unit", None)
    if status in ("", "any"):
        return capped_count_sql([scope], key, open_only=not status, cap=cap)
    if scope == "unit" and status in statuses.STATUSES:
        return capped_count_sql([STATUS_SCOPE + status], key, open_only=False, cap=cap)
    return None


def per_status_of_unit(key: str) -> str:
    """SQL: a JSON object of the complaints of the unit whose id is the SQL expression `key`,
    per status (a status with none left out)."""
    scopes = _names([STATUS_SCOPE + code for code in statuses.STATUSES])
    return (
        f"(SELECT coalesce(json_object_agg(substr(s.scope, {len(STATUS_SCOPE) + 1}), s.n), '{{}}')"
        " FROM (SELECT t.scope, sum(t.total_count)::int AS n FROM complaint_tallies t"
        f" WHERE t.scope IN ({scopes}) AND t.key = {key} GROUP BY t.scope) AS s)"
    )


def _public_scopes(codes: Sequence[str]) -> list[str]:
    unknown = set(codes) - set(statuses.STATUSES)
    if unknown:  # written into the SQL: only the codes of statuses
        raise ValueError(f"not a status: {sorted(unknown)}")
    return [PUBLIC_SCOPE + code for code in codes]


def public_count_sql(codes: Sequence[str], category: str | None, *, cap: int) -> str:
    """SQL: the public complaints in one of the statuses `codes` of the category whose id is
    the SQL expression `category` (None: of every category), as `capped_count_sql`."""
    return capped_count_sql(_public_scopes(codes), category, open_only=False, cap=cap)


async def public_per_status() -> dict[str, int]:
    """The public complaints in each status (a status with none left out)."""
    rows = await db.fetch(
        f"SELECT substr(t.scope, {len(PUBLIC_SCOPE) + 1}) AS status,"
        " sum(t.total_count)::int AS n FROM complaint_tallies t"
        f" WHERE t.scope IN ({_names(_public_scopes(statuses.STATUSES))}) GROUP BY t.scope"
    )
    return {row["status"]: row["n"] for row in rows if row["n"]}


async def open_complaints(scope: Scope, key: int) -> int:
    """The open complaints of one officer, unit or category now."""
    return await db.fetchval(f"SELECT {open_of(scope, '$1::int')}", key)


async def compact() -> int:
    """Folds the slots nobody holds into slot 0 of their key; how many keys it wrote."""
    return await db.fetchval("SELECT complaint_tallies_compact()")


def register(scheduler: Scheduler, settings: Settings) -> None:
    scheduler.register(Job("compact_complaint_tallies", COMPACT_EVERY, compact))
