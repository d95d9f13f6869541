"""Writing and reading the audit log: who did what, to what, when and from where."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from pengaduan import db
from pengaduan.audit import wording
from pengaduan.audit.tables import AuditLog
from pengaduan.clock import JAKARTA
from pengaduan.i18n import _
from pengaduan.web.values import date_message, day, page_number, shown, text, unreadable_message


async def record(
    *,
    actor_id: int | None,
    action: str,
    target_type: str = "",
    target_id: int | str = "",
    data: dict[str, Any] | None = None,
    ip: str = "",
    by_anonymous_reporter: bool = False,
) -> None:
    """Append one entry; joins the caller's transaction when there is one.

    `by_anonymous_reporter`: the actor is the reporter of an anonymous complaint, entered
    without user id and address (see `record_on_complaint`).
    """
    columns = entry(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
        ip=ip,
        by_anonymous_reporter=by_anonymous_reporter,
    )
    await AuditLog.insert(AuditLog(**columns))


def entry(
    *,
    actor_id: int | None,
    action: str,
    target_type: str = "",
    target_id: int | str = "",
    data: dict[str, Any] | None = None,
    ip: str = "",
    by_anonymous_reporter: bool = False,
) -> dict[str, Any]:
    """The columns of the entry `record` appends (all but `at`)."""
    return {
        "actor": None if by_anonymous_reporter else actor_id,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "data": json.dumps(data or {}, default=str),
        "ip": "" if by_anonymous_reporter else ip[:45],
        "by_anonymous_reporter": by_anonymous_reporter,
    }


def entry_on_complaint(
    *,
    complaint: Mapping[str, Any],
    actor_id: int | None,
    action: str,
    data: dict[str, Any] | None = None,
    ip: str = "",
) -> dict[str, Any]:
    """The columns of the entry `record_on_complaint` appends (all but `at`)."""
    return entry(
        actor_id=actor_id,
        action=action,
        target_type="complaint",
        target_id=complaint["id"],
        data=data,
        ip=ip,
        by_anonymous_reporter=hides_reporter(complaint, actor_id),
    )


def hides_reporter(complaint: Mapping[str, Any], actor_id: int | None) -> bool:
    """Whether `actor_id` is the reporter of this complaint and it is anonymous."""
    return (
        actor_id is not None
        and actor_id == complaint["reporter"]
        and bool(complaint["is_anonymous"])
    )


async def record_on_complaint(
    *,
    complaint: Mapping[str, Any],
    actor_id: int | None,
    action: str,
    data: dict[str, Any] | None = None,
    ip: str = "",
) -> None:
    """Append one entry about a complaint (`complaint` needs id, reporter and is_anonymous).

    The reporter of an anonymous complaint is entered as "the reporter (anonymous)": no user
    id and no address, so no view or filter of the log can name them. complaints.reporter
    already links them to it for their own pages; the log keeps no second link.
    """
    columns = entry_on_complaint(
        complaint=complaint, actor_id=actor_id, action=action, data=data, ip=ip
    )
    await AuditLog.insert(AuditLog(**columns))


# Entries of a reporter's own actions on anonymous complaints made nameless (the same in the
# migration that scrubbed the entries written before this rule).
HIDE_REPORTER_SQL = """
UPDATE audit_log a SET actor = NULL, ip = '', by_anonymous_reporter = true
FROM complaints c
WHERE a.target_type = 'complaint' AND a.target_id = c.id::text
  AND a.actor = c.reporter AND c.is_anonymous AND c.id = $1
"""


async def hide_reporter(complaint_id: int) -> None:
    """The complaint became anonymous: its reporter's earlier entries lose name and address."""
    await db.execute(HIDE_REPORTER_SQL, complaint_id)


async def entries_for_target(target_type: str, target_id: int | str) -> list[dict[str, Any]]:
    """The entries about one target, newest first, with the actor's username and the
    action's phrase (`action_text`, None for an unknown code)."""
    rows = (
        await AuditLog.select(
            AuditLog.id,
            AuditLog.action,
            AuditLog.data,
            AuditLog.at,
            AuditLog.ip,
            AuditLog.actor.username.as_alias("actor_username"),
        )
        .where((AuditLog.target_type == target_type) & (AuditLog.target_id == str(target_id)))
        .order_by(AuditLog.id, ascending=False)
        .limit(50)
    )
    for row in rows:
        row["action_text"] = wording.action_label(row["action"])
    return rows


# --- the audit log browser -------------------------------------------------------------------

BROWSER_PAGE_SIZE = 50
TARGET_TYPES = ("user", "unit", "category", "response_template", "complaint", "outbox")


