"""Complaints: queries that more than one page needs, and the citizen's side of a complaint
(filing with evidence, their list and detail, editing, messages, rating, tracking)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from pengaduan import db
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle, repeats, submission
from pengaduan.complaints.evidence import StoredEvidence
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.complaints.lifecycle import Actor, TransitionRefused
from pengaduan.complaints.tables import (
    OPEN_STATUSES,
    STATUSES,
    Complaint,
    Message,
    Rating,
)
from pengaduan.db import ENGINE
from pengaduan.events import publish
from pengaduan.i18n import _
from pengaduan.notifications import services as notifications
from pengaduan.web.labels import status_label

# --- the citizen's side ------------------------------------------------------------------------

JAKARTA = ZoneInfo("Asia/Jakarta")
PAGE_SIZE = 20
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
# No more messages once it is over.
MESSAGES_CLOSED = ("closed", "withdrawn", "rejected")
# Status changes whose note the reporter (and, for public complaints, tracking) may read: the
# reasons to reject and to reopen, and the closing note. Other transitions' notes stay off.
PUBLIC_NOTES = {
    ("pending", "rejected"),
    ("verified", "rejected"),
    ("resolved", "in_progress"),
    ("resolved", "closed"),
}


class IdempotencyConflict(Exception):
    """The form's key was used for somebody else's complaint (a forged or copied form)."""


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def number_for(year: int, value: int) -> str:
    return f"ADU-{year}-{value:06d}"


# Numbers come from one PostgreSQL sequence (migration 2026-12-04T13:00): nextval() takes no
# lock that lasts to commit, so submissions never queue behind each other for a number. Its
# values continue across years (ADU-2026-000812 may be followed by ADU-2027-000813): every
# number stays unique, existing ones stay valid and no DDL runs at a year's turn. A rolled-back
# submission leaves a gap (README, "Performance notes").
NUMBER_SEQUENCE = "complaint_numbers"
NUMBER_PATTERN = "^ADU-[0-9]{4}-[0-9]+$"
# Moves the sequence past the highest number already stored (bulk demo data writes numbers
# itself), never back. `$1`: NUMBER_PATTERN.
SYNC_NUMBERS_SQL = f"""
SELECT setval('{NUMBER_SEQUENCE}', stored.n) FROM (
    SELECT max(split_part(number, '-', 3)::bigint) AS n FROM complaints WHERE number ~ $1
) AS stored
WHERE stored.n >= (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END
                   FROM {NUMBER_SEQUENCE})
"""


async def sync_number_sequence() -> None:
    """Numbers written around the sequence (bulk demo data) got ahead of it: catch up."""
    await db.fetch(SYNC_NUMBERS_SQL, NUMBER_PATTERN)


async def _least_busy_officer(unit_id: int) -> int | None:
    """The unit's active officer with the fewest open complaints (ties: the lowest id)."""
    rows = await Complaint.raw(
        "SELECT u.id FROM users u"
        " LEFT JOIN complaints c ON c.officer = u.id"
        " AND c.status IN ('pending', 'verified', 'in_progress')"
        " WHERE u.unit = {} AND u.role = 'officer' AND u.is_active"
        " GROUP BY u.id ORDER BY count(c.id), u.id LIMIT 1",
        unit_id,
    )
    return rows[0]["id"] if rows else None


async def _category(category_id: int, *, allow_inactive: int | None = None) -> dict[str, Any]:
    """The category with its unit's routing, or a 422 refusal naming the field."""
    rows = await Complaint.raw(
        "SELECT c.id, c.deadline_days, c.default_unit AS unit, u.auto_assign"
        " FROM categories c JOIN units u ON u.id = c.default_unit"
        " WHERE c.id = {} AND (c.is_active OR c.id = {})",
        category_id,
        allow_inactive or 0,
    )
    if not rows:
        raise TransitionRefused(_("Choose a category."), 422, field="category")
    return rows[0]


async def submitted_with_key(key: str, reporter_id: int) -> dict[str, Any] | None:
    """The complaint this reporter already filed with this form (a repeated submit)."""
    rows = await Complaint.raw(
        "SELECT id, number, tracking_code, reporter FROM complaints WHERE idempotency_key = {}",
        key,
    )
    if not rows:
        return None
    if rows[0]["reporter"] != reporter_id:
        raise IdempotencyConflict()
    return rows[0]


