"""Queries for officers and admins about the complaints they handle: unit summary and detail."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pengaduan import db
from pengaduan.agency import response_templates
from pengaduan.complaints import statuses, tallies
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.versions import MESSAGE_COUNT_SQL
from pengaduan.web.pagecache import ByVersion

_OPEN = statuses.OPEN_SQL


# The home page's figures of open complaints stop here ("more than 99", as the bell does):
# at 1,000 (the queue's cap) its three counts read 3,000 index entries, and the page was 1.5x
# slower at a million complaints than at 10,000. The queue views it links to count further.
HOME_CAP = 99


def _open_count(condition: str) -> str:
    """SQL: the unit's ($2) open complaints that meet `condition`, counted to one past
    HOME_CAP at most, from the queue's indexes (unit, officer, status) and (unit, status,
    due_at)."""
    return db.capped_count(
        f"SELECT 1 FROM complaints c WHERE c.unit = $2 AND c.status IN ({_OPEN}) AND {condition}",
        HOME_CAP,
    )


# The officers' home page: its unit's name, its complaints per status (complaint_tallies: a
# count of the unit's every complaint was 135 ms at a million), and the open ones assigned to
# the officer ($1), to nobody, and overdue, as the queue's views the page links to.
_SUMMARY_SQL = f"""
SELECT u.name,
       {tallies.per_status_of_unit("u.id")} AS per_status,
       ({_open_count("c.officer = $1")}) AS mine,
       ({_open_count("c.officer IS NULL")}) AS unassigned,
       ({_open_count("c.due_at < now()")}) AS overdue
FROM units u WHERE u.id = $2
"""


async def unit_summary(unit_id: int | None, officer_id: int) -> dict[str, Any]:
    """Counts of the unit's complaints by status (exact), and of its open ones assigned to the
    officer, to nobody, and overdue (at most `cap` + 1: above `cap` means "more than")."""
    rows = await db.fetch_together(_SUMMARY_SQL, officer_id, unit_id) if unit_id else []
    if not rows:
        return {"unit": None}
    row = rows[0]
    per_status = json.loads(row["per_status"])
    counts = {code: per_status.get(code, 0) for code in statuses.STATUSES}
    return {
        "unit": {"id": unit_id, "name": row["name"]},
        "counts": counts,
        "open": sum(counts[code] for code in statuses.OPEN_STATUSES),
        "overdue": row["overdue"],
        "mine": row["mine"],
        "unassigned": row["unassigned"],
        "cap": HOME_CAP,
    }


def scope_unit(actor: Actor) -> int | None:
    """The one unit whose complaints the actor handles; None for admins (every unit).

    An officer without a unit handles none: -1 matches no unit.
    """
    if actor.role == "admin":
        return None
    return actor.unit_id if actor.unit_id is not None else -1


# The reporter's name is read only for complaints that are not anonymous.
_DETAIL_SQL = f"""
SELECT c.id, c.number, c.title, c.body, c.location_text, c.latitude, c.longitude,
       c.status, c.priority, c.citizen_urgency, c.is_anonymous, c.is_public,
       c.submitted_at, c.verified_at, c.resolved_at, c.closed_at, c.due_at, c.updated_at,
       c.assigned_at, c.first_response_at, {MESSAGE_COUNT_SQL} AS message_count,
       c.category AS category_id, cat.name AS category_name, cat.icon AS category_icon,
       c.category_suggested, c.channel, c.unit AS unit_id, u.name AS unit_name,
       c.officer AS officer_id, o.full_name AS officer_name,
       c.handed_to AS handed_to_id, x.name AS handed_to_name,
       CASE WHEN c.is_anonymous THEN NULL ELSE r.full_name END AS reporter_name,
       coalesce(c.due_at < now() AND c.status IN ({_OPEN}), false) AS is_overdue,
       coalesce(c.due_at >= now() AND c.due_at < now() + interval '24 hours'
                AND c.status IN ({_OPEN}), false) AS is_due_soon
FROM complaints c
JOIN categories cat ON cat.id = c.category
JOIN units u ON u.id = c.unit
JOIN users r ON r.id = c.reporter
LEFT JOIN users o ON o.id = c.officer
LEFT JOIN outside_agencies x ON x.id = c.handed_to
WHERE c.id = $1 AND ($2::int IS NULL OR c.unit = $2)
"""


async def complaint_for_staff(complaint_id: int, actor: Actor) -> dict[str, Any] | None:
    """The complaint as staff see it, or None when it is not the actor's to see."""
    if actor.role not in ("officer", "admin"):
        return None
    # Every staff page and action on a complaint asks it: straight through asyncpg.
    rows = await db.fetch(_DETAIL_SQL, complaint_id, scope_unit(actor))
    return dict(rows[0]) if rows else None


# Status changes and messages (`_PAGE_SQL` puts them in order). A row by the reporter of an anonymous complaint
# carries no name (the template shows "Anonymous"); one by an outside agency carries its name.
_TIMELINE_SQL = """
SELECT 'status' AS kind, h.id, h.changed_at AS at, h.old_status, h.new_status, h.note AS body,
       'public' AS visibility, false AS is_official_response,
       (h.changed_by = c.reporter) AS by_reporter,
       CASE WHEN h.changed_by = c.reporter AND c.is_anonymous THEN NULL
            ELSE coalesce(a.full_name, x.name) END AS author_name,
       CASE WHEN x.id IS NOT NULL THEN 'agency' ELSE a.role END AS author_role
FROM status_history h
JOIN complaints c ON c.id = h.complaint
LEFT JOIN users a ON a.id = h.changed_by
LEFT JOIN outside_agencies x ON x.id = h.outside_agency
WHERE h.complaint = $1
UNION ALL
SELECT 'message', m.id, m.created_at, NULL, NULL, m.body, m.visibility, m.is_official_response,
       coalesce(m.author = c.reporter, false),
       CASE WHEN m.author = c.reporter AND c.is_anonymous THEN NULL
            ELSE coalesce(a.full_name, x.name) END,
       CASE WHEN x.id IS NOT NULL THEN 'agency' ELSE a.role END
FROM messages m
JOIN complaints c ON c.id = m.complaint
LEFT JOIN users a ON a.id = m.author
LEFT JOIN outside_agencies x ON x.id = m.outside_agency
WHERE m.complaint = $1
"""


