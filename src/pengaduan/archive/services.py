"""Queries of the public archive: public complaints listed, searched, shown, and found similar.

Every query here returns only public complaints that were not withdrawn (`PUBLIC` below, in
SQL, before any LIMIT), never evidence, contact data or internal notes, and never the reporter
of an anonymous complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.archive.filters import ARCHIVE_STATUSES, ArchiveFilters, one_line
from pengaduan.clock import JAKARTA
from pengaduan.complaints import tallies
from pengaduan.complaints.statuses import OPEN_SQL
from pengaduan.db import COUNT_CAP

PAGE_SIZE = 20
SIMILAR_LIMIT = 5
SIMILAR_MIN_CHARS = 4
# Similar complaints come from the newest this-many open public complaints (a walk of the
# newest, whatever the words). Ranking the trigram and full-text matches of every open
# complaint cost 2.5 s at 1M complaints for "jalan rusak" (9.6 ms at 10,000).
SIMILAR_WINDOW = 2000
# When fewer of those than SIMILAR_LIMIT hold every word typed, up to this many older open
# ones that do are looked at too, found through the full-text index alone, in at most
# this many milliseconds.
SIMILAR_OLDER = 50
SIMILAR_OLDER_MS = 10
# The words of a typed title that count (the first ones).
SIMILAR_WORDS = 12

PUBLIC = "c.is_public AND c.status <> 'withdrawn'"
# The stored, weighted document (title A, body B; a generated column with the GIN index
# complaints_search): searching and ranking read it instead of recomputing each match's.
DOCUMENT = "c.search_document"
# A text search ranks only the newest this-many matches, so the commonest word costs about
# what a rare one does (found by walking the newest complaints, not by ranking them all).
RANKED_CANDIDATES = 1000
ROW_COLUMNS = """
    c.id, c.number, c.title, c.status, c.submitted_at, c.location_text,
    cat.name AS category_name, cat.icon AS category_icon, u.name AS unit_name,
    EXISTS (
        SELECT 1 FROM messages m
        WHERE m.complaint = c.id AND m.is_official_response AND m.visibility = 'public'
    ) AS has_response
"""
JOINS = """
    LEFT JOIN categories cat ON cat.id = c.category
    LEFT JOIN units u ON u.id = c.unit
