"""Who hears what: the channels a viewer's stream follows and what each event means to them.

Events carry ids only (`pengaduan.events`). The stream never sends data, only which kind of
thing changed (a complaint, the queue, the notifications, the statistics) and its id; the
page fetches what it shows through the ordinary, access-checked routes. Who may see what is
decided here, before a channel is followed and again per event:

- a citizen: their own user channel (their complaints' status changes and notifications) and
  the channel of one complaint of their own;
- an officer: their user channel, their unit's queue, and one complaint of their unit;
- an admin: their user channel, every unit's queue, the statistics, and any one complaint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from pengaduan import db

# What a complaint's channel says that the reporter may hear of (internal notes never go
# there; this list keeps it so should one be added).
REPORTER_EVENTS = frozenset(
    {"status", "message", "edited", "forwarded", "assigned", "rated", "submitted"}
)
# Complaint channel events after which a staff viewer's right to see it is checked again.
MOVING_EVENTS = frozenset({"forwarded"})


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: str
    unit_id: int | None
    session_hash: str

    @property
    def is_staff(self) -> bool:
        return self.role in ("officer", "admin")


async def may_follow(viewer: Viewer, complaint_id: int) -> bool:
    """Whether the viewer may see this complaint (its page; so its events)."""
    if viewer.role == "citizen":
        sql = "SELECT 1 FROM complaints WHERE id = $1 AND reporter = $2"
        args: tuple[Any, ...] = (complaint_id, viewer.user_id)
    elif viewer.role == "officer":
        sql = "SELECT 1 FROM complaints WHERE id = $1 AND unit = $2"
        args = (complaint_id, viewer.unit_id if viewer.unit_id is not None else -1)
    elif viewer.role == "admin":
        sql = "SELECT 1 FROM complaints WHERE id = $1"
        args = (complaint_id,)
    else:
        return False
    return bool(await db.fetch(sql, *args))


async def channels_for(viewer: Viewer, follow: int | None = None) -> list[str]:
    """The channels of the viewer's stream (`follow`: a complaint already checked with
    `may_follow`)."""
    channels = [f"user_{viewer.user_id}"]
    if viewer.role == "officer" and viewer.unit_id is not None:
        channels.append(f"queue_{viewer.unit_id}")
    elif viewer.role == "admin":
        units = await db.fetch("SELECT id FROM units ORDER BY id")
        channels.extend(f"queue_{row['id']}" for row in units)
        channels.append("stats")
    if follow is not None:
        channels.append(f"complaint_{follow}")
    return channels


class Message(NamedTuple):
    kind: str
    data: dict[str, Any]
    # Check again that the viewer may still see the complaint (it moved to another unit).
    recheck: bool = False


@lru_cache(maxsize=256)
def _parsed(payload: bytes) -> dict[str, Any] | None:
    """The event, parsed once for all the streams of a worker that receive it (read only)."""
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _complaint_id(event: dict[str, Any]) -> int | None:
    value = event.get("complaint")
    return value if isinstance(value, int) else None


def message_for(viewer: Viewer, channel: str, payload: bytes) -> Message | None:
    """What the stream tells this viewer about an event on `channel` (kind, data), or None
    when it is nothing for them."""
    event = _parsed(payload)
    if event is None:
        return None
    kind = event.get("event")
    complaint = _complaint_id(event)
    if channel == f"user_{viewer.user_id}":
        if kind == "notification":
            return Message("notification", {})
        if complaint is not None:
            # Only a complaint's reporter hears of it on their user channel.
            return Message("complaint", {"id": complaint})
        return None
    if channel.startswith("queue_"):
        if not viewer.is_staff:
            return None
        if viewer.role == "officer" and channel != f"queue_{viewer.unit_id}":
            return None
        return Message("queue", {"id": complaint} if complaint is not None else {})
    if channel == "stats":
        return Message("stats", {}) if viewer.role == "admin" else None
    if channel.startswith("complaint_") and complaint is not None:
        if channel != f"complaint_{complaint}":
            return None
        if viewer.role == "citizen" and kind not in REPORTER_EVENTS:
            return None
        return Message("complaint", {"id": complaint}, viewer.is_staff and kind in MOVING_EVENTS)
    return None
