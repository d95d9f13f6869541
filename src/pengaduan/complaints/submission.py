"""Filing a complaint: what a submission writes, in two round trips instead of about twenty.

A submission was the busiest write of the system and each of its ~20 statements cost a round
trip plus Piccolo's query building (bench/submit_load.py, issue 13: about half of the app's
time). Here one read (`PREPARE_SQL`: the key's earlier complaint, the active categories, the
category's routing, the complaint's id and number from their sequences, the least busy
officer, the reporter as a recipient; the route's `filing.check_form` of the form) gives everything
the rows need, so the rows (complaint, evidence, first history entry, audit entry, in-app
notification, outbox mail and SMS) are built in Python and written by ONE statement
(`WRITE_SQL`): a single statement is its own transaction, so there is no BEGIN/COMMIT either,
and it is all or nothing as before. The worker's submissions of the same moment share that
statement and its commit (`GROUP`, db.grouped): under a flash crowd, one WAL flush and one
statement's overhead for many. The live events follow the commit
(`events.publish_committed`).

The rows and events are the ones the lifecycle, audit and notification modules write for any
other change (their builders: `audit.entry_on_complaint`, `notifications.mail_for`/`sms_for`,
`events.notifications`); tests/integration/test_submission_writes.py pins them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.complaints import tallies
from pengaduan.complaints.evidence import StoredEvidence
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.numbering import NUMBER_SEQUENCE
from pengaduan.db.grouped import Grouped
from pengaduan.events import notifications as events_of
from pengaduan.events import publish_committed
from pengaduan.notifications import outbox, texts
from pengaduan.notifications import services as notifications
from pengaduan.settings import Settings

# $1 category, $2 reporter, $3 idempotency key (or NULL), $4 a category allowed even when
# switched off (0: none), $5 whether to take the new complaint's id and number (and find its
# officer). One row always, with the active categories' ids (as text: asyncpg knows text[]
# without asking each new connection's server, int[] it asks). The id and number are taken
# only for a new complaint of a valid category (a failed write leaves a gap, as any
# rolled-back submission).
PREPARE_SQL = f"""
SELECT k.id AS existing_id, k.number AS existing_number, k.tracking_code AS existing_code,
       k.reporter AS existing_reporter,
       ARRAY(SELECT a.id::text FROM categories a WHERE a.is_active) AS category_ids,
       cat.id AS category, cat.deadline_days, cat.unit, cat.officer,
       CASE WHEN $5 AND cat.id IS NOT NULL AND k.id IS NULL
            THEN nextval(pg_get_serial_sequence('complaints', 'id')) END AS id,
       CASE WHEN $5 AND cat.id IS NOT NULL AND k.id IS NULL
            THEN nextval('{NUMBER_SEQUENCE}') END AS number_value,
       r.id AS recipient_id, r.full_name, r.email, r.email_confirmed_at, r.language, r.role,
       r.has_phone, r.email_kinds::text[], r.sms_kinds::text[], r.contact_only
