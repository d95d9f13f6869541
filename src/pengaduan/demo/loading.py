"""Writing the demo set: units, categories and accounts once, the demo citizens' contact details,
about fifty complaints in every status with their history, messages, ratings, notifications and
audit rows (as the app writes them), and generated complaints in bulk through COPY. All SQL
goes through `pengaduan.db` inside the caller's transaction."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from pengaduan import db
from pengaduan.accounts.fields import normalise_phone
from pengaduan.accounts.passwords import hash_password_sync
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.demo.data import (
    CATEGORIES,
    CITIZEN_REPLIES,
    DEMO_ACCOUNTS,
    DEMO_CONTACTS,
    INTERNAL_NOTES,
    OFFICER_REPLIES,
    OFFICIAL_RESPONSES,
    STATUS_WEIGHTS,
    UNITS,
)
from pengaduan.demo.generation import (
    COMPLAINT_COLUMNS,
    HISTORY_COLUMNS,
    Base,
    Generated,
    generate,
)
from pengaduan.settings import Settings

# Generated complaints written per COPY (and per transaction).
BATCH = 20_000


def progress(done: int, total: int, started: float) -> None:
    """A progress bar on standard error, ended by a newline when done."""
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / max(time.monotonic() - started, 1e-6)
    sys.stderr.write(
        f"\r  [{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,} ({rate:,.0f}/s)"
    )
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


async def ensure_base(settings: Settings) -> bool:
    """Write units, categories and accounts unless they are there; True when written now."""
    if await db.fetchval("SELECT count(*) FROM users WHERE username = 'admin'"):
        return False
    now = datetime.now(UTC)
    unit_ids: dict[str, int] = {}
    for key, (name, description) in UNITS.items():
        unit_ids[key] = await db.fetchval(
            "INSERT INTO units (name, description, is_active, auto_assign, created_at, updated_at)"
            " VALUES ($1, $2, true, $3, $4, $4)"
            " ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description RETURNING id",
            name,
            description,
            key == "dlh",
            now,
        )
    for name, icon, description, unit, days in CATEGORIES:
        await db.execute(
            "INSERT INTO categories (name, description, icon, is_active, default_unit,"
            " deadline_days, created_at, updated_at) VALUES ($1, $2, $3, true, $4, $5, $6, $6)"
            " ON CONFLICT (name) DO NOTHING",
            name,
            description,
            icon,
            unit_ids[unit],
            days,
            now,
        )
    # One bcrypt hash per distinct password (they are slow on purpose).
    hashes = {
        password: await asyncio.to_thread(hash_password_sync, password, settings.bcrypt_rounds)
        for password in {a[1] for a in DEMO_ACCOUNTS}
    }
    for position, (username, password, role, full_name, unit) in enumerate(DEMO_ACCOUNTS):
        await db.execute(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, unit, nip, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'id', true, $9, $9)"
            " ON CONFLICT (username) DO NOTHING",
            username,
            f"{username}@demo.pengaduan.test",
            now,
            hashes[password],
            full_name,
            role,
            unit_ids[unit] if unit else None,
            f"19850101201001{position:04d}" if role == "officer" else None,
            now,
        )
    return True


async def ensure_contacts(settings: Settings) -> None:
    """Give the demo citizens their phone and address, also in a demo database written
    before they had them (their first profile edit failed without)."""
    cipher = cipher_for(settings)
    for username, (phone, address) in DEMO_CONTACTS.items():
        await db.execute(
            "UPDATE users SET phone_encrypted = coalesce(phone_encrypted, $2),"
            " address_encrypted = coalesce(address_encrypted, $3)"
            " WHERE username = $1 AND role = 'citizen'"
            " AND (phone_encrypted IS NULL OR address_encrypted IS NULL)",
            username,
            cipher.encrypt(normalise_phone(phone)),
            cipher.encrypt(address),
        )


async def load_base() -> Base:
    """The categories, citizens, officers and admin generated complaints refer to."""
    categories = [
        dict(r)
        for r in await db.fetch(
            "SELECT id, name, default_unit AS unit, deadline_days FROM categories ORDER BY id"
        )
    ]
    citizens = [
        r["id"] for r in await db.fetch("SELECT id FROM users WHERE role = 'citizen' ORDER BY id")
    ]
    officers: dict[int, list[int]] = {}
    for r in await db.fetch("SELECT id, unit FROM users WHERE role = 'officer' ORDER BY id"):
        officers.setdefault(r["unit"], []).append(r["id"])
    admin_id = await db.fetchval("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1")
    return Base(categories, citizens, officers, admin_id)


async def next_numbers() -> dict[int, int]:
    """The last sequence number used per year, so new numbers never collide."""
    rows = await db.fetch(
        "SELECT split_part(number, '-', 2)::int AS year, max(split_part(number, '-', 3)::int) AS n"
        " FROM complaints WHERE number ~ '^ADU-[0-9]{4}-[0-9]+$' GROUP BY 1"
    )
    return {r["year"]: r["n"] for r in rows}


def _messages(rng: random.Random, complaint: Generated) -> list[tuple]:
    """The conversation of a complaint the agency took up: a reply, the reporter's answer, an
    internal note, and the official response once resolved."""
    officer, reporter, submitted = (
        complaint["officer"],
        complaint["reporter"],
        complaint["submitted_at"],
    )
    messages: list[tuple] = []
    if officer and complaint.went_through("verify"):
        messages.append(
            (officer, rng.choice(OFFICER_REPLIES), "public", False, submitted + timedelta(1))
        )
        messages.append(
            (
                reporter,
                rng.choice(CITIZEN_REPLIES),
                "public",
                False,
                submitted + timedelta(days=1, hours=3),
            )
        )
        messages.append(
            (officer, rng.choice(INTERNAL_NOTES), "internal", False, submitted + timedelta(2))
        )
    if officer and complaint.went_through("resolve"):
        messages.append(
            (officer, rng.choice(OFFICIAL_RESPONSES), "public", True, complaint["resolved_at"])
        )
    return messages


async def _write_one(rng: random.Random, complaint: Generated) -> None:
    """A complaint with everything the app writes beside it."""
    complaint_id = await db.fetchval(
        f"INSERT INTO complaints ({', '.join(COMPLAINT_COLUMNS)}) VALUES "
        f"({', '.join(f'${n + 1}' for n in range(len(COMPLAINT_COLUMNS)))}) RETURNING id",
        *complaint.row,
    )
    for history in complaint.history:
        await db.execute(
            "INSERT INTO status_history (complaint, old_status, new_status, changed_by, note,"
            " changed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            complaint_id,
            *history,
        )
    for message in _messages(rng, complaint):
        await db.execute(
            "INSERT INTO messages (complaint, author, body, visibility, is_official_response,"
            " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            complaint_id,
            *message,
        )
    if complaint.status == "closed" and rng.random() < 0.7:
        await db.execute(
            "INSERT INTO ratings (complaint, score, comment, created_at) VALUES ($1, $2, $3, $4)",
            complaint_id,
            rng.choice([3, 4, 4, 5, 5]),
            rng.choice(["Terima kasih, cepat ditangani.", "Sudah baik.", ""]),
            complaint["closed_at"],
        )
    await _write_submission_trail(complaint_id, complaint)


async def _write_submission_trail(complaint_id: int, complaint: Generated) -> None:
    """The reporter's notification and the audit row of the submission."""
    number, title, reporter = complaint["number"], complaint["title"], complaint["reporter"]
    await db.execute(
        'INSERT INTO notifications ("user", kind, title, body, params, complaint, is_read,'
        " created_at) VALUES ($1, 'submitted', $2, $3, $4::jsonb, $5, $6, $7)",
        reporter,
        f"Pengaduan {number} diterima",
        title,
        # As the app writes it: shown in each reader's language (notifications.texts).
        json.dumps({"number": number, "title": title}),
        complaint_id,
        bool(complaint.path),  # read once anything happened to it
        complaint["submitted_at"],
    )
    # As the app writes it: the reporter of an anonymous complaint unnamed, no address.
    anonymous = complaint["is_anonymous"]
    await db.execute(
        "INSERT INTO audit_log (actor, action, target_type, target_id, data, at, ip,"
        " by_anonymous_reporter) VALUES ($1, 'complaint.submit', 'complaint', $2, $3, $4,"
        " $5, $6)",
        None if anonymous else reporter,
        str(complaint_id),
        json.dumps({"number": number}),
        complaint["submitted_at"],
        "" if anonymous else "127.0.0.1",
        anonymous,
    )