async def check_form(
    key: str | None, reporter_id: int, category_id: int = 0, *, numbered: bool = False
) -> submission.Prepared:
    """What a sent complaint form needs before it is read, in one query: the complaint this
    reporter already filed with its key (`.existing`; somebody else's: IdempotencyConflict),
    the categories one may choose, and with `numbered` (a form that will most likely be
    filed) the new complaint's id, number and routing for `create_complaint`."""
    prepared = await submission.prepare(category_id, reporter_id, key or None, numbered=numbered)
    existing = prepared.existing
    if existing is not None and existing["reporter"] != reporter_id:
        raise IdempotencyConflict()
    return prepared


@dataclass(frozen=True)
class Submitted:
    id: int
    number: str
    tracking_code: str
    created: bool


async def create_complaint(
    *,
    reporter_id: int,
    fields: ComplaintFields,
    evidence: Sequence[StoredEvidence] = (),
    idempotency_key: str | None = None,
    ip: str = "",
    checked: submission.Prepared | None = None,
) -> Submitted:
    """File a complaint, its evidence rows and everything the submission writes, in ONE
    transaction: number, tracking code, deadline, routing to the category's unit and (where
    the unit wants it) to its least busy officer, then the first history entry, audit,
    notification, mail and event (`complaints.submission`: one read, one write). The same
    idempotency key twice gives the first complaint back (created=False) instead of a
    second one. `checked`: the route's `check_form` of this form (its read, when numbered).
    """
    for _attempt in range(3):
        try:
            return await _create_once(reporter_id, fields, evidence, idempotency_key, ip, checked)
        except asyncpg.UniqueViolationError as exc:
            constraint = exc.constraint_name or ""
            if "idempotency" in constraint and idempotency_key:
                # The same form sent twice at once: the other request won.
                existing = await submitted_with_key(idempotency_key, reporter_id)
                if existing:
                    return Submitted(
                        existing["id"], existing["number"], existing["tracking_code"], False
                    )
            if "number" not in constraint:
                raise
            checked = None
            await sync_number_sequence()
    raise RuntimeError("could not give the complaint a number")


async def _create_once(
    reporter_id: int,
    fields: ComplaintFields,
    evidence: Sequence[StoredEvidence],
    idempotency_key: str | None,
    ip: str,
    checked: submission.Prepared | None,
) -> Submitted:
    if checked is not None and checked.numbered_for(fields.category_id):
        prepared = checked
    else:
        prepared = await submission.prepare(fields.category_id, reporter_id, idempotency_key)
    existing = prepared.existing
    if existing is not None:
        if existing["reporter"] != reporter_id:
            raise IdempotencyConflict()
        return Submitted(existing["id"], existing["number"], existing["tracking_code"], False)
    row = prepared.row
    if row["category"] is None:
        raise TransitionRefused(_("Choose a category."), 422, field="category")
    now = datetime.now(UTC)
    complaint = submission.NewComplaint(
        id=row["id"],
        number=number_for(now.astimezone(JAKARTA).year, row["number_value"]),
        tracking_code=new_tracking_code(),
        reporter=reporter_id,
        unit=row["unit"],
        officer=row["officer"],
        due_at=now + timedelta(days=row["deadline_days"]),
        submitted_at=now,
    )
    await submission.write(
        complaint,
        fields,
        evidence,
        idempotency_key,
        row["category"],
        prepared.recipient,
        Actor(user_id=reporter_id, role="citizen", ip=ip),
    )
    return Submitted(complaint.id, complaint.number, complaint.tracking_code, True)


# --- reading: the reporter's list and detail ---------------------------------------------------

LIST_COLUMNS = """
    c.id, c.number, c.title, c.status, c.submitted_at, c.due_at, c.updated_at,
    c.is_anonymous, c.is_public, cat.name AS category_name, cat.icon AS category_icon
"""


