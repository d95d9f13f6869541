"""The complaint lifecycle: the only code that changes a complaint's status.

For each action it knows who may take it from which status, what it requires (a reason to
reject or reopen, an official response to resolve), and it writes, in one transaction, the
status, the status history, the audit row, the in-app notifications and the outbox mail, and
publishes the event (delivered at commit).

    pending ──verify──► verified ──start──► in_progress ──resolve──► resolved ──close──► closed
       │ └──withdraw──► withdrawn │                                     │
       └──reject──► rejected ◄────┘          in_progress ◄──reopen──────┘ (reporter, REOPEN_DAYS)

Hand-over to an outside agency (handover.sending): staff hand a verified or in-progress
complaint over (→ in_progress, with a note); the agency then resolves it, or declines it
(in_progress → rejected, with a reason), as an actor that names it (`Actor.outside`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.complaints import statuses, versions
from pengaduan.complaints.statuses import CLOSE_AFTER, REOPEN_DAYS, REOPEN_WINDOW
from pengaduan.complaints.tables import Complaint, Message, StatusHistory
from pengaduan.db import ENGINE
from pengaduan.errors import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Refused
from pengaduan.events import publish
from pengaduan.i18n import _
from pengaduan.notifications import services as notifications
from pengaduan.settings import Settings

MAX_TEXT = 5000
# The actions whose text (a reason, the official response) the reporter is told.
TOLD_WHY = ("reject", "resolve", "decline")

# Who may act: the handling side ("staff": an officer of the complaint's unit, or an admin),
# the complaint's reporter, the system (scheduled jobs), or the outside agency it was handed
# over to (its signed updates, handover.inbound).
STAFF, REPORTER, SYSTEM, AGENCY = "staff", "reporter", "system", "agency"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    by: frozenset[str]
    requires: str | None = None  # "reason" | "response"


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("verify", frozenset({"pending"}), "verified", frozenset({STAFF})),
        Transition(
            "reject", frozenset({"pending", "verified"}), "rejected", frozenset({STAFF}), "reason"
        ),
        Transition("start", frozenset({"verified"}), "in_progress", frozenset({STAFF})),
        Transition(
            "resolve",
            frozenset({"in_progress"}),
            "resolved",
            frozenset({STAFF, AGENCY}),
            "response",
        ),
        Transition(
            "reopen", frozenset({"resolved"}), "in_progress", frozenset({REPORTER}), "reason"
        ),
        Transition("close", frozenset({"resolved"}), "closed", frozenset({REPORTER, SYSTEM})),
        Transition("withdraw", frozenset({"pending"}), "withdrawn", frozenset({REPORTER})),
        # After start: a pending complaint is verified before its data leaves for an agency
        # (and demo.generation's shortest paths stay verify, start).
        Transition(
            "hand_over",
            frozenset({"verified", "in_progress"}),
            "in_progress",
            frozenset({STAFF}),
            "reason",
        ),
        Transition(
            "decline", frozenset({"in_progress"}), "rejected", frozenset({AGENCY}), "reason"
        ),
    )
}


@dataclass(frozen=True)
class Actor:
    """Who asks: a user (id, role, unit), the system, or an outside agency (user_id None)."""

    user_id: int | None
    role: str  # citizen | officer | admin | system | agency
    unit_id: int | None = None
    ip: str = ""
    agency_id: int | None = None  # the outside agency (role "agency")
    agency_name: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, role="system")

    @classmethod
    def outside(cls, agency_id: int, name: str, ip: str = "") -> Actor:
        return cls(user_id=None, role="agency", ip=ip, agency_id=agency_id, agency_name=name)


class ChangedMeanwhile(Refused):
    """The action was taken on an older version of the complaint than it now has (see
    complaints.versions): nothing was done. `changes` says what is different, a sentence each."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__(
            _("This complaint changed since you opened this page, so nothing was done."),
            CONFLICT,
        )
        self.changes = changes


async def ensure_unchanged(complaint: dict[str, Any], seen: str | None) -> None:
    """Refuse an action whose form was filled in on another version of the locked complaint
    (`seen`: the version it carried; None: none to compare)."""
    changes = await versions.changes_since(complaint, seen)
    if changes is not None:
        raise ChangedMeanwhile(changes)


