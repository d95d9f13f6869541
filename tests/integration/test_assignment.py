"""Admins (re)assign complaints to officers, one at a time or in bulk from the all-units list:
all or nothing, only to officers of the complaint's unit, audited, notified and published."""

from __future__ import annotations

import asyncio
import json
import re

import asyncpg
import httpx
import pytest

from pengaduan.errors import INVALID, Refused
from pengaduan.handling import assignment
from pengaduan.settings import Settings
from tests.factories import make_category, make_complaint, make_unit, make_user
from tests.support.databases import fetch_rows
from tests.support.waiting import wait_until_async


@pytest.fixture
async def world(people: dict[str, int], db_dsn: str) -> dict[str, int]:
    """Two units with a category each; a second officer (reading English) in the first unit,
    one officer in the second; open complaints in both."""
    other_unit = await make_unit("Dinas Lain")
    roads = await make_category(people["unit"], "Jalan Rusak")
    trash = await make_category(other_unit, "Sampah")
    second = await make_user("officer", "petugas2", unit=people["unit"])
    await fetch_rows(db_dsn, "UPDATE users SET language = 'en' WHERE id = $1", second)
    stranger = await make_user("officer", "petugas.lain", unit=other_unit)
    ids = {**people, "other_unit": other_unit, "second": second, "stranger": stranger}
    for n in range(3):
        ids[f"a{n}"] = await make_complaint(
            reporter=people["citizen"], category=roads, unit=people["unit"], title=f"Jalan {n}"
        )
    ids["b0"] = await make_complaint(
        reporter=people["citizen"], category=trash, unit=other_unit, title="Sampah menumpuk"
    )
    return ids


async def _english_admin(as_role, db_dsn: str) -> httpx.AsyncClient:
    await fetch_rows(db_dsn, "UPDATE users SET language = 'en' WHERE username = 'admin'")
    return await as_role("admin")


async def _number(dsn: str, complaint_id: int) -> str:
    (row,) = await fetch_rows(dsn, "SELECT number FROM complaints WHERE id = $1", complaint_id)
    return row["number"]


