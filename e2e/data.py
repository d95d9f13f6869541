"""e2e test data: the demo accounts the tests log in with, and rows written straight to the
live server's database (complaints in a known state, a second officer, unread notifications,
the event a submission publishes). Each function is a coroutine taking the database address:
call it from a test with `run_async(add_complaint, server.dsn, ...)`."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import asyncpg

from pengaduan.accounts.passwords import hash_password_sync

# The demo set's accounts (pengaduan.demo) and units.
ADMIN = ("admin", "pengaduan-admin-demo")
CITIZEN = ("warga", "pengaduan-warga-demo")
CITIZEN_NAME = "Andi Pratama"

OFFICER_PASSWORD = "pengaduan-petugas-demo"  # every demo officer's
CITIZEN_PASSWORD = CITIZEN[1]  # every demo citizen's
PUPR = "Dinas Pekerjaan Umum dan Penataan Ruang"
DLH = "Dinas Lingkungan Hidup"
_numbers = itertools.count(1)


async def add_complaint(dsn: str, title: str, reporter: str = "warga") -> tuple[int, str]:
    """A pending, unassigned complaint of PUPR (category Jalan Rusak) by a demo citizen."""
    number = f"ADU-2026-{950000 + next(_numbers):06d}"
    conn = await asyncpg.connect(dsn)
    try:
        category = await conn.fetchrow(
            "SELECT id, default_unit, deadline_days FROM categories WHERE name = 'Jalan Rusak'"
        )
        reporter_id = await conn.fetchval("SELECT id FROM users WHERE username = $1", reporter)
        now = datetime.now(UTC)
        complaint_id = await conn.fetchval(
            "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
            " location_text, latitude, longitude, status, priority, citizen_urgency,"
            " is_anonymous, is_public, submitted_at, due_at, updated_at)"
            " VALUES ($1, 'E2EHANDL', $2, $3, $4, $5, 'Lubang besar di tengah jalan.',"
            " 'Jl. Dago No. 10, Bandung', -6.885, 107.613, 'pending', 'normal', 'normal',"
            " false, true, $6, $7, $6) RETURNING id",
            number,
            reporter_id,
            category["id"],
            category["default_unit"],
            title,
            now,
            now + timedelta(days=category["deadline_days"]),
        )
        await conn.execute(
            "INSERT INTO status_history (complaint, old_status, new_status, changed_by, note,"
            " changed_at) VALUES ($1, NULL, 'pending', $2, '', $3)",
            complaint_id,
            reporter_id,
            now,
        )
    finally:
        await conn.close()
    return complaint_id, number


async def add_pupr_officer(dsn: str, username: str, full_name: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        unit = await conn.fetchval("SELECT id FROM units WHERE name = $1", PUPR)
        await conn.execute(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, unit, nip, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, now(), $3, $4, 'officer', $5, '198601012010010999', 'id', true,"
            " now(), now())",
            username,
            f"{username}@demo.pengaduan.test",
            hash_password_sync(OFFICER_PASSWORD, 4),
            full_name,
            unit,
        )
    finally:
        await conn.close()


async def add_second_pupr_officer(dsn: str) -> None:
    await add_pupr_officer(dsn, "petugas.pupr2", "Sari Wulandari")


async def announce_submitted(dsn: str, complaint_id: int) -> None:
    """What the submitting transaction publishes (complaints.submission.write)."""
    conn = await asyncpg.connect(dsn)
    try:
        unit = await conn.fetchval("SELECT unit FROM complaints WHERE id = $1", complaint_id)
        await conn.execute(
            "SELECT pg_notify($1, $2)",
            f"queue_{unit}",
            f'{{"event":"submitted","complaint":{complaint_id}}}',
        )
    finally:
        await conn.close()


async def unit_with_unassigned_work(dsn: str) -> dict:
    """Two open complaints of the demo unit with the most open ones, made unassigned, and an
    officer of that unit."""
    conn = await asyncpg.connect(dsn)
    try:
        unit = await conn.fetchval(
            "SELECT unit FROM complaints WHERE status IN ('pending', 'verified', 'in_progress')"
            " GROUP BY unit ORDER BY count(*) DESC, unit LIMIT 1"
        )
        numbers = [
            r["number"]
            for r in await conn.fetch(
                "UPDATE complaints SET officer = NULL WHERE id IN (SELECT id FROM complaints"
                " WHERE unit = $1 AND status IN ('pending', 'verified', 'in_progress')"
                " ORDER BY id LIMIT 2) RETURNING number",
                unit,
            )
        ]
        officer = await conn.fetchrow(
            "SELECT id, full_name FROM users WHERE role = 'officer' AND unit = $1 LIMIT 1", unit
        )
        return {"unit": unit, "numbers": sorted(numbers), "officer": dict(officer)}
    finally:
        await conn.close()


async def officers_of(dsn: str, numbers: list[str]) -> dict[str, int | None]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT number, officer FROM complaints WHERE number = ANY($1)", numbers
        )
        return {r["number"]: r["officer"] for r in rows}
    finally:
        await conn.close()


async def give_unread(dsn: str, count: int) -> None:
    """Read every notification the demo left the citizen, then add `count` unread ones."""
    conn = await asyncpg.connect(dsn)
    try:
        user = await conn.fetchval("SELECT id FROM users WHERE username = $1", CITIZEN[0])
        await conn.execute('UPDATE notifications SET is_read = true WHERE "user" = $1', user)
        complaint = await conn.fetchval(
            "SELECT id FROM complaints WHERE reporter = $1 ORDER BY id LIMIT 1", user
        )
        for n in range(count):
            await conn.execute(
                'INSERT INTO notifications ("user", kind, title, body, complaint, is_read,'
                " created_at) VALUES ($1, 'reply', $2, 'Balasan petugas', $3, false,"
                " now() - make_interval(secs => $4))",
                user,
                f"Balasan baru nomor {n}",
                complaint,
                float(count - n),
            )
    finally:
        await conn.close()


async def handle_and_resolve(dsn: str, complaint_id: int, response: str) -> None:
    """The unit's officer verifies, starts and resolves it, through the lifecycle service."""
    from pengaduan.complaints import lifecycle
    from pengaduan.db import migrations
    from pengaduan.settings import get_settings

    conn = await asyncpg.connect(dsn)
    try:
        officer = await conn.fetchrow(
            "SELECT u.id, u.unit FROM users u JOIN complaints c ON c.unit = u.unit"
            " WHERE c.id = $1 AND u.role = 'officer' ORDER BY u.id LIMIT 1",
            complaint_id,
        )
    finally:
        await conn.close()
    actor = lifecycle.Actor(officer["id"], "officer", officer["unit"], "127.0.0.1")
    # No pool of this thread's loop: Piccolo opens a connection per transaction.
    settings = get_settings()  # this process's, as the services read them before
    async with migrations.engine_at(dsn):
        await lifecycle.apply(complaint_id, "verify", actor, settings=settings)
        await lifecycle.apply(complaint_id, "start", actor, settings=settings)
        await lifecycle.apply(complaint_id, "resolve", actor, text=response, settings=settings)


