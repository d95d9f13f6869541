"""Generated complaints: one complaint row and its status history at a time, drawn from the demo
data (data.py) with a seeded random generator, each complaint taken to its status along the
lifecycle's own transitions (complaints.lifecycle.TRANSITIONS). Writes nothing (loading.py does).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pengaduan.complaints import statuses
from pengaduan.complaints.lifecycle import REPORTER, STAFF, TRANSITIONS, Transition
from pengaduan.demo.data import (
    PLACES,
    PRIORITY_WEIGHTS,
    REJECT_REASONS,
    STATUS_WEIGHTS,
    STORIES,
)

# The columns of a generated complaint row, in the order of its values (COPY writes them so).
COMPLAINT_COLUMNS = [
    "number",
    "tracking_code",
    "reporter",
    "category",
    "unit",
    "officer",
    "title",
    "body",
    "location_text",
    "latitude",
    "longitude",
    "status",
    "priority",
    "citizen_urgency",
    "is_anonymous",
    "is_public",
    "submitted_at",
    "verified_at",
    "resolved_at",
    "closed_at",
    "due_at",
    "updated_at",
]
COLUMN = {name: position for position, name in enumerate(COMPLAINT_COLUMNS)}
HISTORY_COLUMNS = ["complaint", "old_status", "new_status", "changed_by", "note", "changed_at"]

if set(STATUS_WEIGHTS) != set(statuses.STATUSES):
    raise RuntimeError("demo.data.STATUS_WEIGHTS must weigh every status, and only those")

# Where a complaint starts (a submission writes it, with no transition).
FIRST_STATUS = statuses.STATUSES[0]

# How long after the step before it each action is taken: the resolution within the
# category's deadline give or take three days, closing within two weeks of it. The draws are
# in this order for every complaint (the seeded demo set depends on it).
Delay = Callable[[random.Random, int], timedelta]
STEP_DELAYS: dict[str, Delay] = {
    "verify": lambda rng, days: timedelta(hours=rng.randint(1, 48)),
    "reject": lambda rng, days: timedelta(hours=rng.randint(2, 72)),
    "withdraw": lambda rng, days: timedelta(hours=rng.randint(1, 24)),
    "start": lambda rng, days: timedelta(hours=rng.randint(2, 96)),
    "resolve": lambda rng, days: timedelta(hours=rng.randint(12, 24 * days + 72)),
    "close": lambda rng, days: timedelta(days=rng.randint(1, 14)),
}


def _shortest_paths() -> dict[str, tuple[Transition, ...]]:
    """For each status, the fewest transitions that lead to it from the first one (breadth
    first over the lifecycle's table: a complaint reaches `closed` by verify, start, resolve,
    close, never through a reopening)."""
    paths: dict[str, tuple[Transition, ...]] = {FIRST_STATUS: ()}
    frontier = [FIRST_STATUS]
    while frontier:
        following = []
        for status in frontier:
            for transition in TRANSITIONS.values():
                if status in transition.sources and transition.target not in paths:
                    paths[transition.target] = (*paths[status], transition)
                    following.append(transition.target)
        frontier = following
    return paths


PATHS = _shortest_paths()
if set(PATHS) != set(statuses.STATUSES):
    raise RuntimeError(f"the lifecycle reaches no status {set(statuses.STATUSES) - set(PATHS)}")

# The timestamp column a status sets when a complaint enters it (as the lifecycle writes it).
STAMPS = {"verified": "verified_at", "resolved": "resolved_at"}


def _stamp(status: str) -> str | None:
    if status in STAMPS:
        return STAMPS[status]
    return None if statuses.is_open(status) else "closed_at"


@dataclass
class Base:
    """What generated complaints refer to."""

    categories: list[dict[str, Any]]
    citizens: list[int]
    officers_by_unit: dict[int, list[int]]
    admin_id: int


@dataclass
class Generated:
    """One complaint row (without id, in COMPLAINT_COLUMNS order), its history rows (without
    the complaint's id, in HISTORY_COLUMNS order after it) and the transitions it went through."""

    row: tuple
    history: list[tuple]
    path: tuple[Transition, ...]

    def __getitem__(self, column: str) -> Any:
        return self.row[COLUMN[column]]

    @property
    def status(self) -> str:
        return self["status"]

    def went_through(self, action: str) -> bool:
        return any(t.action == action for t in self.path)


def tracking_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(8))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _steps(
    rng: random.Random, status: str, deadline_days: int
) -> tuple[tuple[Transition, ...], list[timedelta], dict[str, timedelta]]:
    """The transitions that lead to `status`, when each was taken (after submission) and
    the timestamp columns they set."""
    path = PATHS[status]
    offsets, stamps = [], {}
    at = timedelta(0)
    for transition in path:
        at += STEP_DELAYS[transition.action](rng, deadline_days)
        offsets.append(at)
        column = _stamp(transition.target)
        if column:
            stamps[column] = at
    return path, offsets, stamps


def generate(
    rng: random.Random, base: Base, numbers: dict[int, int], now: datetime, days_back: int
) -> Generated:
    """One complaint submitted within `days_back` days before `now`, numbered after
    `numbers` (the last number used per year, counted on)."""
    category = rng.choice(base.categories)
    title, body = rng.choice(STORIES.get(category["name"], STORIES["Jalan Rusak"]))
    place = rng.choice(PLACES)
    submitted = now - timedelta(seconds=rng.randint(3600, days_back * 86400))
    status = _weighted(rng, STATUS_WEIGHTS)
    # Recent complaints are rarely already closed.
    if (now - submitted).days < 10 and status == "closed":
        status = "in_progress"
    path, offsets, stamps = _steps(rng, status, category["deadline_days"])
    year = submitted.year
    numbers[year] = numbers.get(year, 0) + 1
    officers = base.officers_by_unit.get(category["unit"], [])
    # An officer of the unit has it once the agency has acted on it.
    handled = any(STAFF in t.by for t in path)
    officer = rng.choice(officers) if officers and handled else None
    lat = -6.9 + rng.uniform(-0.05, 0.05) if rng.random() < 0.6 else None
    lon = 107.6 + rng.uniform(-0.05, 0.05) if lat is not None else None
    reporter = rng.choice(base.citizens)

    def at(column: str) -> datetime | None:
        return submitted + stamps[column] if column in stamps else None

    row = (
        f"ADU-{year}-{numbers[year]:06d}",
        tracking_code(),
        reporter,
        category["id"],
        category["unit"],
        officer,
        title,
        body.format(place=place),
        place,
        lat,
        lon,
        status,
        _weighted(rng, PRIORITY_WEIGHTS),
        rng.choices(["low", "normal", "high"], weights=[2, 6, 2])[0],
        rng.random() < 0.1,
        rng.random() > 0.15,
        submitted,
        at("verified_at"),
        at("resolved_at"),
        at("closed_at"),
        submitted + timedelta(days=category["deadline_days"]),
        submitted + (offsets[-1] if offsets else timedelta(0)),
    )
    actor = officer or base.admin_id
    history = [(None, FIRST_STATUS, reporter, "", submitted)]
    previous = FIRST_STATUS
    for transition, offset in zip(path, offsets, strict=True):
        note = rng.choice(REJECT_REASONS) if transition.requires == "reason" else ""
        # The reporter's own actions (withdrawing) are theirs; the rest the handling side's.
        changed_by = reporter if transition.by == {REPORTER} else actor
        history.append((previous, transition.target, changed_by, note, submitted + offset))
        previous = transition.target
    return Generated(row, history, path)
