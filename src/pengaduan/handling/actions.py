"""What staff do with a complaint besides changing its status: claim, reply, internal note,
forward to another unit, reassign; and verification with classification (through the lifecycle).

Each action runs in one transaction that locks the complaint row, checks who may act, writes
the change with its audit row (and message, notification) and publishes its events, which
PostgreSQL delivers at commit. Status changes are left to `lifecycle.apply`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan.accounts.tables import User
from pengaduan.agency.tables import Category, Unit
from pengaduan.audit import services as audit
from pengaduan.complaints import lifecycle, repeats
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.tables import OPEN_STATUSES, PRIORITIES, Complaint, Message
from pengaduan.db import ENGINE
from pengaduan.errors import Refused as TransitionRefused  # until handling moves to Refused
from pengaduan.events import publish
from pengaduan.i18n import _
from pengaduan.notifications import services as notifications
from pengaduan.web.labels import status_label

MAX_TEXT = lifecycle.MAX_TEXT
# Public replies are possible until the complaint is finished for good.
REPLY_STATUSES = (*OPEN_STATUSES, "resolved")


class ActionRefused(TransitionRefused):
    """The action cannot be taken: `message` for the person, `status_code`, the form `field`."""


def _not_found() -> ActionRefused:
    return ActionRefused(_("This complaint does not exist."), 404)


async def _lock(complaint_id: int, actor: Actor) -> dict[str, Any]:
    """The complaint row locked for this transaction, if the actor handles it (else 404)."""
    rows = await Complaint.raw(
        "SELECT id, number, status, reporter, unit, officer, title, first_response_at, updated_at"
        " FROM complaints WHERE id = {} FOR UPDATE",
        complaint_id,
    )
    if not rows:
        raise _not_found()
    complaint = rows[0]
    # The names in a statement of their own, after the lock: under READ COMMITTED it sees what
    # committed while this one waited. Joined into the locking statement, the other tables keep
    # their rows from before the wait: the winner of a concurrent claim came back nameless,
    # and a complaint forwarded meanwhile would not have come back at all.
    (names,) = await Complaint.raw(
        "SELECT (SELECT full_name FROM users WHERE id = {}) AS officer_name,"
        " (SELECT name FROM units WHERE id = {}) AS unit_name",
        complaint["officer"],
        complaint["unit"],
    )
    complaint.update(names)
    if lifecycle.STAFF not in lifecycle.capacities(actor, complaint):
        # Officers of other units do not learn that it exists.
        raise _not_found()
    return complaint


def _require_open(complaint: dict[str, Any]) -> None:
    if complaint["status"] not in OPEN_STATUSES:
        raise ActionRefused(
            _(
                "This cannot be done while the complaint is %(status)s.",
                status=status_label(complaint["status"]),
            ),
            409,
        )


def _text(text: str, field: str, empty_message: str) -> str:
    text = text.strip()
    if not text:
        raise ActionRefused(empty_message, 422, field)
    if len(text) > MAX_TEXT:
        raise ActionRefused(
            _("The text is too long (at most %(max)d characters).", max=MAX_TEXT), 422, field
        )
    return text


async def claim(complaint_id: int, actor: Actor, *, seen: str | None = None) -> dict[str, Any]:
    """An officer takes an unassigned complaint of their unit; of two at once, one wins.

    `seen` (here and below): the version the officer acted on (lifecycle.ensure_unchanged)."""
    async with ENGINE.transaction():
        complaint = await _lock(complaint_id, actor)
        await lifecycle.ensure_unchanged(complaint, seen)
        if actor.role != "officer":
            raise ActionRefused(
                _("Only an officer of the unit can take a complaint; assign it to one instead."),
                409,
            )
        _require_open(complaint)
        if complaint["officer"] == actor.user_id:
            raise ActionRefused(_("You have this complaint already."), 409)
        if complaint["officer"] is not None:
            raise ActionRefused(
                _(
                    "%(name)s has taken this complaint already.",
                    name=complaint["officer_name"],
                ),
                409,
            )
        now = datetime.now(UTC)
        await Complaint.update(
            {
                Complaint.officer: actor.user_id,
                Complaint.assigned_at: now,
                Complaint.updated_at: now,
            }
        ).where(Complaint.id == complaint_id)
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.claim",
            target_type="complaint",
            target_id=complaint_id,
            data={"officer": actor.user_id},
            ip=actor.ip,
        )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "assigned", "complaint": complaint_id},
        )
        return complaint


async def reply(
    complaint_id: int,
    actor: Actor,
    text: str,
    *,
    idempotency_key: str | None = None,
    seen: str | None = None,
) -> dict[str, Any]:
    """A public message to the reporter, who is told in their own language (once per form key:
    complaints.repeats)."""
    async with ENGINE.transaction():
        complaint = await _lock(complaint_id, actor)
        if await repeats.earlier_message(idempotency_key, actor.user_id, complaint_id):
            return complaint
        await lifecycle.ensure_unchanged(complaint, seen)
        body = _text(text, "body", _("Write the reply."))
        if complaint["status"] not in REPLY_STATUSES:
            raise ActionRefused(
                _(
                    "This cannot be done while the complaint is %(status)s.",
                    status=status_label(complaint["status"]),
                ),
                409,
            )
        now = datetime.now(UTC)
        await Message.insert(
            Message(
                complaint=complaint_id,
                author=actor.user_id,
                body=body,
                visibility="public",
                is_official_response=False,
                created_at=now,
                idempotency_key=idempotency_key,
            )
        )
        values: dict[Any, Any] = {Complaint.updated_at: now}
        if complaint["first_response_at"] is None:
            values[Complaint.first_response_at] = now
        await Complaint.update(values).where(Complaint.id == complaint_id)
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.reply",
            target_type="complaint",
            target_id=complaint_id,
            ip=actor.ip,
        )
        for user in await notifications.recipients([complaint["reporter"]]):
            with notifications.in_language(user["language"]):
                await notifications.tell(
                    user,
                    kind="reply",
                    complaint_id=complaint_id,
                    number=complaint["number"],
                    params={"number": complaint["number"], "text": body[:500]},
                    link=f"/pengaduan/{complaint_id}",
                )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "message", "complaint": complaint_id},
        )
        return complaint


async def add_note(
    complaint_id: int,
    actor: Actor,
    text: str,
    *,
    idempotency_key: str | None = None,
    seen: str | None = None,
) -> dict[str, Any]:
    """An internal note: staff only, no notification, nothing the citizen can see (once per
    form key: complaints.repeats)."""
    async with ENGINE.transaction():
        complaint = await _lock(complaint_id, actor)
        if await repeats.earlier_message(idempotency_key, actor.user_id, complaint_id):
            return complaint
        await lifecycle.ensure_unchanged(complaint, seen)
        body = _text(text, "note", _("Write the note."))
        await Message.insert(
            Message(
                complaint=complaint_id,
                author=actor.user_id,
                body=body,
                visibility="internal",
                is_official_response=False,
                created_at=datetime.now(UTC),
                idempotency_key=idempotency_key,
            )
        )
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.note",
            target_type="complaint",
            target_id=complaint_id,
            ip=actor.ip,
        )
        # Only on the staff's queue channel: the citizen's complaint channel hears nothing.
        await publish([f"queue_{complaint['unit']}"], {"event": "note", "complaint": complaint_id})
        return complaint


async def _category_in(
    complaint_id: int, target: dict[str, Any], category_id: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The complaint's category now, and the one it gets in the `target` unit (None: it keeps
    its own, which belongs to that unit). A category routes to one unit (its default unit):
    one of another unit's does not stay with a forwarded complaint. The officer's choice must
    be one of the target's active categories; without one, the target's only category is
    taken, and with several the officer is asked to choose."""
    (current,) = await Complaint.raw(
        "SELECT k.id, coalesce(k.name, '—') AS name, k.default_unit, c.submitted_at"
        " FROM complaints c LEFT JOIN categories k ON k.id = c.category WHERE c.id = {}",
        complaint_id,
    )
    choices = await Category.select(Category.id, Category.name, Category.deadline_days).where(
        (Category.default_unit == target["id"]) & Category.is_active.eq(True)
    )
    if category_id is not None:
        chosen = next((c for c in choices if c["id"] == category_id), None)
        if chosen is None:
            raise ActionRefused(
                _("Choose one of the categories of %(unit)s.", unit=target["name"]),
                422,
                "forward_category",
            )
        return current, None if chosen["id"] == current["id"] else chosen
    if current["default_unit"] == target["id"]:
        return current, None
    if len(choices) == 1:
        return current, choices[0]
    if not choices:
        raise ActionRefused(
            _(
                "%(unit)s has no active category for the complaint: an admin must add one "
                "before complaints can be forwarded there.",
                unit=target["name"],
            ),
            422,
            "unit",
        )
    raise ActionRefused(
        _(
            "The category %(category)s belongs to another unit: choose one of the categories "
            "of %(unit)s.",
            category=current["name"],
            unit=target["name"],
        ),
        422,
        "forward_category",
    )


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
    its deadline as on verification, and the note and the audit row say so."""
    async with ENGINE.transaction():
        complaint = await _lock(complaint_id, actor)
        await lifecycle.ensure_unchanged(complaint, seen)
        if unit_id is None:
            raise ActionRefused(_("Choose the unit to forward to."), 422, "unit")
        target = (
            await Unit.select(Unit.id, Unit.name)
            .where((Unit.id == unit_id) & Unit.is_active.eq(True))
            .first()
        )
        if target is None:
            raise ActionRefused(_("Choose one of the active units."), 422, "unit")
        if target["id"] == complaint["unit"]:
            raise ActionRefused(_("The complaint is in this unit already."), 422, "unit")
        text = _text(note, "forward_note", _("Say why it goes to that unit."))
        _require_open(complaint)
        category, new_category = await _category_in(complaint_id, target, category_id)
        now = datetime.now(UTC)
        values: dict[Any, Any] = {
            Complaint.unit: target["id"],
            Complaint.officer: None,
            Complaint.assigned_at: None,
            Complaint.updated_at: now,
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
        await Message.insert(
            Message(
                complaint=complaint_id,
                author=actor.user_id,
                body=body,
                visibility="internal",
                is_official_response=False,
                created_at=now,
            )
        )
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


async def reassign(
    complaint_id: int, actor: Actor, officer_id: int | None, *, seen: str | None = None
) -> dict[str, Any]:
    """Give the complaint to an active officer of its unit.

    An officer hands over what is theirs or unassigned; an admin assigns any of them.
    """
    async with ENGINE.transaction():
        complaint = await _lock(complaint_id, actor)
        await lifecycle.ensure_unchanged(complaint, seen)
        if officer_id is None:
            raise ActionRefused(_("Choose an officer."), 422, "officer")
        officer = (
            await User.select(User.id, User.full_name)
            .where(
                (User.id == officer_id)
                & (User.role == "officer")
                & (User.unit == complaint["unit"])
                & User.is_active.eq(True)
            )
            .first()
        )
        if officer is None:
            raise ActionRefused(_("Choose an active officer of the unit."), 422, "officer")
        _require_open(complaint)
        if complaint["officer"] == officer["id"]:
            raise ActionRefused(
                _("%(name)s has this complaint already.", name=officer["full_name"]), 409
            )
        if (
            actor.role == "officer"
            and complaint["officer"] is not None
            and complaint["officer"] != actor.user_id
        ):
            raise ActionRefused(
                _(
                    "%(name)s handles this complaint; only they or an admin can reassign it.",
                    name=complaint["officer_name"],
                ),
                409,
            )
        now = datetime.now(UTC)
        await Complaint.update(
            {
                Complaint.officer: officer["id"],
                Complaint.assigned_at: now,
                Complaint.updated_at: now,
            }
        ).where(Complaint.id == complaint_id)
        await audit.record(
            actor_id=actor.user_id,
            action="complaint.assign",
            target_type="complaint",
            target_id=complaint_id,
            data={"from": complaint["officer"], "to": officer["id"]},
            ip=actor.ip,
        )
        if officer["id"] != actor.user_id:
            for user in await notifications.recipients([officer["id"]]):
                with notifications.in_language(user["language"]):
                    await notifications.tell(
                        user,
                        kind="assigned",
                        complaint_id=complaint_id,
                        number=complaint["number"],
                        params={"number": complaint["number"], "title": complaint["title"]},
                        link=f"/petugas/pengaduan/{complaint_id}",
                    )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "assigned", "complaint": complaint_id},
        )
        complaint.update(officer=officer["id"], officer_name=officer["full_name"])
        return complaint


async def verify(
    complaint_id: int,
    actor: Actor,
    *,
    category_id: int | None,
    priority: str,
    seen: str | None = None,
) -> dict[str, Any]:
    """Verify through the lifecycle, classifying on the way: a new category brings its
    deadline (due = submitted + its days) and, when its default unit differs, that unit
    (unassigned there); a priority is the officer's call."""
    if priority and priority not in PRIORITIES:
        raise ActionRefused(_("Choose one of the priorities."), 422, "priority")
    current = (
        await Complaint.select(
            Complaint.category, Complaint.unit, Complaint.submitted_at, Complaint.priority
        )
        .where(Complaint.id == complaint_id)
        .first()
    )
    if current is None:
        raise _not_found()
    changes: dict[str, Any] = {}
    if priority and priority != current["priority"]:
        changes["priority"] = priority
    if category_id is not None and category_id != current["category"]:
        category = (
            await Category.select(Category.id, Category.default_unit, Category.deadline_days)
            .where((Category.id == category_id) & Category.is_active.eq(True))
            .first()
        )
        if category is None:
            raise ActionRefused(_("Choose one of the active categories."), 422, "category")
        changes["category"] = category["id"]
        changes["due_at"] = current["submitted_at"] + timedelta(days=category["deadline_days"])
        if category["default_unit"] != current["unit"]:
            changes.update(unit=category["default_unit"], officer=None, assigned_at=None)
    return await lifecycle.apply(complaint_id, "verify", actor, changes=changes, seen=seen)