def capacities(actor: Actor, complaint: dict[str, Any]) -> set[str]:
    """In which capacities the actor stands towards this complaint."""
    found: set[str] = set()
    if actor.role == "system":
        found.add(SYSTEM)
    if actor.role == "admin":
        found.add(STAFF)
    if actor.role == "officer" and actor.unit_id is not None and actor.unit_id == complaint["unit"]:
        found.add(STAFF)
    if actor.user_id is not None and actor.user_id == complaint["reporter"]:
        found.add(REPORTER)
    if (
        actor.role == "agency"
        and actor.agency_id is not None
        and actor.agency_id == complaint.get("handed_to")
    ):
        found.add(AGENCY)
    return found


def check(
    action: str,
    complaint: dict[str, Any],
    actor: Actor,
    *,
    text: str = "",
    now: datetime | None = None,
) -> Transition:
    """The transition, or `Refused` saying why not (no database needed)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Refused(_("Unknown action."), INVALID)
    if not capacities(actor, complaint) & transition.by:
        raise Refused(_("You may not do this with this complaint."), FORBIDDEN)
    if complaint["status"] not in transition.sources:
        raise Refused(
            _(
                "This cannot be done while the complaint is %(status)s.",
                status=statuses.label(complaint["status"]),
            ),
            CONFLICT,
        )
    if action == "reopen":
        resolved_at = complaint.get("resolved_at")
        if resolved_at is None or (now or datetime.now(UTC)) - resolved_at > REOPEN_WINDOW:
            raise Refused(
                _(
                    "A complaint can be reopened within %(days)d days of its resolution.",
                    days=REOPEN_DAYS,
                ),
                CONFLICT,
            )
    if transition.requires and not text.strip():
        message = (
            _("Write the official response.")
            if transition.requires == "response"
            else _("Give a reason.")
        )
        raise Refused(message, INVALID, field=transition.requires)
    if len(text) > MAX_TEXT:
        raise Refused(
            _("The text is too long (at most %(max)d characters).", max=MAX_TEXT),
            INVALID,
            field=transition.requires,
        )
    return transition


async def load_for_update(complaint_id: int) -> dict[str, Any]:
    """The complaint row, locked until the transaction ends (call inside one)."""
    row = await db.fetchrow(
        "SELECT id, number, status, reporter, unit, officer, title, resolved_at,"
        " first_response_at, is_anonymous, tracking_code, category, priority, updated_at,"
        " handed_to"
        " FROM complaints WHERE id = $1 FOR UPDATE",
        complaint_id,
    )
    if row is None:
        raise Refused(_("This complaint does not exist."), NOT_FOUND)
    return dict(row)


async def handling_staff(complaint: dict[str, Any]) -> list[int]:
    """Who handles the complaint on the agency's side: its officer, or while nobody has it
    the active officers of its unit."""
    if complaint["officer"]:
        return [complaint["officer"]]
    rows = await User.select(User.id).where(
        (User.unit == complaint["unit"]) & (User.role == "officer") & User.is_active.eq(True)
    )
    return [r["id"] for r in rows]


async def _tell(
    complaint: dict[str, Any], transition: Transition, actor: Actor, text: str, settings: Settings
) -> None:
    """Notifications and mail for a status change (inside the transaction)."""
    number = complaint["number"]
    if transition.action == "reopen":
        # The handling side hears of it: the officer, or the unit's officers when unassigned.
        for user in await notifications.recipients(await handling_staff(complaint)):
            with notifications.in_language(user["language"]):
                await notifications.tell(
                    user,
                    kind="reopened",
                    complaint_id=complaint["id"],
                    number=number,
                    params={"number": number, "text": text[:500]},
                    link=notifications.complaint_link(complaint["id"], staff=True),
                    settings=settings,
                )
        return
    if actor.user_id == complaint["reporter"]:
        return  # the reporter did it; no need to tell them
    for user in await notifications.recipients([complaint["reporter"]]):
        with notifications.in_language(user["language"]):
            # The reason or the official response is what the reporter reads under the title;
            # otherwise the new status (a code: notifications.texts says it in their language).
            params = {"number": number, "status": transition.target}
            if transition.action in TOLD_WHY and text:
                params["text"] = text[:500]
            await notifications.notify(
                user,
                kind=transition.target,
                params=params,
                complaint_id=complaint["id"],
                number=number,
                settings=settings,
            )
            await notifications.mail(
                user,
                "status_changed",
                {
                    "number": number,
                    "title": complaint["title"],
                    "status": transition.target,
                    "text": text if transition.action in TOLD_WHY else "",
                    "link": notifications.complaint_link(complaint["id"], staff=False),
                },
                kind=f"status_{transition.target}",
                topic=transition.target,
                settings=settings,
            )


async def apply(
    complaint_id: int,
    action: str,
    actor: Actor,
    *,
    text: str = "",
    changes: dict[str, Any] | None = None,
    seen: str | None = None,
    settings: Settings,
) -> dict[str, Any]:
    """Take `action` on the complaint; returns the complaint as it now is.

    `text` is the reason (reject, reopen) or the official response (resolve), or an optional
    note. `changes` are extra column values set in the same update (e.g. a new category on
    verify) — the caller validated them. `seen`: the version of the complaint the person acted
    on (complaints.versions); another one is refused with ChangedMeanwhile.
    """
    async with ENGINE.transaction():
        complaint = await load_for_update(complaint_id)
        if STAFF in capacities(actor, complaint):
            await ensure_unchanged(complaint, seen)
        transition = check(action, complaint, actor, text=text)
        now = datetime.now(UTC)
        values: dict[Any, Any] = {Complaint.status: transition.target, Complaint.updated_at: now}
        for key, value in (changes or {}).items():
            values[getattr(Complaint, key)] = value
        if transition.target == "verified":
            values[Complaint.verified_at] = now
        elif transition.target == "resolved":
            values[Complaint.resolved_at] = now
            if complaint["first_response_at"] is None:
                values[Complaint.first_response_at] = now
        elif transition.target in ("closed", "rejected", "withdrawn"):
            values[Complaint.closed_at] = now
        elif action == "reopen":
            values[Complaint.resolved_at] = None
            values[Complaint.closed_at] = None
        if action == "hand_over":
            values[Complaint.handed_at] = now  # the caller gives `handed_to` in `changes`
        if transition.action in ("reject", "hand_over") and complaint["first_response_at"] is None:
            values[Complaint.first_response_at] = now
        await Complaint.update(values).where(Complaint.id == complaint_id)
        await StatusHistory.insert(
            StatusHistory(
                complaint=complaint_id,
                old_status=complaint["status"],
                new_status=transition.target,
                changed_by=actor.user_id,
                outside_agency=actor.agency_id,
                note=text.strip() if transition.action != "resolve" else "",
                changed_at=now,
            )
        )
        if transition.action == "resolve":
            await Message.insert(
                Message(
                    complaint=complaint_id,
                    author=actor.user_id,
                    outside_agency=actor.agency_id,
                    body=text.strip(),
                    visibility="public",
                    is_official_response=True,
                    created_at=now,
                )
            )
        await audit.record_on_complaint(
            complaint=complaint,
            actor_id=actor.user_id,
            action=f"complaint.{transition.action}",
            data={
                "from": complaint["status"],
                "to": transition.target,
                **{k: v for k, v in (changes or {}).items()},
                **({"outside_agency": actor.agency_name} if actor.agency_id else {}),
            },
            ip=actor.ip,
        )
        await _tell(complaint, transition, actor, text.strip(), settings)
        unit = (changes or {}).get("unit", complaint["unit"])
        # The reporter's channel too: their open pages (my complaints) follow every one of theirs.
        await publish(
            [
                f"complaint_{complaint_id}",
                f"user_{complaint['reporter']}",
                f"queue_{complaint['unit']}",
                f"queue_{unit}",
                "stats",
            ],
            {"event": "status", "complaint": complaint_id, "status": transition.target},
        )
        complaint.update({"status": transition.target})
        return complaint


async def close_expired(settings: Settings, now: datetime | None = None) -> int:
    """Close resolved complaints CLOSE_AFTER their resolution (the scheduled job); returns
    how many."""
    cutoff = (now or datetime.now(UTC)) - CLOSE_AFTER
    rows = await Complaint.select(Complaint.id).where(
        (Complaint.status == "resolved") & (Complaint.resolved_at < cutoff)
    )
    closed = 0
    for row in rows:
        try:
            await apply(
                row["id"],
                "close",
                Actor.system(),
                text=_(
                    "Closed automatically %(days)d days after resolution.",
                    days=CLOSE_AFTER.days,
                ),
                settings=settings,
            )
            closed += 1
        except Refused:
            continue  # changed meanwhile (e.g. reopened)
    return closed
