"""The handling side's scheduled job: escalating overdue complaints to the unit's admins and
the assigned officer (again a day later while they stay so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db
from pengaduan.audit import services as audit
from pengaduan.complaints import statuses
from pengaduan.db import ENGINE
from pengaduan.notifications import services as notifications
from pengaduan.scheduler import Job, Scheduler
from pengaduan.settings import Settings

RENOTIFY_AFTER = timedelta(hours=24)
ESCALATION_BATCH = 100

# Claims a batch: open, past due, not told within a day; the update itself marks them told,
# so a second runner (or a later round) skips them.
CLAIM_OVERDUE = f"""
WITH due AS (
    SELECT id FROM complaints
    WHERE status IN ({statuses.OPEN_SQL})
      AND due_at < $1
      AND (overdue_notified_at IS NULL OR overdue_notified_at <= $2)
    ORDER BY due_at, id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE complaints c SET overdue_notified_at = $1
FROM due, units u
WHERE c.id = due.id AND u.id = c.unit
RETURNING c.id, c.number, c.title, c.unit, c.officer, c.due_at, c.status, u.name AS unit_name
"""

ADMINS_OF_UNITS = """
SELECT id, unit FROM users
WHERE role = 'admin' AND is_active AND (unit = ANY($1::int[]) OR unit IS NULL)
"""


def _staff_recipients(complaint: Any, admins: list[Any]) -> list[int]:
    """The unit's own admins, or (a unit without any) the admins of no unit; and the officer."""
    own = [a["id"] for a in admins if a["unit"] == complaint["unit"]]
    ids = own or [a["id"] for a in admins if a["unit"] is None]
    if complaint["officer"]:
        ids.append(complaint["officer"])
    return list(dict.fromkeys(ids))


async def _escalate_batch(now: datetime, settings: Settings) -> int:
    async with ENGINE.transaction():
        claimed = await db.fetch(CLAIM_OVERDUE, now, now - RENOTIFY_AFTER, ESCALATION_BATCH)
        if not claimed:
            return 0
        admins = await db.fetch(ADMINS_OF_UNITS, sorted({c["unit"] for c in claimed}))
        per_complaint = {c["id"]: _staff_recipients(c, admins) for c in claimed}
        everyone = {u for ids in per_complaint.values() for u in ids}
        people = {p["id"]: p for p in await notifications.recipients(sorted(everyone))}
        for complaint in claimed:
            told = []
            for user_id in per_complaint[complaint["id"]]:
                user = people.get(user_id)
                if user is None:
                    continue  # deactivated meanwhile
                await _tell_overdue(user, complaint, settings)
                told.append(user_id)
            await audit.record(
                actor_id=None,
                action="complaint.overdue_escalated",
                target_type="complaint",
                target_id=complaint["id"],
                data={"due_at": complaint["due_at"], "notified": told},
            )
        return len(claimed)


async def _tell_overdue(user: dict[str, Any], complaint: Any, settings: Settings) -> None:
    """One in-app notification and one mail (to a confirmed address), in the user's language."""
    number = complaint["number"]
    with notifications.in_language(user["language"]):
        await notifications.notify(
            user,
            kind="overdue",
            complaint_id=complaint["id"],
            number=number,
            params={"number": number, "title": complaint["title"], "unit": complaint["unit_name"]},
            settings=settings,
        )
        await notifications.mail(
            user,
            "overdue",
            {
                "number": number,
                "title": complaint["title"],
                "unit": complaint["unit_name"],
                "due_at": complaint["due_at"],
                "status": complaint["status"],
                "link": notifications.complaint_link(complaint["id"], staff=True),
            },
            kind="overdue",
            topic="overdue",
            settings=settings,
        )


async def escalate_overdue(settings: Settings, now: datetime | None = None) -> int:
    """Tell the unit's admins and the assigned officer about open complaints past their due
    date (again a day later while they stay so); returns how many complaints were escalated.

    One transaction per batch: the claim, the notifications, the mail and the audit rows
    commit together.
    """
    now = now or datetime.now(UTC)
    total = 0
    while True:
        done = await _escalate_batch(now, settings)
        total += done
        if done < ESCALATION_BATCH:
            return total


def escalation_job(settings: Settings) -> Job:
    """`escalate_overdue` every ten minutes, telling people as `settings` say (links, SMS)."""

    async def escalate() -> int:
        return await escalate_overdue(settings)

    return Job("escalate_overdue", timedelta(minutes=10), escalate)


def register(scheduler: Scheduler, settings: Settings) -> None:
    scheduler.register(escalation_job(settings))