"""
ROW_JOINS = "FROM complaints c" + JOINS
# A word of a typed title (letters and digits): joined by "or" for websearch_to_tsquery.
_WORD = re.compile(r"\w+")


def conditions(filters: ArchiveFilters) -> db.Where:
    """The WHERE clause (always starting with the public rule) and its arguments."""
    where = db.Where().add(PUBLIC)
    if filters.number:
        # A number is looked up, not searched: the unique index on number finds it.
        where.add("c.number = ANY({})", filters.numbers)
    elif filters.q:
        where.add(f"{DOCUMENT} @@ websearch_to_tsquery('indonesian', {{}})", filters.q)
    if filters.category:
        where.add("c.category = {}", filters.category)
    if filters.status:
        where.add("c.status = {}", filters.status)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min, tzinfo=JAKARTA)
        where.add("c.submitted_at >= {}", start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=JAKARTA)
        where.add("c.submitted_at < {}", end)
    if filters.location:
        where.add("c.location_text ILIKE {}", "%" + db.escape_like(filters.location) + "%")
    return where


def archive_queries(filters: ArchiveFilters) -> tuple[str, list[Any], str, list[Any]]:
    """The rows query and the count query for the filters, each with its arguments.

    The rows query asks for one row more than a page (is there a next page?). A text search
    takes the newest RANKED_CANDIDATES matches (PostgreSQL walks the submitted_at index for a
    common word and stops, or reads the GIN index for a rare one) and orders only those by
    ts_rank over the stored document, title matches first. The count stops at COUNT_CAP + 1;
    for a status, a category or neither it is read from the tallies (complaints.tallies).
    """
    where = conditions(filters)
    # The rows query's own values come after the clause's (the count has only those).
    page = db.Where(first=len(where.args))
    # Limit and offset written in (see complaints.reading.my_complaints: one generic plan).
    offset = (filters.page - 1) * PAGE_SIZE
    order = "c.submitted_at DESC, c.id DESC"
    if filters.q and not filters.number:
        query = f"websearch_to_tsquery('indonesian', {page.param(filters.q)})"
        rows_sql = f"""
            WITH candidates AS MATERIALIZED (
                SELECT c.id, c.submitted_at, {DOCUMENT} AS document FROM complaints c
                {where} ORDER BY {order} LIMIT {RANKED_CANDIDATES}
            ), page AS (
                SELECT k.id, ts_rank(k.document, {query}) AS rank FROM candidates k
                ORDER BY rank DESC, k.submitted_at DESC, k.id DESC
                LIMIT {PAGE_SIZE + 1} OFFSET {int(offset)}
            )
            SELECT {ROW_COLUMNS} FROM page p JOIN complaints c ON c.id = p.id {JOINS}
            ORDER BY p.rank DESC, {order}
        """
    else:
        rows_sql = f"SELECT {ROW_COLUMNS} {ROW_JOINS} {where} ORDER BY {order}"
        rows_sql += f" LIMIT {PAGE_SIZE + 1} OFFSET {int(offset)}"
    if filters.q or filters.location or filters.date_from or filters.date_to:
        # An exact count of a common word's matches grows with the archive.
        count_sql = db.capped_count(f"SELECT 1 FROM complaints c {where}", COUNT_CAP)
        return rows_sql, [*where.args, *page.args], count_sql, where.args
    # A status or a category (or neither): the tallies kept per category and status.
    codes = [filters.status] if filters.status else ARCHIVE_STATUSES
    category = None if filters.category is None else "$1::int"
    count_sql = tallies.public_count_sql(codes, category, cap=COUNT_CAP)
    count_args = [] if filters.category is None else [filters.category]
    return rows_sql, [*where.args, *page.args], count_sql, count_args


@dataclass(frozen=True)
class ArchivePage:
    """One page of the archive: its rows, how many match (up to the cap), and the pager."""

    rows: list[dict[str, Any]]
    total: int
    capped: bool
    has_next: bool
    # Known when the count is exact; past the cap the pager offers "next" while rows exist.
    pages: int | None
    # A text search past the cap ranks only the newest RANKED_CANDIDATES matches.
    ranked_newest: bool


async def search_archive(filters: ArchiveFilters) -> ArchivePage:
    """One page of public complaints matching the filters, and how many match (capped).

    Two queries whatever the page holds: the rows (with category, unit and whether there is
    an official response) and the capped count. Ranked by relevance when searching, else
    newest first; a complaint number shows that complaint (if public).
    """
    rows_sql, row_args, count_sql, count_args = archive_queries(filters)
    if filters.q and not filters.number:
        # Planned for this very word each time: a plan kept for a rare word (read the GIN
        # index, sort the matches) would be linear in the matches for a common one.
        async with db.ENGINE.transaction():
            await db.fetch("SET LOCAL plan_cache_mode = force_custom_plan")
            rows = await db.fetch(rows_sql, *row_args)
            count = await db.fetch(count_sql, *count_args)
    else:
        rows = await db.fetch(rows_sql, *row_args)
        count = await db.fetch(count_sql, *count_args)
    total = count[0]["n"]
    capped = total > COUNT_CAP
    return ArchivePage(
        rows=[dict(row) for row in rows[:PAGE_SIZE]],
        total=min(total, COUNT_CAP),
        capped=capped,
        has_next=len(rows) > PAGE_SIZE,
        pages=None if capped else max(1, -(-total // PAGE_SIZE)),
        ranked_newest=capped and bool(filters.q) and not filters.number,
    )


async def recent_public(limit: int = 5) -> list[dict[str, Any]]:
    """The newest public complaints (for the home page)."""
    rows = await db.fetch(
        f"SELECT {ROW_COLUMNS} {ROW_JOINS} WHERE {PUBLIC}"
        " ORDER BY c.submitted_at DESC, c.id DESC LIMIT $1",
        limit,
    )
    return [dict(row) for row in rows]


async def archive_categories() -> list[dict[str, Any]]:
    """Categories for the archive's filter (inactive ones too: old complaints keep them)."""
    return [
        dict(row) for row in await db.fetch("SELECT id, name, icon FROM categories ORDER BY name")
    ]


