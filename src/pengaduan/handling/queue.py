"""The complaint queue: who sees which complaints, filtered, searched, sorted by urgency, paged.

Used by the officers' queue and by the admins' all-units list. Everything is filtered in SQL
and one page costs exactly two queries (the rows and the count). The reporter is never read
here, so no queue can show who reported an (anonymous) complaint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from babel.dates import TIMEDELTA_UNITS, format_datetime, format_timedelta, get_time_format

from pengaduan import db, i18n
from pengaduan.clock import JAKARTA
from pengaduan.complaints.statuses import OPEN_SQL, OPEN_STATUSES, STATUSES
from pengaduan.complaints.tables import PRIORITIES
from pengaduan.db import COUNT_CAP
from pengaduan.i18n import _
from pengaduan.web.labels import priority_label
from pengaduan.web.values import page_number, record_id, text

PAGE_SIZE = 25
VIEWS = ("mine", "unassigned", "unit", "all")
NUMBER_RE = re.compile(r"^ADU-\d{4}-\d{1,10}$", re.IGNORECASE)
# The order of work: most urgent first.
URGENCY = ("urgent", "high", "normal", "low")
# The rank of a priority in that order, exactly as the index complaints_queue_open_rank has it
# (migrations/pengaduan_2026_11_23t18_15_00_000000.py): PostgreSQL matches the expression.
_OPEN_RANK_SQL = (
    "(CASE c.priority "
    + " ".join(f"WHEN '{p}' THEN {rank}" for rank, p in enumerate(URGENCY))
    + " END)"
)


@dataclass(frozen=True)
class QueueFilters:
    view: str = "unit"  # "mine" | "unassigned" | "unit" (all of my unit) | "all" (admins only)
    status: str = ""  # "" = open ones; a status code; "any" = all
    category: int | None = None
    priority: str = ""
    overdue: bool = False
    q: str = ""  # complaint number (exact, case-insensitive) or words of title/body
    unit: int | None = None  # only where every unit is visible (admins)
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str], *, default_view: str = "unit") -> QueueFilters:
        """Filters from a query string; anything unknown falls back to the default."""
        view = params.get("view", "") or default_view
        status = params.get("status", "")
        priority = params.get("priority", "")
        return cls(
            view=view if view in VIEWS else default_view,
            status=status if status in (*STATUSES, "any") else "",
            category=record_id(params.get("category")),
            priority=priority if priority in PRIORITIES else "",
            overdue=params.get("overdue", "") in ("1", "on", "true", "yes"),
            # A search that cannot be stored cannot match anything: it is left out.
            q=" ".join((text(params.get("q")) or "").split())[:100],
            unit=record_id(params.get("unit")),
            page=page_number(params.get("page")),
        )

    def query_string(self, **changes: Any) -> str:
        """The filters as a query string (defaults left out), with `changes` applied.

        Any change other than the page starts again at page 1.
        """
        if changes and "page" not in changes:
            changes["page"] = 1
        values = replace(self, **changes)
        pairs = {
            "view": values.view,
            "status": values.status,
            "category": values.category or "",
            "priority": values.priority,
            "overdue": "1" if values.overdue else "",
            "q": values.q,
            "unit": values.unit or "",
            "page": values.page if values.page != 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})

    @property
    def is_filtered(self) -> bool:
        """Anything narrower than the view itself."""
        return bool(
            self.status or self.category or self.priority or self.overdue or self.q or self.unit
        )


def scoped(
    filters: QueueFilters, *, is_admin: bool, unit_id: int | None
) -> tuple[QueueFilters, int | None]:
    """The filters as the viewer may use them, and the unit they are limited to: an admin
    sees every unit (None) and has no own views; an officer only their unit (-1: none)."""
    if is_admin:
        return (replace(filters, view="all") if filters.view in ("unit", "mine") else filters), None
    if filters.view == "all":
        filters = replace(filters, view="unit")
    return filters, unit_id if unit_id is not None else -1


def conditions(filters: QueueFilters, officer_id: int | None, unit_id: int | None) -> db.Where:
    """The WHERE clause of the filters (each value once however often the clause is used),
    except status and priority (see `statuses_of` and `_priorities`)."""
    where = db.Where()
    if unit_id is not None:
        where.add("c.unit = {}", unit_id)
    elif filters.unit:
        where.add("c.unit = {}", filters.unit)
    if filters.view == "mine":
        if officer_id is None:
            where.add("false")
        else:
            where.add("c.officer = {}", officer_id)
    elif filters.view == "unassigned":
        where.add("c.officer IS NULL")
    if filters.category:
        where.add("c.category = {}", filters.category)
    if filters.overdue:
        where.add(f"c.due_at < now() AND c.status IN ({OPEN_SQL})")
    if filters.q:
        if NUMBER_RE.match(filters.q):
            where.add("c.number = {}", filters.q.upper())
        else:
            # The title through its trigram index, title and body through the stored document
            # (complaints.search_document, GIN index complaints_search).
            where.add(
                "c.title ILIKE {} OR c.search_document"
                " @@ plainto_tsquery('indonesian'::regconfig, {})",
                f"%{db.escape_like(filters.q)}%",
                filters.q,
            )
    return where


def statuses_of(filters: QueueFilters) -> tuple[str, ...]:
    if filters.status == "":
        return OPEN_STATUSES
    return STATUSES if filters.status == "any" else (filters.status,)


def _priorities(filters: QueueFilters) -> tuple[str, ...]:
    """Most urgent first: the order of work."""
    return (filters.priority,) if filters.priority else URGENCY


def literal(value: str) -> str:
    # Written into the SQL (the planner sees each status and priority); only known codes.
    if value not in STATUSES and value not in PRIORITIES:
        raise ValueError(f"not a status or priority: {value!r}")
    return f"'{value}'"


def rows_sql(filters: QueueFilters, where: db.Where) -> str:
    """One page in urgency order (priority, then due date, then id).

    Sorting all of a unit's open complaints for 25 of them reads every one of them. Instead
    each priority is a group (g0 most urgent), and within it each status takes its first rows
    in due-date order, which the queue index (unit, status, due_at) gives without sorting.
    A group only looks for what the more urgent groups left to find: when they found enough,
    its LIMIT is 0 and PostgreSQL never runs it. The page's 25 are then joined with their
    category, unit and officer.

    Open complaints with no narrower filter than one unit (every officer's default view) or
    none at all (the admins' list) are read in that order straight from an index of their own
    (complaints_queue_open_rank, complaints_open_rank_all: see `_OPEN_RANK_SQL`) instead.
    """
    offset = (filters.page - 1) * PAGE_SIZE
    if filters.status == "" and where.conditions in ([], ["c.unit = $1"]):
        priorities = ", ".join(literal(p) for p in _priorities(filters))
        unit = "c.unit = $1 AND " if where.conditions else ""
        page = f"""page AS (
    SELECT c.id, {_OPEN_RANK_SQL} AS rank, c.due_at FROM complaints c
    WHERE {unit}c.status IN ({OPEN_SQL}) AND c.priority IN ({priorities})
    ORDER BY {_OPEN_RANK_SQL}, c.due_at, c.id LIMIT {PAGE_SIZE} OFFSET {offset}
)"""
        return _with_details(page)
    enough = offset + PAGE_SIZE
    groups: list[str] = []
    for priority in _priorities(filters):
        found = "".join(f" - (SELECT count(*) FROM g{n})" for n in range(len(groups)))
        wanted = f"greatest(0, {enough}{found})" if groups else str(enough)
        branches = []
        for status in statuses_of(filters):
            branches.append(
                f"(SELECT c.id, c.due_at FROM complaints c"
                f" WHERE {where.sql} AND c.status = {literal(status)}"
                f" AND c.priority = {literal(priority)}"
                f" ORDER BY c.due_at, c.id LIMIT {wanted})"
            )
        groups.append(
            f"g{len(groups)} AS (SELECT id, due_at, {URGENCY.index(priority)} AS rank"
            f" FROM ({' UNION ALL '.join(branches)}) AS b ORDER BY due_at, id LIMIT {wanted})"
        )
    candidates = " UNION ALL ".join(
        f"SELECT id, due_at, rank FROM g{n}" for n in range(len(groups))
    )
    page = f"""{", ".join(groups)},
page AS (
    SELECT id, rank, due_at FROM ({candidates}) AS candidates
    ORDER BY rank, due_at, id LIMIT {PAGE_SIZE} OFFSET {offset}
)"""
    return _with_details(page)


def _with_details(ctes: str) -> str:
    """The page's rows (the `page` CTE: id, rank, due_at) with what the queue shows."""
    return f"""
WITH {ctes}
SELECT c.id, c.number, c.title, c.status, c.priority, c.submitted_at, c.due_at,
       c.unit AS unit_id, u.name AS unit_name,
       c.category AS category_id, cat.name AS category_name, cat.icon AS category_icon,
       c.category_suggested, c.officer AS officer_id, o.full_name AS officer_name,
       coalesce(c.due_at < now() AND c.status IN ({OPEN_SQL}), false) AS is_overdue,
       coalesce(c.due_at >= now() AND c.due_at < now() + interval '24 hours'
                AND c.status IN ({OPEN_SQL}), false) AS is_due_soon,
       now() - c.submitted_at AS age
FROM page
JOIN complaints c ON c.id = page.id
JOIN units u ON u.id = c.unit
JOIN categories cat ON cat.id = c.category
LEFT JOIN users o ON o.id = c.officer
ORDER BY page.rank, page.due_at, page.id
"""


def count_cap(filters: QueueFilters) -> int:
    """How far the count goes: the archive's COUNT_CAP (same "more than" wording), or as far
    as the page asked for and one more page (whether there is a next page is still known)."""
    return max(COUNT_CAP, filters.page * PAGE_SIZE)


def count_sql(filters: QueueFilters, where: db.Where) -> str:
    """The count stops one past `count_cap`: counting every match of a wide view (all units,
    any status: a million complaints) cost ~50 ms of PostgreSQL per request, more than the
    page itself."""
    codes = ", ".join(literal(s) for s in statuses_of(filters))
    sql = f"SELECT 1 FROM complaints c WHERE {where.sql} AND c.status IN ({codes})"
    if filters.priority:
        sql += f" AND c.priority = {literal(filters.priority)}"
    return db.capped_count(sql, count_cap(filters))


def age_text(age: timedelta, locale: Locale | str | None = None) -> str:
    """How long ago, in the reader's language ("3 hari yang lalu", "5 hours ago")."""
    return format_timedelta(
        -age, threshold=_AGE_THRESHOLD, add_direction=True, locale=locale or i18n.get_locale()
    )


# Babel's formatting is the dearest part of a queue row, and a queue shows the same few texts
# again and again (officers of a unit see the same first page): each text is formatted once
# per process and kept under a key that determines it completely.
_AGE_THRESHOLD = 1.5
_TEXTS: dict[tuple[Any, ...], str] = {}
_TEXTS_MAX = 4096


def _age_key(age: timedelta) -> tuple[str, int, bool]:
    """What babel's format_timedelta(-age, threshold=1.5, granularity="second") output depends
    on besides the locale: the unit it picks, the rounded value and the direction (the same
    steps as babel's)."""
    delta = -age
    seconds = int(delta.days * 86400 + delta.seconds)
    for unit, seconds_per_unit in TIMEDELTA_UNITS:
        value = abs(seconds) / seconds_per_unit
        if value >= _AGE_THRESHOLD or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return unit, round(value), seconds >= 0
    raise AssertionError("unreachable: 'second' always matches")


@cache
def _babel_locale(code: str) -> Locale:
    return Locale.parse(code)  # once per language: babel parses a code on every call


def cached_age_text(age: timedelta, code: str) -> str:
    """`age_text` in the language `code`, kept per process by what it depends on."""
    key = ("age", code, *_age_key(age))
    text = _TEXTS.get(key)
    if text is None:
        text = _remember(key, age_text(age, _babel_locale(code)))
    return text


def _due_text(due_at: datetime, code: str, due: str) -> str:
    date = format_datetime(due_at, "short", tzinfo=JAKARTA, locale=_babel_locale(code))
    return due % {"date": date}


def _cached_due_text(due_at: datetime, code: str, due: str) -> str:
    if not _minute_precision(code):
        return _due_text(due_at, code, due)
    # The short format shows no seconds: the minute determines the text.
    key = ("due", code, due, due_at.replace(second=0, microsecond=0))
    text = _TEXTS.get(key)
    if text is None:
        text = _remember(key, _due_text(due_at, code, due))
    return text


@cache
def _minute_precision(locale: str) -> bool:
    """The short time format has no seconds, and Jakarta's offset is whole minutes."""
    pattern = get_time_format("short", locale=locale).pattern
    return not any(field in pattern for field in "sSA")


def _remember(key: tuple[Any, ...], text: str) -> str:
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    _TEXTS[key] = text
    return text


async def list_complaints(
    filters: QueueFilters, *, officer_id: int | None, unit_id: int | None
) -> tuple[list[dict[str, Any]], int]:
    """One page of the queue and the total count: exactly two queries.

    `unit_id` limits to one unit (an officer's); None means every unit (an admin), where
    `filters.unit` narrows to one. `officer_id` is who "mine" means.
    """
    records, total = await page_records(filters, officer_id=officer_id, unit_id=unit_id)
    return describe([dict(record) for record in records]), total


async def page_records(
    filters: QueueFilters, *, officer_id: int | None, unit_id: int | None
) -> tuple[list[Any], int]:
    """`list_complaints` as the database gives it: the page's records (their `age` raw, the
    last field) and the total count."""
    where = conditions(filters, officer_id, unit_id)
    # Straight through asyncpg: the queue is the officers' most loaded page (db.fetch).
    async with db.one_connection():
        records = await db.fetch(rows_sql(filters, where), *where.args)
        count = await db.fetch(count_sql(filters, where), *where.args)
    return records, count[0]["n"]


def describe(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adds what a row shows in the reader's language: priority_text, age_text,
    due_text ("due <date>"), deadline_text ("Overdue", "Due soon" or "") and officer_text;
    age_text replaces the raw age, so the same complaint gives the same row until a text
    changes (handling/_queue_row.html is rendered once per distinct row).

    Labels are translated once per list, not once per row (a queue page is rendered often);
    the status badge is the template's (status_badge macro).
    """
    code = i18n.get_locale()
    priorities = {priority: priority_label(priority) for priority in PRIORITIES}
    overdue, due_soon, unassigned = _("Overdue"), _("Due soon"), _("Unassigned")
    due = _("due %(date)s")  # formatted per row below
    for row in rows:
        row["priority_text"] = priorities.get(row["priority"], row["priority"])
        # The raw age differs on every request; only its text shows (and keys the row cache).
        row["age_text"] = cached_age_text(row.pop("age"), code)
        row["due_text"] = _cached_due_text(row["due_at"], code, due) if row["due_at"] else ""
        row["deadline_text"] = (
            overdue if row["is_overdue"] else due_soon if row["is_due_soon"] else ""
        )
        row["officer_text"] = row["officer_name"] or unassigned
    return rows


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def is_capped(filters: QueueFilters, total: int) -> bool:
    """The count stopped (see `count_cap`): "more than", and no last page."""
    return total > count_cap(filters)
