"""The reporter changes a pending complaint: edits it (a new category routes it again) or
withdraws it (through the lifecycle)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle, tallies
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.reading import check_reporter, reporters_locked
from pengaduan.complaints.tables import Complaint
from pengaduan.errors import CONFLICT, INVALID, Refused
from pengaduan.events import publish
from pengaduan.i18n import _
from pengaduan.settings import Settings


async def _category(category_id: int, *, allow_inactive: int | None = None) -> dict[str, Any]:
    """The category with its unit's routing, or a refusal naming the field."""
    row = await db.fetchrow(
        "SELECT c.id, c.deadline_days, c.default_unit AS unit, u.auto_assign"
        " FROM categories c JOIN units u ON u.id = c.default_unit"
        " WHERE c.id = $1 AND (c.is_active OR c.id = $2)",
        category_id,
        allow_inactive or 0,
    )
    if row is None:
        raise Refused(_("Choose a category."), INVALID, field="category")
    return dict(row)


async def update_complaint(
    complaint_id: int, reporter_id: int, fields: ComplaintFields, *, ip: str = ""
) -> None:
    """The reporter's changes while the complaint is pending (a conflict afterwards). A new
    category routes it again: its unit, deadline and, where the unit wants it, officer."""
    async with db.ENGINE.transaction():
        current = await reporters_locked(complaint_id, reporter_id)
        if current["status"] != "pending":
            raise Refused(_("A complaint can only be changed while it is pending."), CONFLICT)
        before = await db.fetchrow(
            "SELECT submitted_at, category, unit, officer, title, body, location_text,"
            " latitude, longitude, citizen_urgency, is_anonymous, is_public"
            " FROM complaints WHERE id = $1",
            complaint_id,
        )
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
                officer = (
                    await tallies.least_busy_officer(unit) if category["auto_assign"] else None
                )
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


async def withdraw(complaint_id: int, actor: Actor, *, settings: Settings) -> None:
    """The reporter withdraws a pending complaint (through the lifecycle)."""
    await check_reporter(complaint_id, actor.user_id)
    await lifecycle.apply(complaint_id, "withdraw", actor, settings=settings)