async def insert_realistic(base: Base, rng: random.Random) -> int:
    """About fifty complaints, at least two in every status, with messages and ratings."""
    now = datetime.now(UTC)
    numbers = await next_numbers()
    wanted = [s for s in STATUS_WEIGHTS for _ in range(2)]
    count = 0
    for i in range(48):
        while True:
            complaint = generate(rng, base, numbers, now, 120)
            if i >= len(wanted) or complaint.status == wanted[i]:
                break
            numbers[complaint["submitted_at"].year] -= 1  # drawn again: its number is free
        await _write_one(rng, complaint)
        count += 1
    return count


async def insert_bulk(base: Base, total: int, seed: int) -> None:
    """`total` generated complaints and their history, through COPY in batches."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    numbers = await next_numbers()
    started = time.monotonic()
    done = 0
    progress(0, total, started)
    while done < total:
        size = min(BATCH, total - done)
        batch = [generate(rng, base, numbers, now, 730, composed=True) for _ in range(size)]
        async with db.ENGINE.transaction() as transaction:
            first_id = await db.fetchval(
                "SELECT nextval(pg_get_serial_sequence('complaints', 'id'))"
            )
            # Reserve a contiguous block of ids so history rows can point at them.
            await db.execute(
                "SELECT setval(pg_get_serial_sequence('complaints', 'id'), $1)", first_id + size
            )
            ids = range(first_id, first_id + size)
            # COPY is asyncpg's own (no statement to send through db): on the same connection.
            copy = transaction.connection.copy_records_to_table
            await copy(
                "complaints",
                records=[(cid, *c.row) for cid, c in zip(ids, batch, strict=True)],
                columns=["id", *COMPLAINT_COLUMNS],
            )
            await copy(
                "status_history",
                records=[(cid, *h) for cid, c in zip(ids, batch, strict=True) for h in c.history],
                columns=HISTORY_COLUMNS,
            )
        done += size
        progress(done, total, started)
