"""Tables for complaints and what hangs off them: evidence, history, messages, ratings."""

from piccolo.columns import (
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.accounts.tables import User
from pengaduan.agency.tables import Category, OutsideAgency, Unit
from pengaduan.db import ENGINE

PRIORITIES = ("low", "normal", "high", "urgent")


class Complaint(Table, tablename="complaints", db=ENGINE):
    number = Varchar(length=20, unique=True)  # ADU-YYYY-NNNNNN
    tracking_code = Varchar(length=16)
    reporter = ForeignKey(references=User, on_delete=OnDelete.restrict, index=True)
    category = ForeignKey(references=Category, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, index=True)
    officer = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True, index=True)
    title = Varchar(length=200)
    body = Text()
    location_text = Varchar(length=300, default="")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    status = Varchar(length=16, default="pending", index=True)
    priority = Varchar(length=8, default="normal", index=True)
    # How urgent the citizen thinks it is; priority is the officer's call.
    citizen_urgency = Varchar(length=8, default="normal")
    is_anonymous = Boolean(default=False)
    is_public = Boolean(default=True, index=True)
    # Makes a resent form create one complaint.
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)
    submitted_at = Timestamptz(index=True)
    verified_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    due_at = Timestamptz(null=True, default=None, index=True)
    updated_at = Timestamptz()
    # When an officer took it (claim or assignment), and first answered the citizen.
    assigned_at = Timestamptz(null=True, default=None)
    first_response_at = Timestamptz(null=True, default=None)
    # The last time the unit's admins were told it is overdue (escalation runs daily).
    overdue_notified_at = Timestamptz(null=True, default=None)
    # What brought it: web | api | open311 | email | whatsapp | sms (complaints.intake).
    channel = Varchar(length=16, default="web")
    # Its category came from the suggestion (categorising), not from a person, until an
    # officer classifies it.
    category_suggested = Boolean(default=False)
    # The outside agency it was handed over to (handover), and when.
    handed_to = ForeignKey(references=OutsideAgency, on_delete=OnDelete.restrict, null=True)
    handed_at = Timestamptz(null=True, default=None)


class EvidenceFile(Table, tablename="evidence_files", db=ENGINE):
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, index=True)
    original_name = Varchar(length=255)
    storage_key = Varchar(length=128)
    thumbnail_key = Varchar(length=128, null=True, default=None)
    mime_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(references=User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz()


class StatusHistory(Table, tablename="status_history", db=ENGINE):
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, index=True)
    old_status = Varchar(length=16, null=True, default=None)
    new_status = Varchar(length=16)
    changed_by = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True)
    # An outside agency's update (handover.inbound): it, not a user, made the change.
    outside_agency = ForeignKey(references=OutsideAgency, on_delete=OnDelete.restrict, null=True)
    note = Text(default="")
    changed_at = Timestamptz(index=True)


class Message(Table, tablename="messages", db=ENGINE):
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, index=True)
    # None for an outside agency's public reply (then `outside_agency` names it).
    author = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True)
    outside_agency = ForeignKey(references=OutsideAgency, on_delete=OnDelete.restrict, null=True)
    body = Text()
    visibility = Varchar(length=8, default="public")  # public | internal
    is_official_response = Boolean(default=False)
    created_at = Timestamptz()
    # The form's key (web.forms idempotency): a double tap stores one message.
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)


class Rating(Table, tablename="ratings", db=ENGINE):
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, unique=True)
    score = SmallInt()
    comment = Text(default="")
    created_at = Timestamptz()
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)


class ComplaintTally(Table, tablename="complaint_tallies", db=ENGINE):
    """Complaints per officer, unit and category (`scope` "officer", "unit" or "category";
    `key` its id): `open_count` while pending, verified or in progress, `total_count` always.

    Kept exact by statement-level triggers on complaints in the changing transaction
    (migration 2026-12-05T10:00). Readers sum over rows: a key may have several slots
    (`shard`), because a trigger adds to the first slot of its key no other transaction holds,
    or to a new one, and so never waits for another submission's commit; a job folds them
    back (complaints.tallies). (scope, key, shard) is unique (an index made by raw SQL)."""

    scope = Varchar(length=16)
    key = Integer()
    shard = Integer(default=0)
    open_count = Integer(default=0)
    total_count = Integer(default=0)