def public_name(full_name: str | None) -> str:
    """How a named reporter appears in public: first name and initial ("Siti A.")."""
    parts = (full_name or "").split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[1][0].upper()}."


async def public_complaint(number: str) -> dict[str, Any] | None:
    """A public, not withdrawn complaint by number, or None (also for private ones)."""
    if "\x00" in number or len(number) > 40:
        return None
    rows = await db.fetch(
        f"""
        SELECT c.id, c.number, c.title, c.body, c.location_text, c.status, c.is_anonymous,
               c.submitted_at, c.verified_at, c.resolved_at, c.closed_at,
               cat.name AS category_name, cat.icon AS category_icon, u.name AS unit_name,
               CASE WHEN c.is_anonymous THEN NULL ELSE r.full_name END AS reporter_name
        {ROW_JOINS}
        LEFT JOIN users r ON r.id = c.reporter
        WHERE c.number = $1 AND {PUBLIC}
        """,
        number,
    )
    if not rows:
        return None
    complaint = dict(rows[0])
    complaint["reporter"] = (
        None if complaint["is_anonymous"] else public_name(complaint.pop("reporter_name"))
    )
    complaint.pop("reporter_name", None)
    return complaint


async def public_timeline(complaint_id: int) -> list[dict[str, Any]]:
    """Status changes (with the reason of a rejection) and public messages, oldest first.

    Internal notes never come out of here; other status notes may be working notes, so only
    a rejection's reason is shown. Message authors are "reporter" or "staff", never named.
    """
    rows = await db.fetch(
        """
        SELECT 'status' AS kind, h.changed_at AS at, h.old_status, h.new_status,
               CASE WHEN h.new_status = 'rejected' THEN h.note ELSE '' END AS body,
               false AS is_official_response, NULL AS author, h.id AS seq
        FROM status_history h
        WHERE h.complaint = $1
        UNION ALL
        SELECT 'message', m.created_at, NULL, NULL, m.body, m.is_official_response,
               CASE WHEN m.author = c.reporter THEN 'reporter' ELSE 'staff' END, m.id
        FROM messages m JOIN complaints c ON c.id = m.complaint
        WHERE m.complaint = $2 AND m.visibility = 'public'
        ORDER BY at, kind DESC, seq
        """,
        complaint_id,
        complaint_id,
    )
    return [dict(row) for row in rows]


async def similar_open(title: str) -> list[dict[str, Any]]:
    """Up to five open public complaints like `title`, best first ([] for short input).

    Candidates are the newest SIMILAR_WINDOW open public complaints that hold any word of
    the title (`similar_query`), and, when fewer than SIMILAR_LIMIT of those hold every word,
    up to SIMILAR_OLDER older ones that do (`older_similar_query`). Each is scored by title
    similarity (trigrams) plus text rank. However many complaints share a word, the window
    costs the same; the older ones are looked for only through the full-text index.
    """
    query = similar_query(title)
    if query is None:
        return []
    sql, *values = query
    rows = [dict(row) for row in await db.fetch(sql, *values)]
    summary = rows[0]
    found = [row for row in rows if row["number"] is not None]
    if summary["held"] == SIMILAR_WINDOW and summary["full_matches"] < SIMILAR_LIMIT:
        older_sql, *older_values = older_similar_query(query, summary["oldest"])
        try:
            async with db.ENGINE.transaction():
                # The full-text index is the one way left to find them: an index walked in
                # order of time, or the table read, in search of words common alone but rare
                # together ("jalan rusak lampu mati") passed every open complaint (1.2 s at
                # 1M). Even so, words that are all common make the index merge lists as long
                # as the table (22 ms at 1M): past SIMILAR_OLDER_MS the older ones are left
                # out, a hint not worth more of the database.
                await db.execute(
                    f"{ONLY_BITMAP_SCANS}; SET LOCAL statement_timeout = {SIMILAR_OLDER_MS}"
                )
                found += [dict(row) for row in await db.fetch(older_sql, *older_values)]
        except asyncpg.QueryCanceledError:
            pass
    found.sort(key=lambda row: (row["score"], row["submitted_at"]), reverse=True)
    return [{key: row[key] for key in _SIMILAR_SHOWN} for row in found[:SIMILAR_LIMIT]]


