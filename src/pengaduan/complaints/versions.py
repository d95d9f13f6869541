"""A complaint's version as a handling page showed it, and what changed since (for the refusal
of an action taken on an older one: lifecycle.ChangedMeanwhile).

The version is a fingerprint of what the staff page shows, not a counter: the row's last
change (`updated_at`, which every change of the row sets), how many messages it has (a message
or internal note leaves the row alone: bumping `updated_at` for a note would show the citizen
a "last change" they cannot see), and the status, officer and unit it had, so that a refusal
can name what moved. Every writer of those holds the row lock (FOR UPDATE), so a version read
under that lock is the complaint as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db
from pengaduan.accounts.tables import User
from pengaduan.agency.tables import Unit
from pengaduan.complaints import statuses
from pengaduan.i18n import _, ngettext

# How many messages (public and internal) a complaint has, in a query over `complaints c`.
MESSAGE_COUNT_SQL = "(SELECT count(*) FROM messages m WHERE m.complaint = c.id)"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Version:
    changed: int  # updated_at in microseconds since 1970 (0: never set)
    messages: int
    status: str
    officer: int | None
    unit: int

    def __str__(self) -> str:
        return f"{self.changed}.{self.messages}.{self.status}.{self.officer or 0}.{self.unit}"

    @classmethod
    def parse(cls, text: str | None) -> Version | None:
        """The version a form carried; None when it is missing or not one of ours."""
        parts = (text or "").strip().split(".")
        if len(parts) != 5 or not all(p.isdigit() and len(p) < 20 for p in parts[:2] + parts[3:]):
            return None
        changed, messages, status, officer, unit = parts
        return cls(int(changed), int(messages), status, int(officer) or None, int(unit))


def version_of(row: Mapping[str, Any]) -> Version:
    """The version of a complaint row read with `MESSAGE_COUNT_SQL AS message_count`; staff
    reads name officer and unit `officer_id`/`unit_id`, locking reads `officer`/`unit`."""
    updated_at = row["updated_at"]
    return Version(
        changed=0 if updated_at is None else (updated_at - _EPOCH) // _MICROSECOND,
        messages=row["message_count"],
        status=row["status"],
        officer=row["officer_id"] if "officer_id" in row else row["officer"],
        unit=row["unit_id"] if "unit_id" in row else row["unit"],
    )


async def changes_since(complaint: Mapping[str, Any], seen: str | None) -> list[str] | None:
    """What is different in the locked row `complaint` (id, updated_at, status, officer, unit)
    from the version `seen` that a form carried, one sentence each; None when nothing is (or
    when the form carried no version: another client, an older page)."""
    if seen is None:
        return None
    message_count = await db.fetchval(
        f"SELECT {MESSAGE_COUNT_SQL} FROM complaints c WHERE c.id = $1", complaint["id"]
    )
    now = version_of({**complaint, "message_count": message_count})
    if str(now) == seen.strip():
        return None
    return await _changes(complaint, Version.parse(seen), now)


async def _changes(complaint: Mapping[str, Any], seen: Version | None, now: Version) -> list[str]:
    if seen is None:
        return [_("The page was older than the complaint.")]
    changes: list[str] = []
    if seen.status != now.status:
        changes.append(
            _(
                "Status: %(old)s → %(new)s.",
                old=statuses.label(seen.status),
                new=statuses.label(now.status),
            )
        )
    if seen.officer != now.officer:
        names = await _officer_names([seen.officer, now.officer])
        changes.append(
            _(
                "Officer: %(old)s → %(new)s.",
                old=names.get(seen.officer) or _("Unassigned"),
                new=names.get(now.officer) or _("Unassigned"),
            )
        )
    if seen.unit != now.unit:
        names = await _unit_names([seen.unit, now.unit])
        changes.append(
            _("Unit: %(old)s → %(new)s.", old=names.get(seen.unit, "—"), new=names.get(now.unit))
        )
    if now.messages > seen.messages:
        changes.extend(await _new_messages(complaint, now.messages - seen.messages))
    if not changes:
        # The row changed otherwise: the reporter's edit, a new category or priority.
        changes.append(_("Other details of the complaint changed."))
    return changes


async def _officer_names(ids: list[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    rows = await User.select(User.id, User.full_name).where(User.id.is_in(wanted or [-1]))
    return {row["id"]: row["full_name"] for row in rows}


async def _unit_names(ids: list[int]) -> dict[int | None, str]:
    rows = await Unit.select(Unit.id, Unit.name).where(Unit.id.is_in(ids))
    return {row["id"]: row["name"] for row in rows}


async def _new_messages(complaint: Mapping[str, Any], count: int) -> list[str]:
    """The newest `count` messages, said by kind. The reporter is never named (anonymous
    complaints); staff are."""
    rows = await db.fetch(
        "SELECT coalesce(m.author = c.reporter, false) AS by_reporter, m.visibility,"
        " coalesce(u.full_name, x.name) AS full_name"
        " FROM messages m JOIN complaints c ON c.id = m.complaint"
        " LEFT JOIN users u ON u.id = m.author"
        " LEFT JOIN outside_agencies x ON x.id = m.outside_agency"
        " WHERE m.complaint = $1 ORDER BY m.id DESC LIMIT $2",
        complaint["id"],
        count,
    )
    from_reporter = sum(1 for r in rows if r["by_reporter"])
    replies = sorted(
        {r["full_name"] for r in rows if not r["by_reporter"] and r["visibility"] == "public"}
    )
    notes = sorted({r["full_name"] for r in rows if r["visibility"] == "internal"})
    said = []
    if from_reporter:
        said.append(
            ngettext(
                "The reporter wrote a new message.",
                "The reporter wrote %(num)d new messages.",
                from_reporter,
                num=from_reporter,
            )
        )
    if replies:
        said.append(_("New reply to the reporter by %(names)s.", names=", ".join(replies)))
    if notes:
        said.append(_("New internal note by %(names)s.", names=", ".join(notes)))
    return said
