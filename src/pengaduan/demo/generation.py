"""Generated complaints: one complaint row and its status history at a time, drawn from the demo
data (data.py) with a seeded random generator, each complaint taken to its status along the
lifecycle's own transitions (complaints.lifecycle.TRANSITIONS). Writes nothing (loading.py does).
"""

from __future__ import annotations

import itertools
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pengaduan.complaints import statuses
from pengaduan.complaints.lifecycle import REPORTER, STAFF, TRANSITIONS, Transition
from pengaduan.demo import texts
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
if {t.action for path in PATHS.values() for t in path} - set(STEP_DELAYS):
    raise RuntimeError("demo.generation.STEP_DELAYS must time every action on the paths")

# The timestamp column a status sets when a complaint enters it (as the lifecycle writes it).
STAMPS = {"verified": "verified_at", "resolved": "resolved_at"}


def _stamp(status: str) -> str | None:
    if status in STAMPS:
        return STAMPS[status]
    return None if statuses.is_open(status) else "closed_at"


class Step(NamedTuple):
    """One transition on the way to a status, with what generating it needs at hand."""

    source: str
    target: str
    delay: Delay
    stamp: str | None  # the timestamp column it sets
    by_reporter: bool  # the reporter's own action (withdrawing); else the handling side's
    needs_reason: bool


class Plan(NamedTuple):
    path: tuple[Transition, ...]
    steps: tuple[Step, ...]
    handled: bool  # the agency acted on it: an officer of the unit has it


def _plan(path: tuple[Transition, ...]) -> Plan:
    sources = (FIRST_STATUS, *(t.target for t in path))
    steps = tuple(
        Step(
            source,
            t.target,
            STEP_DELAYS[t.action],
            _stamp(t.target),
            t.by == {REPORTER},
            t.requires == "reason",
        )
        for source, t in zip(sources, path, strict=False)
    )
    return Plan(path, steps, any(STAFF in t.by for t in path))


PLANS = {status: _plan(path) for status, path in PATHS.items()}


@dataclass
class Base:
    """What generated complaints refer to."""

    categories: list[dict[str, Any]]
    citizens: list[int]
    officers_by_unit: dict[int, list[int]]
    admin_id: int


@dataclass(slots=True)
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


class Weighted:
    """Draws from a table of weights; the same draw as `rng.choices(keys, weights)`, with the
    running totals added up once instead of for every one of a million complaints."""

    def __init__(self, weights: dict[str, int]) -> None:
        self.keys = list(weights)
        self.totals = list(itertools.accumulate(weights.values()))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.keys, cum_weights=self.totals)[0]


STATUS_DRAW = Weighted(STATUS_WEIGHTS)
PRIORITY_DRAW = Weighted(PRIORITY_WEIGHTS)
URGENCY_DRAW = Weighted({"low": 2, "normal": 6, "high": 2})


def generate(
    rng: random.Random,
    base: Base,
    numbers: dict[int, int],
    now: datetime,
    days_back: int,
    *,
    composed: bool = False,
) -> Generated:
    """One complaint submitted within `days_back` days before `now`, numbered after
    `numbers` (the last number used per year, counted on). Its text is one of the category's
    stories, or with `composed` one made up for it (demo.texts: varied, as many complaints
    are, for the bulk sets the category suggestion is measured on)."""
    category = rng.choice(base.categories)
    title, body = rng.choice(STORIES.get(category["name"], STORIES["Jalan Rusak"]))
    place = rng.choice(PLACES)
    if composed:
        title, body = texts.compose(rng, category["name"], place)
    submitted = now - timedelta(seconds=rng.randint(3600, days_back * 86400))
    status = STATUS_DRAW.draw(rng)
    # Recent complaints are rarely already closed.
    if (now - submitted).days < 10 and status == "closed":
        status = "in_progress"
    plan = PLANS[status]
    times, stamped = [], {}
    taken = timedelta(0)
    for step in plan.steps:
        taken += step.delay(rng, category["deadline_days"])
        times.append(submitted + taken)
        if step.stamp:
            stamped[step.stamp] = submitted + taken
    year = submitted.year
    numbers[year] = numbers.get(year, 0) + 1
    officers = base.officers_by_unit.get(category["unit"], [])
    officer = rng.choice(officers) if officers and plan.handled else None
    lat = -6.9 + rng.uniform(-0.05, 0.05) if rng.random() < 0.6 else None
    lon = 107.6 + rng.uniform(-0.05, 0.05) if lat is not None else None
    reporter = rng.choice(base.citizens)
    row = (
        f"ADU-{year}-{numbers[year]:06d}",
        tracking_code(),
        reporter,
        category["id"],
        category["unit"],
        officer,
        title,
        body.format(place=place) if not composed else body,
        place,
        lat,
        lon,
        status,
        PRIORITY_DRAW.draw(rng),
        URGENCY_DRAW.draw(rng),
        rng.random() < 0.1,
        rng.random() > 0.15,
        submitted,
        stamped.get("verified_at"),
        stamped.get("resolved_at"),
        stamped.get("closed_at"),
        submitted + timedelta(days=category["deadline_days"]),
        submitted + taken,
    )
    actor = officer or base.admin_id
    history = [(None, FIRST_STATUS, reporter, "", submitted)]
    for step, at in zip(plan.steps, times, strict=True):
        note = rng.choice(REJECT_REASONS) if step.needs_reason else ""
        changed_by = reporter if step.by_reporter else actor
        history.append((step.source, step.target, changed_by, note, at))
    return Generated(row, history, plan.path)
