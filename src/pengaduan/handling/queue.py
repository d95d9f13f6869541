"""The complaint queue: who sees which complaints, filtered, searched, sorted by urgency, paged.

Used by the officers' queue and by the admins' all-units list. Everything is filtered in SQL
and one page costs exactly one query (the rows and the count, `page_sql`); its texts in the
reader's language: handling.queue_texts. The reporter is never read here, so no queue can
show who reported an (anonymous) complaint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from pengaduan import db
from pengaduan.complaints import tallies
from pengaduan.complaints.statuses import OPEN_SQL, OPEN_STATUSES, STATUSES
from pengaduan.complaints.tables import PRIORITIES
from pengaduan.db import COUNT_CAP
from pengaduan.handling import queue_search, queue_texts
from pengaduan.handling.queue_columns import COLUMNS, JOINS, ORDER, PACKED_FIELDS
from pengaduan.memo import keep
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


# Query strings by filters and changes: see `QueueFilters.query_string`.
_QUERY_STRINGS: dict[tuple[Any, ...], str] = {}
_QUERY_STRINGS_MAX = 4096


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
        """The filters as a query string (defaults left out), with `changes` applied; any
        change other than the page starts again at page 1. Kept per process (a list page asks
        for several, urlencode is slow; the filters are frozen, the text never goes stale)."""
        key = (self, *changes.items())
        try:
            text = _QUERY_STRINGS.get(key)
        except TypeError:  # an unhashable change
            return self._query_string(changes)
        if text is None:
            text = keep(_QUERY_STRINGS, key, self._query_string(changes), _QUERY_STRINGS_MAX)
        return text

    def _query_string(self, changes: dict[str, Any]) -> str:
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
    except status and priority (see `statuses_of` and `_priorities`) and a text search, which
    queue_search.narrow adds (`page_records`, `with_search`); a complaint number is looked up."""
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
    if filters.q and NUMBER_RE.match(filters.q):
        where.add("c.number = {}", filters.q.upper())
    return where


async def with_search(
    filters: QueueFilters, officer_id: int | None, unit_id: int | None
) -> db.Where:
    """`conditions`, the text search as its matches while they are few (queue_search.narrow):
    for the map's clusters and exports, which read every match of any status."""
    where = conditions(filters, officer_id, unit_id)
    if filters.q and not NUMBER_RE.match(filters.q):
        await queue_search.narrow(where, filters.q, limit=queue_search.SEARCH_IDS)
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
    """One page in urgency order (priority, then due date, then id): see `_page_ctes`."""
    return _with_details(_page_ctes(filters, where))


def _page_ctes(filters: QueueFilters, where: db.Where) -> str:
    """The CTEs that end with `page` (id, rank, due_at): one page in urgency order.

    Sorting all of a unit's open complaints for 25 of them reads every one of them. Instead
    each priority is a group (g0 most urgent), and within it each status takes its first rows
    in due-date order, which the queue index (unit, status, due_at) gives without sorting.
    A group only looks for what the more urgent groups left to find: when they found enough,
    its LIMIT is 0 and PostgreSQL never runs it. The page's 25 are then joined with their
    category, unit and officer.

    Open complaints with no narrower filter than one unit (every officer's default view) or
    none at all (the admins' list) are read in that order straight from an index of their own
    (complaints_queue_open_rank, complaints_open_rank_all: see `_OPEN_RANK_SQL`) instead; so
    are the open ones holding a common word (queue_search.narrow), walked until the first
    matches. A search's few matches are sorted.
    """
    offset = (filters.page - 1) * PAGE_SIZE
    if queue_search.among_matches(where) or (filters.status == "" and queue_search.by_words(where)):
        # A search's few matches (queue_search.narrow), sorted: the groups below cost more to
        # plan. A common word's open matches: the open ones' rank index walked to the first.
        codes = ", ".join(literal(status) for status in statuses_of(filters))
        priorities = ", ".join(literal(p) for p in _priorities(filters))
        return f"""page AS (
    SELECT c.id, {_OPEN_RANK_SQL} AS rank, c.due_at FROM complaints c
    WHERE {where.sql} AND c.status IN ({codes}) AND c.priority IN ({priorities})
    ORDER BY 2, c.due_at, c.id LIMIT {PAGE_SIZE} OFFSET {offset}
)"""
    if filters.status == "" and where.conditions in ([], ["c.unit = $1"]):
        priorities = ", ".join(literal(p) for p in _priorities(filters))
        unit = "c.unit = $1 AND " if where.conditions else ""
        return f"""page AS (
    SELECT c.id, {_OPEN_RANK_SQL} AS rank, c.due_at FROM complaints c
    WHERE {unit}c.status IN ({OPEN_SQL}) AND c.priority IN ({priorities})
    ORDER BY {_OPEN_RANK_SQL}, c.due_at, c.id LIMIT {PAGE_SIZE} OFFSET {offset}
)"""
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
    return f"""{", ".join(groups)},
page AS (
    SELECT id, rank, due_at FROM ({candidates}) AS candidates
    ORDER BY rank, due_at, id LIMIT {PAGE_SIZE} OFFSET {offset}
)"""


