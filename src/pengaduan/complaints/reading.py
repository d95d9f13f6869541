"""The reporter reads their complaints: "My complaints" (one page of them), one complaint
with what they may do with it now, its public timeline and its evidence; and the check
that a complaint is the asker's own, for the services that change it.

The pages' reads go through `db.fetch` (the query counts of tests/integration/
test_page_queries.py watch that function)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.complaints import lifecycle, statuses
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.i18n import _

PAGE_SIZE = 20
# Status changes whose note the reporter (and, for public complaints, tracking) may read: the
# reasons to reject and to reopen, and the closing note. Other transitions' notes stay off.
PUBLIC_NOTES = {
    ("pending", "rejected"),
    ("verified", "rejected"),
    ("in_progress", "rejected"),  # an outside agency declined it (its reason)
    ("resolved", "in_progress"),
    ("resolved", "closed"),
}

LIST_COLUMNS = """
    c.id, c.number, c.title, c.status, c.submitted_at, c.due_at, c.updated_at,
    c.is_anonymous, c.is_public, cat.name AS category_name, cat.icon AS category_icon
"""
# LIST_COLUMNS' names, in their order; and those holding a time (`packed`).
LIST_NAMES = (
    "id",
    "number",
    "title",
    "status",
    "submitted_at",
    "due_at",
    "updated_at",
    "is_anonymous",
    "is_public",
    "category_name",
    "category_icon",
)
LIST_TIMES = ("submitted_at", "due_at", "updated_at")


async def my_complaints_values(
    reporter_id: int, *, status: str = "", page: int = 1, packed: bool = False
) -> tuple[tuple[str, ...], list[tuple[Any, ...]], int, bool]:
    """The reporter's complaints, newest first, one page (LIST_COLUMNS' names and each one's
    values); their count, and whether it stopped ("more than"): one account may file for many
    people (an organisation, mail intake), and an exact count of 250,000 complaints cost 41 ms
    a visit. One query: the count rides on every row of the page (one row of NULLs and the
    count when the page is empty), a round trip fewer per visit than a query each.

    `packed`: each row is its id, its LIST_NAMES' values as one JSON text (db.packed_sql;
    read with `unpacked`) and whether it is overdue now (`overdue_since`'s rule): the names
    "id", "packed", "overdue"."""
    status = status if status in statuses.STATUSES else ""
    page = max(page, 1)
    where = db.Where()
    where.add("c.reporter = {}", reporter_id)
    if status:
        where.add("c.status = {}", status)
    cap = max(db.COUNT_CAP, page * PAGE_SIZE)  # past the page asked for: a next page?
    counted = db.capped_count(f"SELECT 1 FROM complaints c {where}", cap)
    # Every visit to My complaints: read with other requests' (see db.fetch_together).
    names, rows = await db.fetch_together_values(
        f"WITH listed AS (SELECT {LIST_COLUMNS} FROM complaints c"
        f" JOIN categories cat ON cat.id = c.category {where}"
        f" ORDER BY c.submitted_at DESC, c.id DESC"
        # The limit and offset written in, not parameters: PostgreSQL then keeps one generic
        # plan for the statement; with them as parameters its custom plans looked cheaper
        # and it planned every visit anew (0.8 ms a visit at 1M, 0.35 ms without).
        f" LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE})"
        f" SELECT {_PACKED if packed else 'listed.*'}, total.n AS total_n"
        f" FROM ({counted}) AS total"
        " LEFT JOIN listed ON true ORDER BY listed.submitted_at DESC, listed.id DESC",
        *where.args,
    )
    total = rows[0][-1]  # total_n, last
    listed = [row[:-1] for row in rows if row[0] is not None]  # the id is first
    return names[:-1], listed, total, total > cap


# My complaints' rows as `packed` gives them.
_PACKED = (
    f"listed.id, {db.packed_sql('listed', LIST_NAMES)} AS packed,"
    f" coalesce(listed.status IN ({statuses.OPEN_SQL}) AND listed.due_at < now(), false)"
    " AS overdue"
)


def unpacked(packed: str) -> dict[str, Any]:
    """A `packed` row of `my_complaints_values` by name, as the columns would give it."""
    return db.unpacked(packed, LIST_NAMES, LIST_TIMES)


async def my_complaints(
    reporter_id: int, *, status: str = "", page: int = 1
) -> tuple[list[dict[str, Any]], int, bool]:
    """`my_complaints_values` as dicts, each with its `overdue_since`."""
    names, rows, total, capped = await my_complaints_values(reporter_id, status=status, page=page)
    now = datetime.now(UTC)
    complaints = [dict(zip(names, row, strict=True)) for row in rows]
    for complaint in complaints:
        complaint["overdue_since"] = overdue_since(complaint, now)
    return complaints, total, capped


# A complaint's evidence files as `evidence_of` gives them, as one JSON value (all its fields
# are JSON's own types): read with the complaint, a round trip fewer for its page.
_FILES_JSON = (
    ", (SELECT coalesce(json_agg(json_build_object('id', e.id, 'original_name',"
    " e.original_name, 'mime_type', e.mime_type, 'size', e.size, 'thumbnail_key',"
    " e.thumbnail_key) ORDER BY e.id), '[]') FROM evidence_files e WHERE e.complaint = c.id)"
    " AS files_json"
)


async def complaint_for_reporter(
    complaint_id: int, reporter_id: int, *, with_files: bool = False, with_timeline: bool = False
) -> dict[str, Any] | None:
    """The whole complaint as its reporter sees it; None for anybody else's. With
    with_files=True also its evidence files (`evidence_of`), under "files"; with
    with_timeline=True its `public_timeline`, under "timeline" (read with it: a round trip
    fewer for its page). Read with other requests' (see db.fetch_together)."""
    rows = await db.fetch_together(
        "SELECT c.id, c.number, c.tracking_code, c.reporter, c.category, c.unit, c.title, c.body,"
        " c.location_text, c.latitude, c.longitude, c.status, c.citizen_urgency,"
        " c.is_anonymous, c.is_public, c.submitted_at, c.verified_at, c.resolved_at,"
        " c.closed_at, c.due_at, c.updated_at,"
        " cat.name AS category_name, cat.icon AS category_icon, u.name AS unit_name,"
        " x.name AS handed_to_name,"
        " r.score AS rating_score, r.comment AS rating_comment, r.created_at AS rated_at"
        + (_FILES_JSON if with_files else "")
        + (_TIMELINE_JSON if with_timeline else "")
        + " FROM complaints c JOIN categories cat ON cat.id = c.category"
        " JOIN units u ON u.id = c.unit LEFT JOIN ratings r ON r.complaint = c.id"
        " LEFT JOIN outside_agencies x ON x.id = c.handed_to"
        " WHERE c.id = $1 AND c.reporter = $2",
        complaint_id,
        reporter_id,
    )
    if not rows:
        return None
    complaint = rows[0]
    if with_files:
        complaint["files"] = json.loads(complaint.pop("files_json"))
    if with_timeline:
        complaint["timeline"] = timeline_of(complaint.pop("timeline_json"), reporter_id, texts=True)
    now = datetime.now(UTC)
    complaint.update(reporter_actions(complaint, now))
    complaint["overdue_since"] = overdue_since(complaint, now)
    complaint["reopen_ended_at"] = reopen_ended_at(complaint, now)
    return complaint


def overdue_since(complaint: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When an open complaint passed its deadline (its due time), or None when it is not late:
    the same rule as the staff's overdue flag (handling.services), seen by the reporter."""
    due_at = complaint.get("due_at")
    if not statuses.is_open(complaint["status"]) or due_at is None:
        return None
    return due_at if due_at < (now or datetime.now(UTC)) else None


def reopen_ended_at(complaint: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When the reporter's window to reopen a resolved (or since closed) complaint ended, once
    it has; None while it lasts or where there is none. Whether or not the closing job has
    closed it yet: the reporter is told why there is no reopening."""
    resolved_at = complaint.get("resolved_at")
    if complaint["status"] not in ("resolved", "closed") or resolved_at is None:
        return None
    ended = resolved_at + statuses.REOPEN_WINDOW
    return ended if ended < (now or datetime.now(UTC)) else None


def reporter_actions(complaint: dict[str, Any], now: datetime | None = None) -> dict[str, bool]:
    """What the reporter may do now (the page shows only these; the server checks again)."""
    status = complaint["status"]
    resolved_at = complaint.get("resolved_at")
    now = now or datetime.now(UTC)
    return {
        "can_edit": status == "pending",
        "can_withdraw": status == "pending",
        "can_message": status not in statuses.MESSAGES_CLOSED,
        "can_rate": status in ("resolved", "closed") and complaint.get("rating_score") is None,
        "can_reopen": status == "resolved"
        and resolved_at is not None
        and now - resolved_at <= statuses.REOPEN_WINDOW,
    }


async def complaint_status(complaint_id: int, reporter_id: int) -> str | None:
    """The status of the reporter's own complaint; None for anybody else's."""
    rows = await db.fetch(
        "SELECT status FROM complaints WHERE id = $1 AND reporter = $2", complaint_id, reporter_id
    )
    return rows[0]["status"] if rows else None


async def check_reporter(complaint_id: int, user_id: int | None) -> None:
    """Refused as not found unless the complaint is this user's own."""
    if user_id is None or await complaint_status(complaint_id, user_id) is None:
        raise Refused(_("This complaint does not exist."), NOT_FOUND)


async def reporters_locked(complaint_id: int, reporter_id: int) -> dict[str, Any]:
    """The complaint locked for the transaction; refused as not found when it is not the
    reporter's."""
    row = await lifecycle.load_for_update(complaint_id)
    if row["reporter"] != reporter_id:
        raise Refused(_("This complaint does not exist."), NOT_FOUND)
    return row


# Status changes and (when $2) public messages, oldest first; at the same moment a status
# change comes before a message ('status' sorts after 'message'), each kind by id.
_PUBLIC_TIMELINE_ROWS = """
SELECT 'status' AS kind, h.id, h.changed_at AS at, h.old_status, h.new_status, h.note,
       NULL::text AS body, false AS official, NULL::integer AS author,
       NULL::text AS author_role, NULL::text AS author_name
FROM status_history h
WHERE h.complaint = $1
UNION ALL
SELECT 'message', m.id, m.created_at, NULL, NULL, NULL, m.body, m.is_official_response,
       m.author, CASE WHEN x.id IS NOT NULL THEN 'agency' ELSE u.role END,
       coalesce(u.full_name, x.name)
FROM messages m LEFT JOIN users u ON u.id = m.author
LEFT JOIN outside_agencies x ON x.id = m.outside_agency
WHERE $2 AND m.complaint = $1 AND m.visibility = 'public'
"""
_PUBLIC_TIMELINE_SQL = _PUBLIC_TIMELINE_ROWS + "ORDER BY at, kind DESC, id\n"


def timeline_json(texts: str) -> str:
    """SQL: `, <the public timeline of the complaint c as one JSON value> AS timeline_json`, in
    the same order; public messages when the SQL expression `texts` holds (read with the
    complaint: a round trip fewer for its page). `timeline_of` reads it."""
    return (
        ", (SELECT coalesce(json_agg(t ORDER BY t.at, t.kind DESC, t.id), '[]') FROM ("
        + _PUBLIC_TIMELINE_ROWS.replace("$1", "c.id").replace("$2", texts)
        + ") AS t) AS timeline_json"
    )


_TIMELINE_JSON = timeline_json("true")


def timeline_of(text: str, reporter_id: int, *, texts: bool) -> list[dict[str, Any]]:
    """The entries of a `timeline_json` value, as `public_timeline` gives them."""
    rows = json.loads(text)
    for row in rows:
        row["at"] = datetime.fromisoformat(row["at"])
    return _timeline_entries(rows, reporter_id, texts=texts)


async def public_timeline(
    complaint_id: int, reporter_id: int, *, texts: bool = True
) -> list[dict[str, Any]]:
    """Status changes (with the notes meant for the reporter) and public messages, oldest
    first. Internal notes never come out of here. With texts=False: statuses only."""
    # One round trip, straight through asyncpg (see db.fetch): the reporter's page and the
    # tracking page ask it every time.
    rows = await db.fetch(_PUBLIC_TIMELINE_SQL, complaint_id, texts)
    return _timeline_entries(rows, reporter_id, texts=texts)


def _timeline_entries(rows: Any, reporter_id: int, *, texts: bool) -> list[dict[str, Any]]:
    """The timeline's rows (records, or their JSON) as the templates show them."""
    entries: list[dict[str, Any]] = []
    for row in rows:
        if row["kind"] == "status":
            public_note = (row["old_status"], row["new_status"]) in PUBLIC_NOTES
            entries.append(
                {
                    "kind": "status",
                    "at": row["at"],
                    "status": row["new_status"],
                    "old_status": row["old_status"],
                    "reopened": (row["old_status"], row["new_status"])
                    == ("resolved", "in_progress"),
                    "note": row["note"] if texts and public_note else "",
                }
            )
        else:
            by_reporter = row["author"] == reporter_id
            entries.append(
                {
                    "kind": "message",
                    "at": row["at"],
                    "body": row["body"],
                    "official": row["official"],
                    "by_reporter": by_reporter,
                    "author_role": "citizen" if by_reporter else row["author_role"],
                    "author_name": "" if by_reporter else row["author_name"],
                }
            )
    return entries


async def evidence_of(complaint_id: int) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, original_name, mime_type, size, thumbnail_key FROM evidence_files"
        " WHERE complaint = $1 ORDER BY id",
        complaint_id,
    )
    return [dict(row) for row in rows]


async def evidence_for_viewer(
    complaint_id: int, file_id: int, *, user_id: int, role: str, unit_id: int | None
) -> dict[str, Any] | None:
    """An evidence file if the viewer may see it: the reporter, the officers of the
    complaint's unit, admins. Evidence is never public."""
    rows = await db.fetch(
        "SELECT e.id, e.original_name, e.storage_key, e.thumbnail_key, e.mime_type, e.size"
        " FROM evidence_files e JOIN complaints c ON c.id = e.complaint"
        " WHERE e.id = $1 AND e.complaint = $2"
        " AND (c.reporter = $3 OR $4 = 'admin' OR ($4 = 'officer' AND c.unit = $5))",
        file_id,
        complaint_id,
        user_id,
        role,
        unit_id or 0,
    )
    return dict(rows[0]) if rows else None
