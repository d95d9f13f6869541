"""seed-demo: realistic data in every status, written once, and the bulk mode."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from pengaduan import demo
from pengaduan.complaints.statuses import STATUSES
from pengaduan.demo.data import DEMO_ACCOUNTS
from pengaduan.settings import Settings
from tests.conftest import log_in


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_demo_has_every_status_with_history_and_messages(
    db_dsn: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await demo.seed(settings, db_dsn)
    out = capsys.readouterr().out
    assert "pengaduan-admin-demo" in out and "petugas.pupr" in out and "warga" in out

    statuses = {r["status"] for r in await _fetch(db_dsn, "SELECT DISTINCT status FROM complaints")}
    assert statuses == set(STATUSES)
    # Every complaint's history starts at pending and ends at its current status.
    bad = await _fetch(
        db_dsn,
        """
        SELECT c.number FROM complaints c
        WHERE NOT EXISTS (SELECT 1 FROM status_history h
                          WHERE h.complaint = c.id AND h.new_status = 'pending'
                            AND h.old_status IS NULL)
           OR c.status <> (SELECT h.new_status FROM status_history h WHERE h.complaint = c.id
                           ORDER BY h.changed_at DESC, h.id DESC LIMIT 1)
        """,
    )
    assert bad == []
    kinds = await _fetch(
        db_dsn, "SELECT visibility, is_official_response, count(*) FROM messages GROUP BY 1, 2"
    )
    assert {(r["visibility"], r["is_official_response"]) for r in kinds} == {
        ("public", False),
        ("internal", False),
        ("public", True),
    }
    roles = await _fetch(db_dsn, "SELECT role, count(*) AS n FROM users GROUP BY role")
    assert {r["role"] for r in roles} == {"admin", "officer", "citizen"}
    numbers = await _fetch(db_dsn, "SELECT number FROM complaints")
    assert all(r["number"].startswith("ADU-") and len(r["number"]) == 15 for r in numbers)
    # The audit log names no reporter of an anonymous complaint (as the app writes it).
    named = await _fetch(
        db_dsn,
        "SELECT a.id FROM audit_log a JOIN complaints c ON a.target_type = 'complaint'"
        " AND a.target_id = c.id::text WHERE c.is_anonymous"
        " AND (a.actor = c.reporter OR a.ip <> '' OR NOT a.by_anonymous_reporter)",
    )
    anonymous = await _fetch(db_dsn, "SELECT id FROM complaints WHERE is_anonymous")
    assert anonymous and named == []


async def test_demo_is_written_once(db_dsn: str, settings: Settings) -> None:
    await demo.seed(settings, db_dsn)
    await demo.seed(settings, db_dsn)
    (row,) = await _fetch(db_dsn, "SELECT count(*) AS n FROM users WHERE username = 'admin'")
    assert row["n"] == 1


async def test_bulk_mode_adds_exactly_n_complaints_with_history(
    db_dsn: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    await demo.seed(settings, db_dsn)
    (before,) = await _fetch(db_dsn, "SELECT count(*) AS n FROM complaints")
    await demo.seed(settings, db_dsn, bulk_complaints=2500)
    assert "2,500/2,500" in capsys.readouterr().err  # the progress bar reached the end
    (after,) = await _fetch(
        db_dsn, "SELECT count(*) AS n, count(DISTINCT number) AS numbers FROM complaints"
    )
    assert after["n"] - before["n"] == 2500
    assert after["numbers"] == after["n"]
    (orphans,) = await _fetch(
        db_dsn,
        "SELECT count(*) AS n FROM complaints c WHERE NOT EXISTS "
        "(SELECT 1 FROM status_history h WHERE h.complaint = c.id)",
    )
    assert orphans["n"] == 0
    # New rows still get ids after the block reserved by COPY.
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
            " status, submitted_at, updated_at) SELECT 'ADU-1999-000001', 'X', reporter,"
            " category, unit, 't', 'b', 'pending', now(), now() FROM complaints LIMIT 1"
        )
    finally:
        await conn.close()


def _shown(page: str, name: str) -> str:
    """The value the profile form shows for one field."""
    import html
    import re

    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'name="{name}"[^>]*>([^<]*)</textarea>', page
    )
    assert found, name
    return html.unescape(found.group(1))


async def test_demo_citizens_can_edit_their_profile_the_first_time(
    db_dsn: str, settings: Settings, client: httpx.AsyncClient
) -> None:
    """They have a phone and an address (the form requires both), also in a demo database
    written before they had them."""
    await demo.seed(settings, db_dsn)
    conn = await asyncpg.connect(db_dsn)
    try:
        # As a demo database written by an earlier version left them.
        await conn.execute(
            "UPDATE users SET phone_encrypted = NULL, address_encrypted = NULL"
            " WHERE username = 'warga2'"
        )
    finally:
        await conn.close()
    await demo.seed(settings, db_dsn)
    for username in [a[0] for a in DEMO_ACCOUNTS if a[2] == "citizen"]:
        await log_in(client, username, "pengaduan-warga-demo")
        page = (await client.get("/akun")).text
        assert 'id="profile-missing"' not in page
        form = {name: _shown(page, name) for name in ("full_name", "email", "phone", "address")}
        assert form["phone"].startswith("+628") and form["address"]
        form["full_name"] += " Baru"
        response = await client.post("/akun", data=form)
        assert response.status_code == 303, username
        await client.post("/keluar")


def test_generated_complaints_move_only_along_the_lifecycle() -> None:
    """The generator takes its steps from the lifecycle's table, reaching every status."""
    import random
    from datetime import UTC, datetime

    from pengaduan.complaints.lifecycle import TRANSITIONS
    from pengaduan.demo import generation

    category = {"id": 1, "name": "Jalan Rusak", "unit": 1, "deadline_days": 7}
    base = generation.Base([category], citizens=[10], officers_by_unit={1: [2]}, admin_id=1)
    moves = {(source, t.target) for t in TRANSITIONS.values() for source in t.sources}
    rng, numbers, reached = random.Random(1), {}, set()
    for _ in range(500):
        complaint = generation.generate(rng, base, numbers, datetime.now(UTC), 730)
        steps = [(old, new) for old, new, *_rest in complaint.history]
        assert steps[0] == (None, "pending")
        assert set(steps[1:]) <= moves
        assert steps[-1][1] == complaint.status
        reached.add(complaint.status)
    assert reached == set(STATUSES)