async def my_complaints(
    reporter_id: int, *, status: str = "", page: int = 1
) -> tuple[list[dict[str, Any]], int]:
    """The reporter's complaints, newest first, one page (two queries)."""
    status = status if status in STATUSES else ""
    page = max(page, 1)
    condition = "c.reporter = $1" + (" AND c.status = $2" if status else "")
    args: list[Any] = [reporter_id, *([status] if status else [])]
    n = len(args)
    # Every visit to My complaints: straight through asyncpg (see db.fetch).
    async with db.one_connection():
        rows = await db.fetch(
            f"SELECT {LIST_COLUMNS} FROM complaints c JOIN categories cat ON cat.id = c.category"
            f" WHERE {condition} ORDER BY c.submitted_at DESC, c.id DESC"
            f" LIMIT ${n + 1} OFFSET ${n + 2}",
            *args,
            PAGE_SIZE,
            (page - 1) * PAGE_SIZE,
        )
        total = await db.fetch(f"SELECT count(*) AS n FROM complaints c WHERE {condition}", *args)
    now = datetime.now(UTC)
    complaints = [dict(row) for row in rows]
    for complaint in complaints:
        complaint["overdue_since"] = overdue_since(complaint, now)
    return complaints, total[0]["n"]


async def complaint_for_reporter(complaint_id: int, reporter_id: int) -> dict[str, Any] | None:
    """The whole complaint as its reporter sees it; None for anybody else's."""
    rows = await db.fetch(
        "SELECT c.id, c.number, c.tracking_code, c.reporter, c.category, c.unit, c.title, c.body,"
        " c.location_text, c.latitude, c.longitude, c.status, c.citizen_urgency,"
        " c.is_anonymous, c.is_public, c.submitted_at, c.verified_at, c.resolved_at,"
        " c.closed_at, c.due_at, c.updated_at,"
        " cat.name AS category_name, cat.icon AS category_icon, u.name AS unit_name,"
        " r.score AS rating_score, r.comment AS rating_comment, r.created_at AS rated_at"
        " FROM complaints c JOIN categories cat ON cat.id = c.category"
        " JOIN units u ON u.id = c.unit LEFT JOIN ratings r ON r.complaint = c.id"
        " WHERE c.id = $1 AND c.reporter = $2",
        complaint_id,
        reporter_id,
    )
    if not rows:
        return None
    complaint = dict(rows[0])
    now = datetime.now(UTC)
    complaint.update(reporter_actions(complaint, now))
    complaint["overdue_since"] = overdue_since(complaint, now)
    complaint["reopen_ended_at"] = reopen_ended_at(complaint, now)
    return complaint