FROM (SELECT 1) AS one
LEFT JOIN complaints k ON k.idempotency_key = $3
LEFT JOIN LATERAL (
    SELECT c.id, c.deadline_days, c.default_unit AS unit,
           -- The unit's active officer with the fewest open complaints (ties: lowest id).
           CASE WHEN $5 AND un.auto_assign AND k.id IS NULL
                THEN {tallies.least_busy_in("un.id")} END AS officer
    FROM categories c JOIN units un ON un.id = c.default_unit
    WHERE c.id = $1 AND (c.is_active OR c.id = $4)
) AS cat ON true
LEFT JOIN LATERAL (
    SELECT {notifications.RECIPIENT_COLUMNS}
    FROM users u LEFT JOIN notification_preferences p ON p."user" = u.id
    WHERE u.id = $2 AND u.is_active
) AS r ON true
"""

# Everything submissions write, as one statement (one transaction) for one or more of them
# (`GROUP`): their rows as one JSON array, each complaint's children (evidence, audit entry,
# notification, outbox rows) nested in it. JSON rather than typed arrays: one parameter of a
# type asyncpg knows without asking each new connection's server. The children name their
# complaint's id themselves (taken beforehand): their foreign keys are checked at the end of
# the statement, when the complaint rows are there. The live events and the outbox's wake-up
# follow once it committed (`events.publish_committed`: NOTIFYing inside it would make
# submissions commit one at a time).
WRITE_SQL = """
WITH r AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id int, number text, tracking_code text,
        reporter int, category int, unit int, officer int, title text, body text,
        location_text text, latitude float8, longitude float8, urgency text,
        is_anonymous bool, is_public bool, idempotency_key text, at timestamptz,
        due_at timestamptz, assigned_at timestamptz, channel text, category_suggested bool,
        evidence jsonb, audit jsonb, notification jsonb, outbox jsonb)
), complaint AS (
    INSERT INTO complaints (id, number, tracking_code, reporter, category, unit, officer, title,
        body, location_text, latitude, longitude, status, priority, citizen_urgency,
        is_anonymous, is_public, idempotency_key, submitted_at, verified_at, resolved_at,
        closed_at, due_at, updated_at, assigned_at, first_response_at, overdue_notified_at,
        channel, category_suggested)
    SELECT id, number, tracking_code, reporter, category, unit, officer, title, body,
        location_text, latitude, longitude, 'pending', 'normal', urgency, is_anonymous,
        is_public, idempotency_key, at, NULL, NULL, NULL, due_at, at, assigned_at, NULL, NULL,
        channel, category_suggested
    FROM r
), evidence AS (
    INSERT INTO evidence_files (complaint, original_name, storage_key, thumbnail_key,
        mime_type, size, sha256, uploaded_by, uploaded_at)
    SELECT r.id, e.original_name, e.storage_key, e.thumbnail_key, e.mime_type, e.size,
        e.sha256, r.reporter, r.at
    FROM r, jsonb_to_recordset(r.evidence) AS e(original_name text, storage_key text,
        thumbnail_key text, mime_type text, size int, sha256 text)
), history AS (
    INSERT INTO status_history (complaint, old_status, new_status, changed_by, note, changed_at)
    SELECT r.id, NULL, 'pending', r.reporter, '', r.at FROM r
), audit AS (
    INSERT INTO audit_log (actor, action, target_type, target_id, data, at, ip,
        by_anonymous_reporter)
    SELECT a.actor, a.action, a.target_type, a.target_id, a.data::jsonb, r.at, a.ip,
        a.by_anonymous_reporter
    FROM r, jsonb_to_record(r.audit) AS a(actor int, action text, target_type text,
        target_id text, data text, ip text, by_anonymous_reporter bool)
), notification AS (
    INSERT INTO notifications ("user", kind, title, body, params, complaint, is_read,
        created_at)
    SELECT n."user", 'submitted', n.title, n.body, n.params::jsonb, r.id, false, r.at
    FROM r, jsonb_to_record(r.notification) AS n("user" int, title text, body text, params text)
    WHERE r.notification IS NOT NULL
)
INSERT INTO outbox (channel, recipient, payload, attempts, next_attempt_at, sent_at, dead_at,
    last_error, created_at)
SELECT m.channel, m.recipient, m.payload::jsonb, 0, r.at, NULL, NULL, '', r.at
FROM r, jsonb_to_recordset(r.outbox) AS m(channel text, recipient text, payload text)
"""

# At most this many submissions in one statement (a few milliseconds of PostgreSQL's time).
GROUP_MOST = 50
# A submission that waited this long behind a statement held up (by a lock, say) gets a
# statement of its own beside it, up to GROUP_AT_ONCE of them: under load a group waits for
# a few milliseconds, never this long.
GROUP_LATE = 0.25
GROUP_AT_ONCE = 4


async def _write_many(rows: list[dict[str, Any]]) -> None:
    await db.execute(WRITE_SQL, json.dumps(rows))


GROUP: Grouped[dict[str, Any], None] = Grouped(
    _write_many, most=GROUP_MOST, late=GROUP_LATE, at_once=GROUP_AT_ONCE
)


@dataclass(frozen=True)
class Prepared:
    """What `PREPARE_SQL` found: an earlier complaint with the form's key, or the new one's
    id, number and routing (category None: no such active category)."""

    row: dict[str, Any]

    @property
    def existing(self) -> dict[str, Any] | None:
        if self.row["existing_id"] is None:
            return None
        return {
            "id": self.row["existing_id"],
            "number": self.row["existing_number"],
            "tracking_code": self.row["existing_code"],
            "reporter": self.row["existing_reporter"],
        }

    @property
    def category_ids(self) -> set[int]:
        """The active categories (the form may offer only these)."""
        return {int(i) for i in self.row["category_ids"]}

    def numbered_for(self, category_id: int) -> bool:
        """Whether this holds a new complaint's id and number for that category."""
        return self.row["id"] is not None and self.row["category"] == category_id

    @property
    def recipient(self) -> dict[str, Any] | None:
        """The reporter as `notifications.recipients` gives them (None: not active)."""
        if self.row["recipient_id"] is None:
            return None
        return {"id": self.row["recipient_id"], **{k: self.row[k] for k in RECIPIENT_KEYS}}


RECIPIENT_KEYS = (
    "full_name",
    "email",
    "email_confirmed_at",
    "language",
    "role",
    "has_phone",
    "email_kinds",
    "sms_kinds",
    "contact_only",
)