def _with_details(ctes: str) -> str:
    """The page's rows (the `page` CTE: id, rank, due_at) with what the queue shows."""
    return f"WITH {ctes}\nSELECT{COLUMNS}{JOINS}\n{ORDER}\n"


def page_sql(
    filters: QueueFilters,
    where: db.Where,
    *,
    also: str = "",
    also_columns: tuple[str, ...] = (),
    total: int | None = None,
    packed: bool = False,
) -> str:
    """The page (`rows_sql`) and its count (`count_sql`, or the `total` already known) in one
    statement, and with `also` (a SELECT of one row) its `also_columns` too: a round trip each
    saved. One row per complaint (its `ordinal` in the page first, then its fields, the raw
    age last), each followed by the `total` and the `also_columns` (on the first row only;
    NULL on the others). An empty page is one row: NULL fields, the total and the
    `also_columns`.

    `packed`: each row's fields but the age are one JSON text (an array of the values of
    PACKED_FIELDS) after its id: the columns "id", "packed", "age". A page kept rendered per
    row (handling.admin_list) reads 3 values a row instead of 15, and finds a row by one
    string (the text is all the row shows, so the same text is the same row)."""
    shown = "rows.*"
    if packed:
        shown = f"rows.ordinal, rows.id, {db.packed_sql('rows', PACKED_FIELDS)} AS packed, rows.age"
    extra = "".join(
        f",\n       CASE WHEN coalesce(rows.ordinal, 1) = 1 THEN also.{name} END AS {name}"
        for name in also_columns
    )
    also_join = f"\nCROSS JOIN ({also}) AS also" if also else ""
    return f"""WITH {_page_ctes(filters, where)},
rows AS (SELECT row_number() OVER ({ORDER}) AS ordinal,{COLUMNS}{JOINS}),
total AS ({count_sql(filters, where) if total is None else f"SELECT {int(total)} AS n"})
SELECT {shown}, total.n AS total{extra}
FROM total{also_join}
LEFT JOIN rows ON true
ORDER BY rows.ordinal
"""


def count_cap(filters: QueueFilters) -> int:
    """How far the count goes: the archive's COUNT_CAP (same "more than" wording), or as far
    as the page asked for and one more page (whether there is a next page is still known)."""
    return max(COUNT_CAP, filters.page * PAGE_SIZE)