def overdue_since(complaint: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When an open complaint passed its deadline (its due time), or None when it is not late:
    the same rule as the staff's overdue flag (handling.services), seen by the reporter."""
    due_at = complaint.get("due_at")
    if complaint["status"] not in OPEN_STATUSES or due_at is None:
        return None
    return due_at if due_at < (now or datetime.now(UTC)) else None


def reopen_ended_at(complaint: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When the reporter's window to reopen a resolved (or since closed) complaint ended, once
    it has; None while it lasts or where there is none. Whether or not the closing job has
    closed it yet: the reporter is told why there is no reopening."""
    resolved_at = complaint.get("resolved_at")
    if complaint["status"] not in ("resolved", "closed") or resolved_at is None:
        return None
    ended = resolved_at + lifecycle.REOPEN_WINDOW
    return ended if ended < (now or datetime.now(UTC)) else None


def reporter_actions(complaint: dict[str, Any], now: datetime | None = None) -> dict[str, bool]:
    """What the reporter may do now (the page shows only these; the server checks again)."""
    status = complaint["status"]
    resolved_at = complaint.get("resolved_at")
    now = now or datetime.now(UTC)
    return {
        "can_edit": status == "pending",
        "can_withdraw": status == "pending",
        "can_message": status not in MESSAGES_CLOSED,
        "can_rate": status in ("resolved", "closed") and complaint.get("rating_score") is None,
        "can_reopen": status == "resolved"
        and resolved_at is not None
        and now - resolved_at <= lifecycle.REOPEN_WINDOW,
    }


async def complaint_status(complaint_id: int, reporter_id: int) -> str | None:
    rows = await Complaint.raw(
        "SELECT status FROM complaints WHERE id = {} AND reporter = {}", complaint_id, reporter_id
    )
    return rows[0]["status"] if rows else None


async def public_timeline(
    complaint_id: int, reporter_id: int, *, texts: bool = True
) -> list[dict[str, Any]]:
    """Status changes (with the notes meant for the reporter) and public messages, oldest
    first. Internal notes never come out of here. With texts=False: statuses only."""
    # Straight through asyncpg (see db.fetch): the reporter's page asks it every time.
    history = await db.fetch(
        "SELECT old_status, new_status, note, changed_at FROM status_history"
        " WHERE complaint = $1 ORDER BY changed_at, id",
        complaint_id,
    )
    entries: list[dict[str, Any]] = []
    for row in history:
        public_note = (row["old_status"], row["new_status"]) in PUBLIC_NOTES
        entries.append(
            {
                "kind": "status",
                "at": row["changed_at"],
                "status": row["new_status"],
                "old_status": row["old_status"],
                "reopened": (row["old_status"], row["new_status"]) == ("resolved", "in_progress"),
                "note": row["note"] if texts and public_note else "",
            }
        )
    if texts:
        messages = await db.fetch(
            "SELECT m.body, m.is_official_response, m.created_at, m.author,"
            " u.role AS author_role, u.full_name AS author_name"
            " FROM messages m JOIN users u ON u.id = m.author"
            " WHERE m.complaint = $1 AND m.visibility = 'public' ORDER BY m.created_at, m.id",
            complaint_id,
        )
        for row in messages:
            by_reporter = row["author"] == reporter_id
            entries.append(
                {
                    "kind": "message",
                    "at": row["created_at"],
                    "body": row["body"],
                    "official": row["is_official_response"],
                    "by_reporter": by_reporter,
                    "author_role": "citizen" if by_reporter else row["author_role"],
                    "author_name": "" if by_reporter else row["author_name"],
                }
            )
    # Stable: a status change and a message at the same moment keep status first.
    entries.sort(key=lambda e: (e["at"], e["kind"] != "status"))
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
    rows = await Complaint.raw(
        "SELECT e.id, e.original_name, e.storage_key, e.thumbnail_key, e.mime_type, e.size"
        " FROM evidence_files e JOIN complaints c ON c.id = e.complaint"
        " WHERE e.id = {} AND e.complaint = {}"
        " AND (c.reporter = {} OR {} = 'admin' OR ({} = 'officer' AND c.unit = {}))",
        file_id,
        complaint_id,
        user_id,
        role,
        role,
        unit_id or 0,
    )
    return rows[0] if rows else None


# --- the reporter changes things ---------------------------------------------------------------


async def _reporters_locked(complaint_id: int, reporter_id: int) -> dict[str, Any]:
    """The complaint locked for the transaction, or 404 when it is not the reporter's."""
    row = await lifecycle.load_for_update(complaint_id)
    if row["reporter"] != reporter_id:
        raise TransitionRefused(_("This complaint does not exist."), 404)
    return row


async def update_complaint(
    complaint_id: int, reporter_id: int, fields: ComplaintFields, *, ip: str = ""
) -> None:
    """The reporter's changes while the complaint is pending (409 afterwards). A new category
    routes it again: its unit, deadline and, where the unit wants it, officer."""
    async with ENGINE.transaction():
        current = await _reporters_locked(complaint_id, reporter_id)
        if current["status"] != "pending":
            raise TransitionRefused(_("A complaint can only be changed while it is pending."), 409)
        rows = await Complaint.raw(
            "SELECT submitted_at, category, unit, officer, title, body, location_text,"
            " latitude, longitude, citizen_urgency, is_anonymous, is_public"
            " FROM complaints WHERE id = {}",
            complaint_id,
        )
        before = rows[0]
        now = datetime.now(UTC)
        values: dict[Any, Any] = {
            Complaint.title: fields.title,
            Complaint.body: fields.body,
            Complaint.location_text: fields.location_text,
            Complaint.latitude: fields.latitude,
            Complaint.longitude: fields.longitude,
            Complaint.citizen_urgency: fields.urgency,
            Complaint.is_anonymous: fields.is_anonymous,
            Complaint.is_public: fields.is_public,
            Complaint.updated_at: now,
        }
        unit = before["unit"]
        if fields.category_id != before["category"]:
            category = await _category(fields.category_id)
            values[Complaint.category] = category["id"]
            values[Complaint.due_at] = before["submitted_at"] + timedelta(
                days=category["deadline_days"]
            )
            if category["unit"] != before["unit"]:
                unit = category["unit"]
                officer = await _least_busy_officer(unit) if category["auto_assign"] else None
                values[Complaint.unit] = unit
                values[Complaint.officer] = officer
                values[Complaint.assigned_at] = now if officer else None
        await Complaint.update(values).where(Complaint.id == complaint_id)
        after = {
            "category": fields.category_id,
            "title": fields.title,
            "body": fields.body,
            "location_text": fields.location_text,
            "latitude": fields.latitude,
            "longitude": fields.longitude,
            "citizen_urgency": fields.urgency,
            "is_anonymous": fields.is_anonymous,
            "is_public": fields.is_public,
        }
        # Names of what changed only: the texts themselves may hold personal data.
        changed = sorted(k for k, v in after.items() if before[k] != v)
        if fields.is_anonymous and not before["is_anonymous"]:
            await audit.hide_reporter(complaint_id)
        await audit.record_on_complaint(
            complaint={**current, "is_anonymous": fields.is_anonymous},
            actor_id=reporter_id,
            action="complaint.edit",
            data={"fields": changed},
            ip=ip,
        )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{before['unit']}", f"queue_{unit}", "stats"],
            {"event": "edited", "complaint": complaint_id},
        )


async def withdraw(complaint_id: int, actor: Actor) -> None:
    """The reporter withdraws a pending complaint (through the lifecycle)."""
    await _check_reporter(complaint_id, actor.user_id)
    await lifecycle.apply(complaint_id, "withdraw", actor)


async def reopen(complaint_id: int, actor: Actor, reason: str) -> None:
    """Not satisfied: back to in progress within 14 days of the resolution, with a reason."""
    await _check_reporter(complaint_id, actor.user_id)
    await lifecycle.apply(complaint_id, "reopen", actor, text=reason)


async def _check_reporter(complaint_id: int, user_id: int | None) -> None:
    if user_id is None or await complaint_status(complaint_id, user_id) is None:
        raise TransitionRefused(_("This complaint does not exist."), 404)


async def post_message(
    complaint_id: int,
    reporter_id: int,
    body: str,
    *,
    ip: str = "",
    idempotency_key: str | None = None,
) -> None:
    """A public message from the reporter; the handling officer (or the unit's officers while
    nobody has it) is told. Refused (409) once the complaint is over. The form's key sent again
    stores nothing more (complaints.repeats)."""
    async with ENGINE.transaction():
        complaint = await _reporters_locked(complaint_id, reporter_id)
        if await repeats.earlier_message(idempotency_key, reporter_id, complaint_id):
            return
        if complaint["status"] in MESSAGES_CLOSED:
            raise TransitionRefused(
                _(
                    "No more messages can be sent on this complaint: it is %(status)s.",
                    status=status_label(complaint["status"]),
                ),
                409,
            )
        await Message.insert(
            Message(
                complaint=complaint_id,
                author=reporter_id,
                body=body,
                visibility="public",
                is_official_response=False,
                created_at=datetime.now(UTC),
                idempotency_key=idempotency_key,
            )
        )
        await _tell_handlers(complaint, body)
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "message", "complaint": complaint_id},
        )


