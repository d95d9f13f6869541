"""Every (status, action, role) pair of the complaint lifecycle, allowed and refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pengaduan.complaints.lifecycle import TRANSITIONS, Actor, check
from pengaduan.complaints.statuses import STATUSES
from pengaduan.errors import Refused
from pengaduan.web.errors import status_of

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UNIT, OTHER_UNIT, REPORTER, AGENCY, OTHER_AGENCY = 7, 8, 100, 5, 6

ACTORS = {
    "reporter": Actor(user_id=REPORTER, role="citizen"),
    "other citizen": Actor(user_id=101, role="citizen"),
    "officer of the unit": Actor(user_id=200, role="officer", unit_id=UNIT),
    "officer of another unit": Actor(user_id=201, role="officer", unit_id=OTHER_UNIT),
    "admin": Actor(user_id=300, role="admin"),
    "system": Actor.system(),
    "outside agency it was handed to": Actor.outside(AGENCY, "Instansi Luar"),
    "another outside agency": Actor.outside(OTHER_AGENCY, "Instansi Lain"),
}

# (action, actor) -> the statuses from which it is allowed; everything else is refused.
ALLOWED = {
    ("verify", "officer of the unit"): {"pending"},
    ("verify", "admin"): {"pending"},
    ("reject", "officer of the unit"): {"pending", "verified"},
    ("reject", "admin"): {"pending", "verified"},
    ("start", "officer of the unit"): {"verified"},
    ("start", "admin"): {"verified"},
    ("resolve", "officer of the unit"): {"in_progress"},
    ("resolve", "admin"): {"in_progress"},
    ("reopen", "reporter"): {"resolved"},
    ("close", "reporter"): {"resolved"},
    ("close", "system"): {"resolved"},
    ("withdraw", "reporter"): {"pending"},
    ("hand_over", "officer of the unit"): {"verified", "in_progress"},
    ("hand_over", "admin"): {"verified", "in_progress"},
    ("resolve", "outside agency it was handed to"): {"in_progress"},
    ("decline", "outside agency it was handed to"): {"in_progress"},
}


def complaint(status: str, **extra: object) -> dict:
    return {
        "status": status,
        "unit": UNIT,
        "reporter": REPORTER,
        "resolved_at": NOW - timedelta(days=2),
        "handed_to": AGENCY,
        **extra,
    }


CASES = [
    (status, action, actor) for status in STATUSES for action in TRANSITIONS for actor in ACTORS
]


@pytest.mark.parametrize(("status", "action", "actor"), CASES)
def test_every_status_action_and_role(status: str, action: str, actor: str) -> None:
    allowed = status in ALLOWED.get((action, actor), set())
    text = "alasan atau tanggapan resmi"
    if allowed:
        transition = check(action, complaint(status), ACTORS[actor], text=text, now=NOW)
        assert transition.target == TRANSITIONS[action].target
    else:
        with pytest.raises(Refused) as refused:
            check(action, complaint(status), ACTORS[actor], text=text, now=NOW)
        assert status_of(refused.value) in (403, 409)


@pytest.mark.parametrize(
    ("action", "actor"), [("reject", "admin"), ("resolve", "admin"), ("reopen", "reporter")]
)
def test_required_text(action: str, actor: str) -> None:
    status = next(iter(ALLOWED[(action, actor)]))
    with pytest.raises(Refused) as refused:
        check(action, complaint(status), ACTORS[actor], text="   ", now=NOW)
    assert status_of(refused.value) == 422
    assert refused.value.field == TRANSITIONS[action].requires


def test_reopen_only_within_fourteen_days() -> None:
    late = complaint("resolved", resolved_at=NOW - timedelta(days=14, seconds=1))
    with pytest.raises(Refused):
        check("reopen", late, ACTORS["reporter"], text="belum beres", now=NOW)
    in_time = complaint("resolved", resolved_at=NOW - timedelta(days=13))
    assert check("reopen", in_time, ACTORS["reporter"], text="belum beres", now=NOW)


def test_unknown_action() -> None:
    with pytest.raises(Refused):
        check("teleport", complaint("pending"), ACTORS["admin"], now=NOW)
