"""Forwarding a complaint to another unit's queue, and the category it takes there; or handing
it over to an outside agency (`hand_over`).

One transaction locks the complaint, moves it (unassigned) with an internal note and its
audit row, and publishes to both units' queues; PostgreSQL delivers the events at commit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db
from pengaduan.agency.tables import Category, OutsideAgency, Unit
from pengaduan.audit import services as audit
from pengaduan.categorising import learning
from pengaduan.complaints import lifecycle
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.tables import Complaint
from pengaduan.errors import INVALID, Refused
from pengaduan.events import publish
from pengaduan.handling.messages import write_message
from pengaduan.handling.preconditions import checked_text, lock, require_open
from pengaduan.i18n import _
from pengaduan.notifications import outbox
from pengaduan.settings import Settings


def _invalid(message: str, field: str) -> Refused:
    return Refused(message, INVALID, field=field)


async def _category_in(
    complaint_id: int, target: dict[str, Any], category_id: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The complaint's category now, and the one it gets in the `target` unit (None: it keeps
    its own, which belongs to that unit). A category routes to one unit (its default unit):
    one of another unit's does not stay with a forwarded complaint. The officer's choice must
    be one of the target's active categories; without one, the target's only category is
    taken, and with several the officer is asked to choose."""
    current = dict(
        await db.fetchrow(
            "SELECT k.id, coalesce(k.name, '—') AS name, k.default_unit, c.submitted_at"
            " FROM complaints c LEFT JOIN categories k ON k.id = c.category WHERE c.id = $1",
            complaint_id,
        )
    )
    choices = await Category.select(Category.id, Category.name, Category.deadline_days).where(
        (Category.default_unit == target["id"]) & Category.is_active.eq(True)
    )
    if category_id is not None:
        chosen = next((c for c in choices if c["id"] == category_id), None)
        if chosen is None:
            raise _invalid(
                _("Choose one of the categories of %(unit)s.", unit=target["name"]),
                "forward_category",
            )
        return current, None if chosen["id"] == current["id"] else chosen
    if current["default_unit"] == target["id"]:
        return current, None
    if len(choices) == 1:
        return current, choices[0]
    if not choices:
        raise _invalid(
            _(
                "%(unit)s has no active category for the complaint: an admin must add one "
                "before complaints can be forwarded there.",
                unit=target["name"],
            ),
            "unit",
        )
    raise _invalid(
        _(
            "The category %(category)s belongs to another unit: choose one of the categories "
            "of %(unit)s.",
            category=current["name"],
            unit=target["name"],
        ),
        "forward_category",
    )


async def _target_unit(complaint: dict[str, Any], unit_id: int | None) -> dict[str, Any]:
    if unit_id is None:
        raise _invalid(_("Choose the unit to forward to."), "unit")
    target = (
        await Unit.select(Unit.id, Unit.name)
        .where((Unit.id == unit_id) & Unit.is_active.eq(True))
        .first()
    )
    if target is None:
        raise _invalid(_("Choose one of the active units."), "unit")
    if target["id"] == complaint["unit"]:
        raise _invalid(_("The complaint is in this unit already."), "unit")
    return target


async def forward(
    complaint_id: int,
    actor: Actor,
    unit_id: int | None,
    note: str,
    category_id: int | None = None,
    *,
    seen: str | None = None,
) -> dict[str, Any]:
    """Hand the complaint to another unit's queue, unassigned, with an internal note; a
    category of another unit is replaced by one of the target's (`_category_in`), which brings
    its deadline as on verification, and the note and the audit row say so.

    `seen`: the version the officer acted on (lifecycle.ensure_unchanged)."""
    async with db.ENGINE.transaction():
        complaint = await lock(complaint_id, actor)
        await lifecycle.ensure_unchanged(complaint, seen)
        target = await _target_unit(complaint, unit_id)
        text = checked_text(note, "forward_note", _("Say why it goes to that unit."))
        require_open(complaint)
        category, new_category = await _category_in(complaint_id, target, category_id)
        now = datetime.now(UTC)
        values: dict[Any, Any] = {
            Complaint.unit: target["id"],
            Complaint.officer: None,
            Complaint.assigned_at: None,
            Complaint.updated_at: now,
            # The officer decided where it belongs: no longer a suggested category.
            Complaint.category_suggested: False,
        }
        if new_category is not None:
            values[Complaint.category] = new_category["id"]
            values[Complaint.due_at] = category["submitted_at"] + timedelta(
                days=new_category["deadline_days"]
            )
            body = _(
                "Forwarded from %(source)s to %(target)s, category %(old)s → %(new)s: %(note)s",
                source=complaint["unit_name"],
                target=target["name"],
                old=category["name"],
                new=new_category["name"],
                note=text,
            )
        else:
            body = _(
                "Forwarded from %(source)s to %(target)s: %(note)s",
                source=complaint["unit_name"],
                target=target["name"],
                note=text,
            )
        await Complaint.update(values).where(Complaint.id == complaint_id)
        if new_category is not None:
            await learning.recategorised(complaint_id, category["id"])
        await write_message(complaint_id, actor, body, visibility="internal", at=now)
        data = {"from": complaint["unit"], "to": target["id"], "officer": complaint["officer"]}
        if new_category is not None:
            data.update(category_from=category["id"], category_to=new_category["id"])
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.forward",
            target_type="complaint",
            target_id=complaint_id,
            data=data,
            ip=actor.ip,
        )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}", f"queue_{target['id']}"],
            {"event": "forwarded", "complaint": complaint_id},
        )
        complaint.update(unit=target["id"], officer=None, target_unit_name=target["name"])
        return complaint


async def hand_over(
    complaint_id: int,
    actor: Actor,
    agency_id: int | None,
    note: str,
    *,
    seen: str | None = None,
    settings: Settings,
) -> dict[str, Any]:
    """Hand the complaint over to an active outside agency, with a note saying why: the
    lifecycle's hand_over (→ in_progress, history, audit, the reporter told), and in the same
    transaction the signed document queued in the outbox (handover.document, sent by
    outbox.handover_delivery with retries; one idempotency key for all its attempts). The
    complaint stays in its unit, which follows what the agency sends back."""
    async with db.ENGINE.transaction():
        await lock(complaint_id, actor)  # not found unless the actor handles it
        text = checked_text(note, "forward_note", _("Say why it goes to that agency."))
        agency = None
        if agency_id is not None:
            agency = (
                await OutsideAgency.select(OutsideAgency.id, OutsideAgency.name)
                .where((OutsideAgency.id == agency_id) & OutsideAgency.is_active.eq(True))
                .first()
            )
        if agency is None:
            raise _invalid(_("Choose one of the active outside agencies."), "unit")
        handed_to = await db.fetchval(
            "SELECT handed_to FROM complaints WHERE id = $1", complaint_id
        )
        if handed_to == agency["id"]:
            raise _invalid(
                _("The complaint is handed over to %(agency)s already.", agency=agency["name"]),
                "unit",
            )
        done = await lifecycle.apply(
            complaint_id,
            "hand_over",
            actor,
            text=_("Handed over to %(agency)s: %(note)s", agency=agency["name"], note=text),
            changes={"handed_to": agency["id"]},
            seen=seen,
            settings=settings,
        )
        await outbox.enqueue_handover(
            agency_id=agency["id"],
            complaint_id=complaint_id,
            note=text,
            idempotency_key=str(uuid.uuid4()),
        )
        done.update(handed_to=agency["id"], handed_to_name=agency["name"])
        return done
