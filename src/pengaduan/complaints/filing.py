"""Filing a complaint: the sent form's key checked against earlier complaints, the new
complaint numbered and routed, and written with everything its submission writes
(`complaints.submission`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from pengaduan import db
from pengaduan.clock import JAKARTA
from pengaduan.complaints import numbering, repeats, submission
from pengaduan.complaints.evidence import StoredEvidence
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.complaints.lifecycle import Actor
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings


@dataclass(frozen=True)
class Submitted:
    id: int
    number: str
    tracking_code: str
    created: bool


async def submitted_with_key(key: str, reporter_id: int) -> dict[str, Any] | None:
    """The complaint this reporter already filed with this form (a repeated submit);
    somebody else's: refused (`repeats.conflict`)."""
    row = await db.fetchrow(
        "SELECT id, number, tracking_code, reporter FROM complaints WHERE idempotency_key = $1",
        key,
    )
    if row is None:
        return None
    if row["reporter"] != reporter_id:
        raise repeats.conflict()
    return dict(row)


async def check_form(
    key: str | None, reporter_id: int, category_id: int = 0, *, numbered: bool = False
) -> submission.Prepared:
    """What a sent complaint form needs before it is read, in one query: the complaint this
    reporter already filed with its key (`.existing`; somebody else's: refused), the
    categories one may choose, and with `numbered` (a form that will most likely be filed)
    the new complaint's id, number and routing for `create_complaint`."""
    prepared = await submission.prepare(category_id, reporter_id, key or None, numbered=numbered)
    existing = prepared.existing
    if existing is not None and existing["reporter"] != reporter_id:
        raise repeats.conflict()
    return prepared


async def create_complaint(
    *,
    reporter_id: int,
    fields: ComplaintFields,
    evidence: Sequence[StoredEvidence] = (),
    idempotency_key: str | None = None,
    ip: str = "",
    checked: submission.Prepared | None = None,
    settings: Settings,
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
            return await _create_once(
                reporter_id, fields, evidence, idempotency_key, ip, checked, settings
            )
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
            await numbering.sync_number_sequence()
    raise RuntimeError("could not give the complaint a number")


async def _create_once(
    reporter_id: int,
    fields: ComplaintFields,
    evidence: Sequence[StoredEvidence],
    idempotency_key: str | None,
    ip: str,
    checked: submission.Prepared | None,
    settings: Settings,
) -> Submitted:
    if checked is not None and checked.numbered_for(fields.category_id):
        prepared = checked
    else:
        prepared = await submission.prepare(fields.category_id, reporter_id, idempotency_key)
    existing = prepared.existing
    if existing is not None:
        if existing["reporter"] != reporter_id:
            raise repeats.conflict()
        return Submitted(existing["id"], existing["number"], existing["tracking_code"], False)
    row = prepared.row
    if row["category"] is None:
        raise Refused(_("Choose a category."), INVALID, field="category")
    now = datetime.now(UTC)
    complaint = submission.NewComplaint(
        id=row["id"],
        number=numbering.number_for(now.astimezone(JAKARTA).year, row["number_value"]),
        tracking_code=numbering.new_tracking_code(),
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
        settings=settings,
    )
    return Submitted(complaint.id, complaint.number, complaint.tracking_code, True)