async def _tell_handlers(complaint: dict[str, Any], body: str) -> None:
    if complaint["officer"]:
        staff_ids = [complaint["officer"]]
    else:
        rows = await User.select(User.id).where(
            (User.unit == complaint["unit"]) & (User.role == "officer") & User.is_active.eq(True)
        )
        staff_ids = [r["id"] for r in rows]
    for user in await notifications.recipients(staff_ids):
        with notifications.in_language(user["language"]):
            await notifications.notify(
                user,
                kind="message",
                complaint_id=complaint["id"],
                params={"number": complaint["number"], "text": body[:500]},
            )


async def rate(
    complaint_id: int,
    actor: Actor,
    score: int,
    comment: str,
    *,
    idempotency_key: str | None = None,
) -> None:
    """The reporter's one rating after resolution; a resolved complaint closes with it
    (through the lifecycle). A closed complaint not yet rated can still be rated. The form's
    key sent again is the rating already given, not a refusal."""
    assert actor.user_id is not None
    async with ENGINE.transaction():
        complaint = await _reporters_locked(complaint_id, actor.user_id)
        if await repeats.earlier_rating(idempotency_key, complaint_id):
            return
        if complaint["status"] not in ("resolved", "closed"):
            raise TransitionRefused(_("A complaint can be rated once it is resolved."), 409)
        if await Rating.exists().where(Rating.complaint == complaint_id):
            raise TransitionRefused(_("You have already rated this complaint."), 409)
        await Rating.insert(
            Rating(
                complaint=complaint_id,
                score=score,
                comment=comment,
                created_at=datetime.now(UTC),
                idempotency_key=idempotency_key,
            )
        )
        await audit.record_on_complaint(
            complaint=complaint,
            actor_id=actor.user_id,
            action="complaint.rate",
            data={"score": score},
            ip=actor.ip,
        )
        if complaint["status"] == "resolved":
            await lifecycle.apply(complaint_id, "close", actor)
        else:
            await publish(
                [f"complaint_{complaint_id}", "stats"],
                {"event": "rated", "complaint": complaint_id},
            )