async def prepare(
    category_id: int,
    reporter_id: int,
    idempotency_key: str | None,
    *,
    numbered: bool = True,
    allow_inactive: int = 0,
) -> Prepared:
    # Every submission: read with other requests' (see db.fetch_together), as its write is.
    rows = await db.fetch_together(
        PREPARE_SQL, category_id, reporter_id, idempotency_key, allow_inactive, numbered
    )
    return Prepared(rows[0])


@dataclass(frozen=True)
class NewComplaint:
    id: int
    number: str
    tracking_code: str
    reporter: int
    unit: int
    officer: int | None
    due_at: datetime
    submitted_at: datetime


def _told(
    complaint: NewComplaint,
    fields: ComplaintFields,
    user: dict[str, Any] | None,
    settings: Settings,
) -> tuple[tuple[str, str, str] | None, list[tuple[str, str, str]]]:
    """The reporter's notification (title, body, params), and outbox rows (channel, recipient,
    payload), in their language; nothing for a reporter who is not active."""
    if user is None:
        return None, []
    rows: list[tuple[str, str, str]] = []
    params = {"number": complaint.number, "title": fields.title}
    with notifications.in_language(user["language"]):
        # Kept as the text of the moment; readers get it in their language (texts).
        title, body = texts.title_and_body("submitted", params)
        sms = notifications.sms_for(
            user, "submitted", complaint.number, complaint.id, settings=settings
        )
        mail = notifications.mail_for(
            user,
            "complaint_received",
            {
                "number": complaint.number,
                "title": fields.title,
                "tracking_code": complaint.tracking_code,
                "due_at": complaint.due_at,
                "link": notifications.complaint_link(complaint.id, staff=False),
            },
            topic="submitted",
            settings=settings,
        )
    if sms is not None:
        payload = outbox.sms_payload(sms[0], "submitted", sms[1])
        rows.append(("sms", outbox.sms_recipient(user["id"]), json.dumps(payload)))
    if mail is not None:
        payload = outbox.notification_email_payload(mail[0], "complaint_received", mail[1])
        rows.append(("email", user["email"], json.dumps(payload)))
    return (title[:200], body, json.dumps(params)), rows


async def write(
    complaint: NewComplaint,
    fields: ComplaintFields,
    evidence: Sequence[StoredEvidence],
    idempotency_key: str | None,
    category_id: int,
    recipient: dict[str, Any] | None,
    actor: Actor,
    *,
    settings: Settings,
) -> None:
    """Write the complaint and everything its submission writes, in one statement."""
    now = complaint.submitted_at
    entry = audit.entry_on_complaint(
        complaint={
            "id": complaint.id,
            "reporter": complaint.reporter,
            "is_anonymous": fields.is_anonymous,
        },
        actor_id=actor.user_id,
        action="complaint.submit",
        data={"number": complaint.number}
        if fields.channel == "web"
        else {
            "number": complaint.number,
            "channel": fields.channel,
            **({"via": fields.via} if fields.via else {}),
        },
        ip=actor.ip,
    )
    notice, mails = _told(complaint, fields, recipient, settings)
    events = []
    if notice is not None:
        # The bell listens on the user's channel.
        events += events_of([f"user_{complaint.reporter}"], {"event": "notification"})
    if mails:
        events.append((outbox.NOTIFY_CHANNEL, ""))
    events += events_of(
        [f"queue_{complaint.unit}", f"user_{complaint.reporter}", "stats"],
        {"event": "submitted", "complaint": complaint.id},
    )
    await GROUP.run(
        {
            "id": complaint.id,
            "number": complaint.number,
            "tracking_code": complaint.tracking_code,
            "reporter": complaint.reporter,
            "category": category_id,
            "unit": complaint.unit,
            "officer": complaint.officer,
            "title": fields.title,
            "body": fields.body,
            "location_text": fields.location_text,
            "latitude": fields.latitude,
            "longitude": fields.longitude,
            "urgency": fields.urgency,
            "is_anonymous": fields.is_anonymous,
            "is_public": fields.is_public,
            "idempotency_key": idempotency_key,
            "at": now.isoformat(),
            "due_at": complaint.due_at.isoformat(),
            "assigned_at": now.isoformat() if complaint.officer else None,
            "channel": fields.channel,
            "category_suggested": fields.category_suggested,
            "evidence": [
                {
                    "original_name": e.original_name,
                    "storage_key": e.storage_key,
                    "thumbnail_key": e.thumbnail_key,
                    "mime_type": e.mime_type,
                    "size": e.size,
                    "sha256": e.sha256,
                }
                for e in evidence
            ],
            "audit": entry,
            "notification": None
            if notice is None
            else {
                "user": recipient["id"],  # type: ignore[index]
                "title": notice[0],
                "body": notice[1],
                "params": notice[2],
            },
            "outbox": [
                {"channel": channel, "recipient": to, "payload": payload}
                for channel, to, payload in mails
            ],
        }
    )
    await publish_committed(events)