# What the page offers besides the complaint and its timeline, as JSON text (plain numbers,
# text and booleans): the evidence, and the menus' lists: the reply templates (agency's, for
# the complaint's category), the active units, the unit's officers and, for an open complaint,
# the categories.
_EVIDENCE_SQL = """
  (SELECT coalesce(json_agg(json_build_object('id', e.id, 'original_name', e.original_name,
                   'mime_type', e.mime_type, 'size', e.size,
                   'has_thumbnail', e.thumbnail_key IS NOT NULL) ORDER BY e.id), '[]')
   FROM evidence_files e WHERE e.complaint = d.id) AS evidence"""


def _menus_sql(unit: str, category: str, is_open: str) -> str:
    """The menus' lists for a complaint of the unit, category and openness (SQL expressions)."""
    return f"""
  {response_templates.USABLE_JSON_SQL.strip().replace("$2", category)} AS templates,
  (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name) ORDER BY u.name), '[]')
   FROM units u WHERE u.is_active = true) AS units,
  (SELECT coalesce(json_agg(json_build_object('id', o.id, 'full_name', o.full_name,
                   'username', o.username) ORDER BY o.full_name), '[]')
   FROM users o WHERE o.unit = {unit} AND o.role = 'officer' AND o.is_active = true) AS officers,
  (SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name, 'icon', k.icon,
                   'default_unit', k.default_unit, 'deadline_days', k.deadline_days)
                   ORDER BY k.name), '[]')
   FROM categories k WHERE {is_open} AND k.is_active = true) AS categories,
  (SELECT coalesce(json_agg(json_build_object('id', a.id, 'name', a.name) ORDER BY a.name), '[]')
   FROM outside_agencies a WHERE a.is_active = true) AS outside_agencies"""


MENUS = ("templates", "units", "officers", "categories", "outside_agencies")
LISTS = ("evidence", *MENUS)

# The staff page's reads in one statement (one round trip, one pool connection): the
# complaint as `complaint_for_staff` reads it, its timeline (every status change and message,
# internal notes included, in order), its evidence and (`_PAGE_SQL`) the menus' lists.
_PAGE_WITHOUT_MENUS_SQL = f"""
SELECT d.*,
  (SELECT coalesce(json_agg(t ORDER BY t.at, t.kind DESC, t.id), '[]')
   FROM ({_TIMELINE_SQL}) t) AS timeline,
  {_EVIDENCE_SQL.strip()}
FROM ({_DETAIL_SQL}) d
"""
_PAGE_SQL = _PAGE_WITHOUT_MENUS_SQL.replace(
    "AS evidence\n",
    f"AS evidence,{_menus_sql('d.unit_id', 'd.category_id', f'd.status IN ({_OPEN})')}\n",
)
_MENUS_SQL = f"SELECT {_menus_sql('$1::int', '$2::int', '$3::bool').strip()}"

# The menus' lists kept per staff queue version (the session lookup reads it; database triggers
# raise it with any change to units, categories, staff accounts, outside agencies or reply
# templates), then per complaint shape (unit, category, open); a set of lists is a few KB.
MENUS_KEPT = ByVersion(versions=32, entries=2048)


async def staff_page(
    complaint_id: int, actor: Actor, version: int | None = None
) -> dict[str, Any] | None:
    """The complaint as `complaint_for_staff` gives it, with its `timeline` (JSON text, read
    with `timeline_entries`: the page keeps it rendered per text) and its `lists`: the evidence as a list, the menus' lists as JSON text (the page's actions region
    is kept per the text it was rendered from, handling.action_region, and reads them only
    when it renders anew); None when it is not the actor's to see. With the actor's queue
    `version`, the menus' lists are kept for it: read again only after it changes."""
    if actor.role not in ("officer", "admin"):
        return None
    known = MENUS_KEPT.has(version)
    rows = await db.fetch_together(
        _PAGE_WITHOUT_MENUS_SQL if known else _PAGE_SQL, complaint_id, scope_unit(actor)
    )
    if not rows:
        return None
    complaint = rows[0]
    shape = (
        complaint["unit_id"],
        complaint["category_id"],
        complaint["status"] in statuses.OPEN_STATUSES,
    )
    if not known:  # read with the page
        menus = MENUS_KEPT.keep(version, shape, {name: complaint.pop(name) for name in MENUS})
    elif (menus := MENUS_KEPT.get(version, shape)) is None:
        menus = MENUS_KEPT.keep(version, shape, dict((await db.fetch(_MENUS_SQL, *shape))[0]))
    complaint["lists"] = {"evidence": json.loads(complaint.pop("evidence")), **menus}
    return complaint


def timeline_entries(text: str) -> list[dict[str, Any]]:
    """The entries of a staff page's `timeline` text (`staff_page`), in their order."""
    timeline = json.loads(text)
    for entry in timeline:
        entry["at"] = datetime.fromisoformat(entry["at"])
    return timeline