# --- tracking without an account ---------------------------------------------------------------


def normalise_number(raw: str) -> str:
    return "".join(raw.split()).upper()


def normalise_code(raw: str) -> str:
    return "".join(raw.split()).upper()


async def track_own(number: str, reporter_id: int) -> dict[str, Any] | None:
    """The tracking view of the reporter's own complaint by its number (the link in an SMS
    needs no code for them); None when it is not theirs."""
    code = (
        await Complaint.select(Complaint.tracking_code)
        .where(
            (Complaint.number == normalise_number(number)[:20])
            & (Complaint.reporter == reporter_id)
        )
        .first()
    )
    if code is None:
        return None
    return await track(number, code["tracking_code"])


async def track(number: str, code: str) -> dict[str, Any] | None:
    """What anybody with the number AND the tracking code may see: the status, dates and the
    public timeline, never personal data (no names, no location, no evidence); of a private
    complaint nothing of its content. None for any wrong pair, whichever part is wrong."""
    number, code = normalise_number(number), normalise_code(code)
    # Straight through asyncpg, the page's reads on one pool connection (see db.fetch):
    # a link in an SMS opens this page with the number and code, for anybody who has them.
    async with db.one_connection():
        return await _tracked(number, code)


_TRACKED = (
    "SELECT c.id, c.number, c.tracking_code, c.reporter, c.status, c.is_public, c.title,"
    " c.body, c.submitted_at, c.due_at, c.updated_at, c.resolved_at, c.closed_at,"
    " cat.name AS category_name, cat.icon AS category_icon"
    " FROM complaints c JOIN categories cat ON cat.id = c.category WHERE c.number = $1"
)


async def _tracked(number: str, code: str) -> dict[str, Any] | None:
    rows = await db.fetch(_TRACKED, number[:20])
    # Compare in constant time even when the number is unknown.
    expected = rows[0]["tracking_code"] if rows else "-" * 8
    if not secrets.compare_digest(expected.encode(), code.encode()) or not rows:
        return None
    row = rows[0]
    view = {
        key: row[key]
        for key in (
            "number",
            "status",
            "is_public",
            "submitted_at",
            "due_at",
            "updated_at",
            "resolved_at",
            "closed_at",
        )
    }
    if row["is_public"]:
        view.update(
            title=row["title"],
            body=row["body"],
            category_name=row["category_name"],
            category_icon=row["category_icon"],
        )
    timeline = await public_timeline(row["id"], row["reporter"], texts=row["is_public"])
    for entry in timeline:
        entry.pop("author_name", None)  # no names on tracking, not even officers'
    view["timeline"] = timeline
    return view