async def test_admin_assigns_then_reassigns_one_complaint(
    as_role, world: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    complaint = world["a0"]
    page = await admin.get(f"/admin/pengaduan/{complaint}/tugaskan")
    assert page.status_code == 200
    assert "Petugas2" in page.text and "Petugas.Lain" not in page.text  # officers of its unit
    assigned = await admin.post(
        f"/admin/pengaduan/{complaint}/tugaskan", data={"officer": str(world["officer"])}
    )
    assert assigned.status_code == 303 and assigned.headers["location"] == "/admin/pengaduan"
    moved = await admin.post(
        f"/admin/pengaduan/{complaint}/tugaskan", data={"officer": str(world["second"])}
    )
    assert moved.status_code == 303
    (row,) = await fetch_rows(
        db_dsn, "SELECT officer, assigned_at, status FROM complaints WHERE id = $1", complaint
    )
    assert row["officer"] == world["second"] and row["assigned_at"] is not None
    assert row["status"] == "pending"  # assignment is no status change

    audit = await fetch_rows(
        db_dsn,
        "SELECT actor, target_id, data, ip FROM audit_log WHERE action = 'complaint.assign'"
        " ORDER BY id",
    )
    assert [json.loads(a["data"]) for a in audit] == [
        {"from": None, "to": world["officer"], "batch": 1},
        {"from": world["officer"], "to": world["second"], "batch": 1},
    ]
    assert {(a["actor"], a["target_id"], a["ip"]) for a in audit} == {
        (world["admin"], str(complaint), "127.0.0.1")
    }
    notes = await fetch_rows(
        db_dsn, 'SELECT "user", kind, title, complaint FROM notifications ORDER BY id'
    )
    assert [(n["user"], n["kind"], n["complaint"]) for n in notes] == [
        (world["officer"], "assigned", complaint),
        (world["second"], "assigned", complaint),
    ]
    number = await _number(db_dsn, complaint)
    assert notes[1]["title"] == f"Complaint {number} is assigned to you"  # in their language


async def test_single_assignment_refuses_officers_of_another_unit_and_closed_complaints(
    as_role, world: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    complaint = world["a0"]
    wrong = await admin.post(
        f"/admin/pengaduan/{complaint}/tugaskan", data={"officer": str(world["stranger"])}
    )
    assert wrong.status_code == 422 and 'id="e-officer"' in wrong.text
    assert "Petugas.Lain is not an officer of the unit of complaint" in wrong.text
    empty = await admin.post(f"/admin/pengaduan/{complaint}/tugaskan", data={"officer": ""})
    assert empty.status_code == 422 and "Choose an officer." in empty.text
    admin_as_officer = await admin.post(
        f"/admin/pengaduan/{complaint}/tugaskan", data={"officer": str(world["admin"])}
    )
    assert admin_as_officer.status_code == 422
    await fetch_rows(db_dsn, "UPDATE complaints SET status = 'closed' WHERE id = $1", complaint)
    closed = await admin.post(
        f"/admin/pengaduan/{complaint}/tugaskan", data={"officer": str(world["officer"])}
    )
    assert closed.status_code == 409 and "is no longer open" in closed.text
    missing = await admin.post("/admin/pengaduan/999/tugaskan", data={"officer": "1"})
    assert missing.status_code == 404
    (row,) = await fetch_rows(db_dsn, "SELECT officer FROM complaints WHERE id = $1", complaint)
    assert row["officer"] is None
    assert not await fetch_rows(db_dsn, "SELECT 1 FROM audit_log WHERE action = 'complaint.assign'")


async def test_the_all_units_list_filters_like_the_queue(
    as_role, world: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    numbers = {k: await _number(db_dsn, world[k]) for k in ("a0", "a1", "a2", "b0")}
    page = await admin.get("/admin/pengaduan")
    assert page.status_code == 200 and "4 complaints" in page.text
    assert all(n in page.text for n in numbers.values())
    other = await admin.get(f"/admin/pengaduan?unit={world['other_unit']}")
    assert numbers["b0"] in other.text and numbers["a0"] not in other.text
    found = await admin.get("/admin/pengaduan?q=" + numbers["a1"])
    assert "1 complaint" in found.text and numbers["a1"] in found.text
    # The filters ask htmx for the results only.
    fragment = await admin.get(
        f"/admin/pengaduan?unit={world['other_unit']}", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and "1 complaint" in fragment.text
    assert "HX-Request" in fragment.headers["vary"]
    assert re.search(f'name="back" value="[^"]*unit={world["other_unit"]}"', fragment.text)


async def test_bulk_assign_assigns_all_ticked_complaints_and_returns_to_the_same_list(
    as_role, world: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    back = f"unit={world['unit']}"
    response = await admin.post(
        "/admin/pengaduan/tugaskan",
        data={
            "complaint": [str(world["a0"]), str(world["a1"])],
            "officer": str(world["officer"]),
            "back": back,
        },
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/admin/pengaduan?") and location.endswith(back)
    rows = await fetch_rows(db_dsn, "SELECT id, officer FROM complaints ORDER BY id")
    assert {r["id"]: r["officer"] for r in rows} == {
        world["a0"]: world["officer"],
        world["a1"]: world["officer"],
        world["a2"]: None,
        world["b0"]: None,
    }
    audit = await fetch_rows(
        db_dsn, "SELECT target_id FROM audit_log WHERE action = 'complaint.assign' ORDER BY id"
    )
    assert [a["target_id"] for a in audit] == [str(world["a0"]), str(world["a1"])]
    notes = await fetch_rows(
        db_dsn, "SELECT \"user\", complaint FROM notifications WHERE kind = 'assigned'"
    )
    assert {(n["user"], n["complaint"]) for n in notes} == {
        (world["officer"], world["a0"]),
        (world["officer"], world["a1"]),
    }
    listing = await admin.get(location)
    assert "2 complaints assigned." in listing.text


async def test_bulk_assign_refuses_rows_of_another_unit_and_keeps_the_selection(
    as_role, world: dict[str, int], db_dsn: str
) -> None:
    admin = await _english_admin(as_role, db_dsn)
    response = await admin.post(
        "/admin/pengaduan/tugaskan",
        data={
            "complaint": [str(world["a2"]), str(world["b0"])],
            "officer": str(world["officer"]),
            "back": "",
        },
    )
    assert response.status_code == 422
    b0 = await _number(db_dsn, world["b0"])
    assert f"Petugas is not an officer of the unit of complaint {b0}." in response.text
    assert "Nothing was assigned." in response.text
    for key in ("a2", "b0"):
        assert f'value="{world[key]}" id="pick-{world[key]}"' in response.text
        assert f'id="pick-{world[key]}" aria-label' in response.text
    assert f'id="pick-{world["a0"]}" aria-label="Select' in response.text
    assert response.text.count(" checked>") == 2
    assert f'<option value="{world["officer"]}" selected>' in response.text
    assert not await fetch_rows(db_dsn, "SELECT 1 FROM complaints WHERE officer IS NOT NULL")
    assert not await fetch_rows(db_dsn, "SELECT 1 FROM notifications")

    nothing = await admin.post(
        "/admin/pengaduan/tugaskan", data={"officer": str(world["officer"]), "back": ""}
    )
    assert nothing.status_code == 422 and "Select at least one complaint." in nothing.text
    no_officer = await admin.post(
        "/admin/pengaduan/tugaskan", data={"complaint": str(world["a0"]), "back": ""}
    )
    assert no_officer.status_code == 422 and "Choose an officer." in no_officer.text


async def test_assignment_events_reach_the_queue_and_complaint_channels(
    app, world: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    received: list[tuple[str, dict]] = []
    arrived = asyncio.Event()
    listener = await asyncpg.connect(db_dsn)

    def on_event(_conn: object, _pid: int, channel: str, payload: str) -> None:
        received.append((channel, json.loads(payload)))
        if len(received) >= 3:
            arrived.set()

    channels = [f"queue_{world['unit']}", f"complaint_{world['a0']}", f"user_{world['officer']}"]
    try:
        for channel in channels:
            await listener.add_listener(channel, on_event)
        count = await assignment.assign(
            [world["a0"]],
            world["officer"],
            admin_id=world["admin"],
            ip="10.0.0.1",
            settings=settings,
        )
        assert count == 1
        await asyncio.wait_for(arrived.wait(), timeout=5)
    finally:
        await listener.close()
    events = dict(received)
    assert events[f"queue_{world['unit']}"] == {
        "event": "assigned",
        "complaint": world["a0"],
        "officer": world["officer"],
    }
    assert events[f"complaint_{world['a0']}"]["event"] == "assigned"
    assert events[f"user_{world['officer']}"] == {"event": "notification"}


async def test_assigning_again_to_the_same_officer_changes_nothing(
    app, world: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    first = await assignment.assign(
        [world["a0"], world["a1"]],
        world["officer"],
        admin_id=world["admin"],
        ip="",
        settings=settings,
    )
    again = await assignment.assign(
        [world["a0"], world["a1"]],
        world["officer"],
        admin_id=world["admin"],
        ip="",
        settings=settings,
    )
    assert (first, again) == (2, 0)
    assert len(await fetch_rows(db_dsn, "SELECT 1 FROM notifications")) == 2


async def test_an_inactive_officer_cannot_be_given_work(
    app, world: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    await fetch_rows(db_dsn, "UPDATE users SET is_active = false WHERE id = $1", world["second"])
    with pytest.raises(Refused) as refused:
        await assignment.assign(
            [world["a0"]], world["second"], admin_id=world["admin"], ip="", settings=settings
        )
    assert refused.value.field == "officer"


async def test_a_complaint_forwarded_while_the_assignment_waited_is_refused_by_name(
    app, world: dict[str, int], db_dsn: str, settings: Settings
) -> None:
    """The assignment waits on the row lock of a complaint being forwarded; after that commits
    it sees the new unit (not 'does not exist', which a join in the locking statement gave)."""
    forwarding = await asyncpg.connect(db_dsn)
    try:
        async with forwarding.transaction():
            await forwarding.execute(
                "UPDATE complaints SET unit = $1 WHERE id = $2", world["other_unit"], world["a0"]
            )
            waiting = asyncio.create_task(
                assignment.assign(
                    [world["a0"]],
                    world["second"],
                    admin_id=world["admin"],
                    ip="",
                    settings=settings,
                )
            )
            blocked = await wait_until_async(
                lambda: forwarding.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"),
                "the assignment waiting for the row lock",
            )
            assert blocked, "the assignment never waited for the row lock"
        with pytest.raises(Refused) as refused:
            await waiting
    finally:
        await forwarding.close()
    assert refused.value.reason == INVALID, refused.value.message
    assert await _number(db_dsn, world["a0"]) in refused.value.message
    (row,) = await fetch_rows(db_dsn, "SELECT officer FROM complaints WHERE id = $1", world["a0"])
    assert row["officer"] is None


async def test_the_count_of_a_wide_list_stops_at_its_cap(
    as_role, world: dict[str, int], db_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting every match of the all-units view cost more than the page at a million
    complaints: the count stops one past the cap and says "more than", the pager goes on
    while there is a next page; the officer's queue counts the same way."""
    from pengaduan.handling import queue

    monkeypatch.setattr(queue, "COUNT_CAP", 2)
    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    admin = await _english_admin(as_role, db_dsn)
    first = await admin.get("/admin/pengaduan")
    assert first.status_code == 200
    assert "more than 2 complaints" in first.text and "4 complaints" not in first.text
    assert "Page 1<" in first.text and "Page 1 of" not in first.text
    assert "page=2" in first.text  # a next page
    second = await admin.get("/admin/pengaduan?page=2")
    assert "4 complaints" in second.text and "Page 2 of 2" in second.text
    numbers = [await _number(db_dsn, world[k]) for k in ("a0", "a1", "a2", "b0")]
    assert all(n in first.text + second.text for n in numbers)
    one_unit = await admin.get(f"/admin/pengaduan?unit={world['other_unit']}")
    assert "1 complaint" in one_unit.text and "more than" not in one_unit.text
    officer = await as_role("officer")
    queue_page = await officer.get("/petugas/antrean")
    assert queue_page.status_code == 200 and "lebih dari 2 pengaduan" in queue_page.text


async def test_an_officers_load_is_counted_up_to_its_cap(
    as_role, world: dict[str, int], db_dsn: str
) -> None:
    """The admin list names every officer with their open complaints on each request: a heavy
    load is "more than 99", not an exact count that grows with the table."""
    from pengaduan.handling.assignment import WORKLOAD_CAP

    for n in range(WORKLOAD_CAP + 1):
        await make_complaint(
            reporter=world["citizen"],
            category=await _category_of(db_dsn, world["a0"]),
            unit=world["unit"],
            officer=world["second"],
            title=f"Beban {n}",
        )
    admin = await _english_admin(as_role, db_dsn)
    page = await admin.get("/admin/pengaduan")
    assert page.status_code == 200
    assert "more than 99 open" in page.text and f"{WORKLOAD_CAP + 1} open" not in page.text


async def _category_of(dsn: str, complaint_id: int) -> int:
    (row,) = await fetch_rows(dsn, "SELECT category FROM complaints WHERE id = $1", complaint_id)
    return row["category"]