# What `older_similar_query` runs under (in a transaction).
ONLY_BITMAP_SCANS = "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"
_SIMILAR_SHOWN = ("number", "title", "status", "submitted_at", "category_name", "category_icon")
_SIMILAR_COLUMNS = """c.number, c.title, c.status, c.submitted_at,
           cat.name AS category_name, cat.icon AS category_icon, k.score"""
# Written in (not a value): the index of open complaints by submission time serves it.
_OPEN_PUBLIC = f"c.status IN ({OPEN_SQL}) AND {PUBLIC}"


def similar_query(title: str) -> tuple[str, str, str, str] | None:
    """The window's statement and its values (None for short input): one row per candidate
    found, best first, each with how many complaints the window holds (`held`), the
    oldest one's time and how many hold every word; one row of those alone when none."""
    title = one_line(title)[:200]
    words = _WORD.findall(title)[:SIMILAR_WORDS]
    if len(title) < SIMILAR_MIN_CHARS or not words:
        return None
    sql = f"""
        WITH recent AS MATERIALIZED (
            SELECT c.id, c.title, {DOCUMENT} AS document, c.submitted_at FROM complaints c
            WHERE {_OPEN_PUBLIC} ORDER BY c.submitted_at DESC LIMIT {SIMILAR_WINDOW}
        ), summary AS (
            SELECT count(*) AS held, min(r.submitted_at) AS oldest,
                   count(*) FILTER (WHERE r.document @@ {_EVERY_WORD}) AS full_matches
            FROM recent r
        ), k AS (
            SELECT r.id, {_SCORE} AS score FROM recent r WHERE r.document @@ {_ANY_WORD}
            ORDER BY score DESC, r.submitted_at DESC LIMIT {SIMILAR_LIMIT}
        )
        SELECT s.held, s.oldest, s.full_matches, {_SIMILAR_COLUMNS}
        FROM summary s
        LEFT JOIN (k JOIN complaints c ON c.id = k.id
                   LEFT JOIN categories cat ON cat.id = c.category) ON true
        ORDER BY k.score DESC NULLS LAST, c.submitted_at DESC
    """
    return sql, title, " ".join(words), " or ".join(words)


def older_similar_query(
    query: tuple[str, str, str, str], before: datetime
) -> tuple[str, str, str, str, datetime]:
    """The statement (and its values) of up to SIMILAR_OLDER open public complaints submitted
    `before` the window that hold every word, scored, best first. Only the full-text
    condition can use an index (the others are written so that none can): with sequential
    and index scans turned off for it, PostgreSQL reads them through the full-text index and
    stops at SIMILAR_OLDER (whichever it meets first: all hold every word)."""
    _sql, title, every, any_word = query
    sql = f"""
        SELECT {_SIMILAR_COLUMNS} FROM (
            SELECT r.id, {_SCORE} AS score FROM (
                SELECT c.id, c.title, {DOCUMENT} AS document FROM complaints c
                WHERE {DOCUMENT} @@ {_EVERY_WORD}
                  AND ({_OPEN_PUBLIC} AND c.submitted_at < $4) IS TRUE
                LIMIT {SIMILAR_OLDER}
            ) AS r ORDER BY score DESC LIMIT {SIMILAR_LIMIT}
        ) AS k JOIN complaints c ON c.id = k.id LEFT JOIN categories cat ON cat.id = c.category
    """
    return sql, title, every, any_word, before


# The values of both statements: $1 the title, $2 its words (all of them: "every word"), $3
# the same joined by websearch's own "or" (no operator a visitor typed gets through).
_EVERY_WORD = "websearch_to_tsquery('indonesian', $2)"
_ANY_WORD = "websearch_to_tsquery('indonesian', $3)"
_SCORE = f"similarity(r.title, $1) + ts_rank(r.document, {_ANY_WORD})"