def count_sql(filters: QueueFilters, where: db.Where) -> str:
    """The count stops one past `count_cap` (all units, any status: ~50 ms a request at 1M).
    What complaint_tallies hold comes from them (tallies.list_count_sql): 1,001 index entries
    counted were 0.2 ms, a third of the admin list's PostgreSQL time, and a category's 40 ms."""
    tallied = tallies.list_count_sql(where.conditions, filters.status, cap=count_cap(filters))
    if tallied is not None and not filters.priority:
        return tallied
    codes = ", ".join(literal(s) for s in statuses_of(filters))
    sql = f"SELECT 1 FROM complaints c WHERE {where.sql} AND c.status IN ({codes})"
    sql += f" AND c.priority = {literal(filters.priority)}" if filters.priority else ""
    return db.capped_count(sql, count_cap(filters))


async def list_complaints(
    filters: QueueFilters, *, officer_id: int | None, unit_id: int | None
) -> tuple[list[dict[str, Any]], int]:
    """One page of the queue and the total count, in one query.

    `unit_id` limits to one unit (an officer's); None means every unit (an admin), where
    `filters.unit` narrows to one. `officer_id` is who "mine" means.
    """
    page = await page_records(filters, officer_id=officer_id, unit_id=unit_id)
    rows = [dict(zip(page.fields, row, strict=True)) for row in page.rows]
    return queue_texts.describe(rows), page.total


@dataclass(frozen=True)
class PageRecords:
    """A page of the queue as the database gave it: each row's values in the order of
    `fields` (the raw `age` last), the total count, and the `also` columns of `page_sql`."""

    fields: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    total: int
    also: dict[str, Any]


async def page_records(
    filters: QueueFilters,
    *,
    officer_id: int | None,
    unit_id: int | None,
    also: str = "",
    also_columns: tuple[str, ...] = (),
    packed: bool = False,
) -> PageRecords:
    """`list_complaints` as the database gives it, with the columns of `also` (`page_sql`).
    A text search first reads its matches in the list's statuses as far as the count goes
    (queue_search.narrow): they are the count, and a word found nowhere needs no page."""
    where = conditions(filters, officer_id, unit_id)
    total = None
    if filters.q and not NUMBER_RE.match(filters.q):
        codes = ", ".join(literal(status) for status in statuses_of(filters))
        priority = f" AND c.priority = {literal(filters.priority)}" if filters.priority else ""
        order, upto = "", 0
        if filters.status == "" and where.conditions == ["c.unit = $1"]:
            # One unit's open ones (an officer's queue): read in the order of their own index
            # (complaints_queue_open_rank), the matches up to this page are its candidates.
            order, upto = f"{_OPEN_RANK_SQL}, c.due_at, c.id", filters.page * PAGE_SIZE
            scope = f"c.status IN ({codes}){priority}"
        else:
            # The statuses as a test of each row, not through an index (their collation is
            # not the indexes'): a bitmap of the open ones (400,000 of 1M) cost more than the
            # matches it sorted out; and tested before the words, the cheaper test (1,001 of
            # "lampu": 17 -> 11 ms).
            scope = f'c.status COLLATE "C" IN ({codes}){priority}'
        total = await queue_search.narrow(
            where, filters.q, limit=count_cap(filters), scope=scope, order=order, upto=upto
        )
    if "false" in where.conditions and not also:  # nothing matches: no statement
        return PageRecords(fields=(), rows=[], total=0, also={})
    sql = page_sql(filters, where, also=also, also_columns=also_columns, total=total, packed=packed)
    # With other requests' (db.fetch_together), but by category or search, as the plan varies.
    if filters.category or filters.q:
        names, values = db.as_values(await db.fetch(sql, *where.args))
    else:
        # A unit's queue and the admin list are the same for all who ask alike: one read.
        names, values = await db.fetch_together_values(sql, *where.args, share=True)
    first = dict(zip(names, values[0], strict=True))
    end = names.index("total")
    rows = [] if first["ordinal"] is None else [value[1:end] for value in values]
    also_values = {name: first[name] for name in also_columns}
    return PageRecords(names[1:end], rows, first["total"], also_values)


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def is_capped(filters: QueueFilters, total: int) -> bool:
    return total > count_cap(filters)  # the count stopped: "more than", and no last page
