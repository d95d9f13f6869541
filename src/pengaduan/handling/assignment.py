"""Assigning complaints to officers: manual and bulk (re)assignment by admins."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.complaints import tallies
from pengaduan.complaints.statuses import OPEN_SQL, OPEN_STATUSES
from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE
from pengaduan.errors import INVALID, NOT_FOUND, Refused
from pengaduan.events import publish
from pengaduan.i18n import _, ngettext
from pengaduan.notifications import services as notifications
from pengaduan.settings import Settings

MAX_BATCH = 200


def _numbers(rows: list[dict[str, Any]]) -> str:
    return ", ".join(r["number"] for r in rows)


async def assign(
    complaint_ids: list[int], officer_id: int, *, admin_id: int, ip: str, settings: Settings
) -> int:
    """Assign the complaints to the officer, all or none; returns how many changed hands.

    The officer must be active and of every complaint's unit; the complaints must be open.
    In one transaction with the rows locked, each assignment sets the officer and
    `assigned_at`, writes one audit row and notifies the officer (in their language); the
    events go out on the complaint's and the unit's queue channel at commit. Complaints that
    already are the officer's are left as they are.
    """
    ids = sorted({int(i) for i in complaint_ids})
    if not ids:
        raise Refused(_("Select at least one complaint."), INVALID, field="complaint")
    if len(ids) > MAX_BATCH:
        raise Refused(
            _("Assign at most %(max)d complaints at once.", max=MAX_BATCH),
            INVALID,
            field="complaint",
        )
    async with ENGINE.transaction():
        # FOR SHARE: a role change or deactivation of the officer waits until we are done.
        officer = await db.fetchrow(
            "SELECT id, full_name, unit, role, is_active FROM users WHERE id = $1 FOR SHARE",
            officer_id,
        )
        if officer is None or officer["role"] != "officer" or not officer["is_active"]:
            raise Refused(_("Choose an active officer."), INVALID, field="officer")
        # In id order, so two overlapping batches lock in the same order (no deadlock).
        rows = [
            dict(row)
            for row in await db.fetch(
                "SELECT id, number, title, unit, officer, status FROM complaints"
                " WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                ids,
            )
        ]
        if len(rows) != len(ids):
            raise Refused(_("One of the complaints does not exist."), NOT_FOUND)
        # Unit names after the lock, in a statement of their own (see handling.actions._lock:
        # joined into the locking statement, a complaint forwarded meanwhile would drop out).
        names = await db.fetch(
            "SELECT id, name FROM units WHERE id = ANY($1)", list({r["unit"] for r in rows})
        )
        unit_names = {n["id"]: n["name"] for n in names}
        for row in rows:
            row["unit_name"] = unit_names[row["unit"]]
        elsewhere = [r for r in rows if r["unit"] != officer["unit"]]
        if elsewhere:
            raise Refused(
                ngettext(
                    "%(name)s is not an officer of the unit of complaint %(numbers)s. "
                    "Nothing was assigned.",
                    "%(name)s is not an officer of the unit of complaints %(numbers)s. "
                    "Nothing was assigned.",
                    len(elsewhere),
                    name=officer["full_name"],
                    numbers=_numbers(elsewhere),
                ),
                INVALID,
                field="complaint",
            )
        closed = [r for r in rows if r["status"] not in OPEN_STATUSES]
        if closed:
            raise Refused(
                ngettext(
                    "Complaint %(numbers)s is no longer open. Nothing was assigned.",
                    "Complaints %(numbers)s are no longer open. Nothing was assigned.",
                    len(closed),
                    numbers=_numbers(closed),
                )
            )
        changing = [r for r in rows if r["officer"] != officer_id]
        if not changing:
            return 0
        now = datetime.now(UTC)
        await Complaint.update(
            {Complaint.officer: officer_id, Complaint.assigned_at: now, Complaint.updated_at: now}
        ).where(Complaint.id.is_in([r["id"] for r in changing]))
        recipients = await notifications.recipients([officer_id])
        for row in changing:
            await audit.record(
                actor_id=admin_id,
                action="complaint.assign",
                target_type="complaint",
                target_id=row["id"],
                data={"from": row["officer"], "to": officer_id, "batch": len(ids)},
                ip=ip,
            )
            for user in recipients:
                with notifications.in_language(user["language"]):
                    await notifications.tell(
                        user,
                        kind="assigned",
                        complaint_id=row["id"],
                        number=row["number"],
                        params={"number": row["number"], "title": row["title"]},
                        link=notifications.complaint_link(row["id"], staff=True),
                        settings=settings,
                    )
            await publish(
                [f"complaint_{row['id']}", f"queue_{row['unit']}"],
                {"event": "assigned", "complaint": row["id"], "officer": officer_id},
            )
    return len(changing)


async def officers_by_unit(unit_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Active officers (id, full_name, username, unit, unit_name) with their open complaints,
    ordered by unit and name; of the given units, or of all."""
    where = db.Where().add("o.role = 'officer' AND o.is_active")
    if unit_ids is not None:
        where.add("o.unit = ANY({})", list(unit_ids))
    rows = await db.fetch(
        f"""
        SELECT o.id, o.full_name, o.username, o.unit, u.name AS unit_name,
               {tallies.open_of("officer", "o.id")} AS open_complaints
        FROM users o JOIN units u ON u.id = o.unit
        {where}
        ORDER BY u.name, o.full_name
        """,
        *where.args,
    )
    return [dict(row) for row in rows]