@dataclass(frozen=True)
class AuditFilters:
    """The browser's filters, as they travel in the URL."""

    actor: str = ""  # a username
    action: str = ""  # a prefix: "user." or "complaint.assign"
    target_type: str = ""
    target_id: str = ""
    date_from: str = ""  # YYYY-MM-DD, a day in Asia/Jakarta
    date_to: str = ""
    page: int = 1
    # The filters typed with what cannot be stored (shown with U+FFFD, so they match nothing).
    unreadable: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> AuditFilters:
        return cls(
            actor=shown(params.get("actor", "")).strip().lower()[:150],
            action=shown(params.get("action", "")).strip()[:64],
            target_type=shown(params.get("target_type", "")).strip()[:32],
            target_id=shown(params.get("target_id", "")).strip()[:64],
            date_from=shown(params.get("from", "")).strip()[:10],
            date_to=shown(params.get("to", "")).strip()[:10],
            page=page_number(params.get("page")),
            unreadable=tuple(
                name
                for name in ("actor", "action", "target_type", "target_id", "from", "to")
                if text(params.get(name, "")) is None
            ),
        )

    def query_string(self, **changes: Any) -> str:
        """The filters as a query string (empty ones left out), with `changes` applied."""
        if changes and "page" not in changes:
            changes["page"] = 1
        values = replace(self, **changes)
        pairs = {
            "actor": values.actor,
            "action": values.action,
            "target_type": values.target_type,
            "target_id": values.target_id,
            "from": values.date_from,
            "to": values.date_to,
            "page": values.page if values.page != 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})


def _day(value: str) -> date | None:
    return day(value) if value else None


def filter_problems(filters: AuditFilters) -> dict[str, str]:
    """What is wrong with the filters (a wrong period is left out)."""
    problems: dict[str, str] = {name: unreadable_message() for name in filters.unreadable}
    start, end = _day(filters.date_from), _day(filters.date_to)
    if filters.date_from and start is None:
        problems["from"] = date_message()
    if filters.date_to and end is None:
        problems["to"] = date_message()
    if start and end and start > end:
        problems["to"] = _("The end date is before the start date.")
    return problems


def _where(filters: AuditFilters) -> db.Where:
    """The filters as conditions on the log (a wrong period is left out)."""
    where = db.Where()
    if filters.actor:
        where.add("u.username = {}", filters.actor)
    if filters.action:
        where.add("a.action LIKE {}", db.escape_like(filters.action) + "%")
    if filters.target_type:
        where.add("a.target_type = {}", filters.target_type)
    if filters.target_id:
        where.add("a.target_id = {}", filters.target_id)
    problems = filter_problems(filters)
    start, end = _day(filters.date_from), _day(filters.date_to)
    if start and "from" not in problems:
        where.add("a.at >= {}", datetime.combine(start, time.min, tzinfo=JAKARTA))
    if end and "to" not in problems:
        where.add("a.at < {}", datetime.combine(end + timedelta(days=1), time.min, tzinfo=JAKARTA))
    return where


async def browse(filters: AuditFilters) -> tuple[list[dict[str, Any]], bool]:
    """One page of entries, newest first, and whether there is a next page.

    No total count: the log only grows, and counting millions of rows for a pager is not
    worth it. Periods are whole days in Asia/Jakarta.
    """
    where = _where(filters)
    offset = (filters.page - 1) * BROWSER_PAGE_SIZE
    rows = await db.fetch(
        "SELECT a.id, a.action, a.target_type, a.target_id, a.data, a.at, a.ip,"
        " a.by_anonymous_reporter,"
        " u.username AS actor_username, u.full_name AS actor_name"
        " FROM audit_log a LEFT JOIN users u ON u.id = a.actor"
        f" {where}"
        f" ORDER BY a.at DESC, a.id DESC LIMIT {BROWSER_PAGE_SIZE + 1} OFFSET {offset}",
        *where.args,
    )
    shown = [dict(row) for row in rows[:BROWSER_PAGE_SIZE]]
    names = await _names(wording.referenced(shown))
    for row in shown:
        row["action_text"] = wording.action_label(row["action"])
        row["details"] = wording.details(row["action"], row["data"], names)
    return shown, len(rows) > BROWSER_PAGE_SIZE


_NAMES_SQL = """
SELECT 'user' AS kind, id, username AS name FROM users WHERE id = ANY($1::int[])
UNION ALL SELECT 'unit', id, name FROM units WHERE id = ANY($2::int[])
UNION ALL SELECT 'category', id, name FROM categories WHERE id = ANY($3::int[])
"""


async def _names(wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """The names of the users (usernames, as the log's "who"), units and categories one page
    of entries mentions: one query for the page, none when it mentions none."""
    if not any(wanted.values()):
        return {}
    # Ids beyond int4 cannot be ours (and would fail the cast).
    lists = [
        sorted(i for i in wanted[kind] if 0 < i < 2**31) for kind in ("user", "unit", "category")
    ]
    rows = await db.fetch(_NAMES_SQL, *lists)
    return {(row["kind"], row["id"]): row["name"] for row in rows}
