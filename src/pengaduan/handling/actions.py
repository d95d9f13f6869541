"""What staff do about who handles a complaint, and its verification: claim, reassign, and
verification with classification (through the lifecycle). Messages: handling.messages;
forwarding to another unit: handling.forwarding.

Each action runs in one transaction that locks the complaint row, checks who may act, writes
the change with its audit row (and notification) and publishes its events, which PostgreSQL
delivers at commit. Status changes are left to `lifecycle.apply`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan.accounts.tables import User
from pengaduan.agency.tables import Category
from pengaduan.audit import services as audit
from pengaduan.categorising import learning
from pengaduan.complaints import lifecycle
from pengaduan.complaints.lifecycle import Actor
from pengaduan.complaints.tables import PRIORITIES, Complaint
from pengaduan.db import ENGINE
from pengaduan.errors import INVALID, Refused
from pengaduan.events import publish
from pengaduan.handling.messages import tell_each
from pengaduan.handling.preconditions import lock, not_found, require_open
from pengaduan.i18n import _
from pengaduan.notifications.texts import complaint_link
from pengaduan.settings import Settings


async def _give(
    complaint_id: int, officer_id: int, actor: Actor, action: str, data: dict[str, Any]
) -> None:
    """The complaint is the officer's from now on, audited as `action` with `data`."""
    now = datetime.now(UTC)
    await Complaint.update(
        {Complaint.officer: officer_id, Complaint.assigned_at: now, Complaint.updated_at: now}
    ).where(Complaint.id == complaint_id)
    await audit.record(
        actor_id=actor.user_id,
        action=action,
        target_type="complaint",
        target_id=complaint_id,
        data=data,
        ip=actor.ip,
    )


async def claim(complaint_id: int, actor: Actor, *, seen: str | None = None) -> dict[str, Any]:
    """An officer takes an unassigned complaint of their unit; of two at once, one wins.

    `seen` (here and below): the version the officer acted on (lifecycle.ensure_unchanged)."""
    async with ENGINE.transaction():
        complaint = await lock(complaint_id, actor)
        await lifecycle.ensure_unchanged(complaint, seen)
        if actor.role != "officer":
            raise Refused(
                _("Only an officer of the unit can take a complaint; assign it to one instead.")
            )
        require_open(complaint)
        if complaint["officer"] == actor.user_id:
            raise Refused(_("You have this complaint already."))
        if complaint["officer"] is not None:
            raise Refused(
                _(
                    "%(name)s has taken this complaint already.",
                    name=complaint["officer_name"],
                )
            )
        await _give(
            complaint_id, actor.user_id, actor, "complaint.claim", {"officer": actor.user_id}
        )
        await publish(
            [f"complaint_{complaint_id}", f"queue_{complaint['unit']}"],
            {"event": "assigned", "complaint": complaint_id},
        )
        return complaint


async def reassign(
    complaint_id: int,
    actor: Actor,
    officer_id: int | None,
    *,
    seen: str | None = None,
    settings: Settings,
) -> dict[str, Any]:
    """Give the complaint to an active officer of its unit.

    An officer hands over what is theirs or unassigned; an admin assigns any of them.
    """
    async with ENGINE.transaction():
        complaint = await lock(complaint_id, actor)
        await lifecycle.ensure_unchanged(complaint, seen)
        if officer_id is None:
            raise Refused(_("Choose an officer."), INVALID, field="officer")
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
            raise Refused(_("Choose an active officer of the unit."), INVALID, field="officer")
        require_open(complaint)
        if complaint["officer"] == officer["id"]:
            raise Refused(_("%(name)s has this complaint already.", name=officer["full_name"]))
        if (
            actor.role == "officer"
            and complaint["officer"] is not None
            and complaint["officer"] != actor.user_id
        ):
            raise Refused(
                _(
                    "%(name)s handles this complaint; only they or an admin can reassign it.",
                    name=complaint["officer_name"],
                )
            )
        await _give(
            complaint_id,
            officer["id"],
            actor,
            "complaint.assign",
            {"from": complaint["officer"], "to": officer["id"]},
        )
        if officer["id"] != actor.user_id:
            await tell_each(
                [officer["id"]],
                "assigned",
                complaint,
                params={"number": complaint["number"], "title": complaint["title"]},
                link=complaint_link(complaint_id, staff=True),
                settings=settings,
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
    settings: Settings,
) -> dict[str, Any]:
    """Verify through the lifecycle, classifying on the way: a new category brings its
    deadline (due = submitted + its days) and, when its default unit differs, that unit
    (unassigned there); a priority is the officer's call. The category teaches the
    suggestion (categorising.learning)."""
    if priority and priority not in PRIORITIES:
        raise Refused(_("Choose one of the priorities."), INVALID, field="priority")
    current = (
        await Complaint.select(
            Complaint.category,
            Complaint.unit,
            Complaint.submitted_at,
            Complaint.priority,
            Complaint.category_suggested,
        )
        .where(Complaint.id == complaint_id)
        .first()
    )
    if current is None:
        raise not_found()
    changes: dict[str, Any] = {}
    if current["category_suggested"]:
        # Confirmed or changed: the category is an officer's from now on.
        changes["category_suggested"] = False
    if priority and priority != current["priority"]:
        changes["priority"] = priority
    if category_id is not None and category_id != current["category"]:
        category = (
            await Category.select(Category.id, Category.default_unit, Category.deadline_days)
            .where((Category.id == category_id) & Category.is_active.eq(True))
            .first()
        )
        if category is None:
            raise Refused(_("Choose one of the active categories."), INVALID, field="category")
        changes["category"] = category["id"]
        changes["due_at"] = current["submitted_at"] + timedelta(days=category["deadline_days"])
        if category["default_unit"] != current["unit"]:
            changes.update(unit=category["default_unit"], officer=None, assigned_at=None)
    # The officer's category is what the suggestion learns from, in the same transaction.
    async with ENGINE.transaction():
        complaint = await lifecycle.apply(
            complaint_id, "verify", actor, changes=changes, seen=seen, settings=settings
        )
        await learning.classified(complaint_id)
    return complaint