# The admin complaint list's choices in one round trip, as JSON lists (plain numbers, text
# and booleans): every unit and every category (id, name, is_active) by name, and what
# `officers_by_unit()` returns, in its order.
# The open complaints come from complaint_tallies (complaints.tallies), exact at any size; the
# menu shows a load beyond this as "more than 99 open" (a short menu line).
WORKLOAD_CAP = 99
_LIST_CHOICES_SQL = f"""
SELECT
  (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name,
                   'is_active', u.is_active) ORDER BY u.name), '[]')
   FROM units u) AS units,
  (SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name,
                   'is_active', k.is_active) ORDER BY k.name), '[]')
   FROM categories k) AS categories,
  (SELECT coalesce(json_agg(json_build_object(
              'id', o.id, 'full_name', o.full_name, 'username', o.username, 'unit', o.unit,
              'unit_name', u.name,
              'open_complaints', {tallies.open_of("officer", "o.id")})
              ORDER BY u.name, o.full_name), '[]')
   FROM users o JOIN units u ON u.id = o.unit
   WHERE o.role = 'officer' AND o.is_active) AS officers
"""


async def list_choices() -> dict[str, list[dict[str, Any]]]:
    """The units, categories and officers the admin complaint list offers, in one query."""
    row = (await db.fetch(_LIST_CHOICES_SQL))[0]
    return {name: json.loads(row[name]) for name in row.keys()}


async def complaint_summary(complaint_id: int) -> dict[str, Any] | None:
    """What an admin needs to (re)assign one complaint; never who reported it."""
    row = await db.fetchrow(
        f"""
        SELECT c.id, c.number, c.title, c.status, c.priority, c.due_at, c.submitted_at,
               c.assigned_at, c.unit AS unit_id, u.name AS unit_name,
               cat.name AS category_name, c.officer AS officer_id, o.full_name AS officer_name,
               coalesce(c.due_at < now() AND c.status IN ({OPEN_SQL}), false) AS is_overdue
        FROM complaints c
        JOIN units u ON u.id = c.unit
        JOIN categories cat ON cat.id = c.category
        LEFT JOIN users o ON o.id = c.officer
        WHERE c.id = $1
        """,
        complaint_id,
    )
    return dict(row) if row else None


# The choices' query and its columns (JSON text) for the admin complaint list, which reads
# them with its page in one statement (handling.queue.page_sql).
LIST_CHOICES_SQL = _LIST_CHOICES_SQL
LIST_CHOICES = ("units", "categories", "officers")