# The archive's known complaints (add_known_complaints).
PUBLIC_TITLE = "Jalan amblas di Jl. Cisitu Lama"
PRIVATE_TITLE = "Jalan amblas rahasia di Cisitu Indah"
OPEN_TITLE = "Jalan amblas di Cisitu belum diperbaiki"
RESPONSE = "Jalan sudah ditimbun dan diaspal ulang oleh tim PUPR."


async def add_known_complaints(dsn: str) -> dict[str, str]:
    """One public resolved complaint with an official response and one private one, newest."""
    conn = await asyncpg.connect(dsn)
    try:
        category = await conn.fetchrow(
            "SELECT id, default_unit FROM categories WHERE name = 'Jalan Rusak'"
        )
        reporter = await conn.fetchval("SELECT id FROM users WHERE username = 'warga2'")
        officer = await conn.fetchval("SELECT id FROM users WHERE username = 'petugas.pupr'")
        now = datetime.now(UTC)
        numbers = {}
        for key, number, title, status, public in (
            ("public", "ADU-2026-900001", PUBLIC_TITLE, "resolved", True),
            ("private", "ADU-2026-900002", PRIVATE_TITLE, "in_progress", False),
            ("open", "ADU-2026-900003", OPEN_TITLE, "verified", True),
        ):
            complaint_id = await conn.fetchval(
                "INSERT INTO complaints (number, tracking_code, reporter, category, unit, officer,"
                " title, body, location_text, status, priority, citizen_urgency, is_anonymous,"
                " is_public, submitted_at, updated_at) VALUES ($1, 'E2ETRACK', $2, $3, $4, $5,"
                " $6, 'Badan jalan amblas sedalam 30 cm.', 'Jl. Cisitu Lama, Kec. Coblong', $7,"
                " 'normal', 'normal', false, $8, $9, $9) RETURNING id",
                number,
                reporter,
                category["id"],
                category["default_unit"],
                officer,
                title,
                status,
                public,
                now,
            )
            await conn.execute(
                "INSERT INTO status_history (complaint, old_status, new_status, changed_by,"
                " note, changed_at) VALUES ($1, NULL, 'pending', $2, '', $3)",
                complaint_id,
                reporter,
                now,
            )
            if status == "resolved":
                await conn.execute(
                    "INSERT INTO messages (complaint, author, body, visibility,"
                    " is_official_response, created_at) VALUES ($1, $2, $3, 'public', true, $4)",
                    complaint_id,
                    officer,
                    RESPONSE,
                    now,
                )
            numbers[key] = number
        return numbers
    finally:
        await conn.close()
