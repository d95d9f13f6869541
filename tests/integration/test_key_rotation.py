"""Key rotation against a real database: every row moves to the newest key, once."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from cryptography.fernet import Fernet

from pengaduan import db
from pengaduan.accounts.personal_data import (
    ENCRYPTED_COLUMNS,
    PersonalDataCipher,
    UndecryptableData,
    rotate_all,
)
from tests.support.databases import settings_for

BLIND = "blind-index-key-for-rotation-tests"
CREATED = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)

# username -> (nik, phone, address); None is a column left empty.
PEOPLE: dict[str, tuple[str | None, str | None, str | None]] = {
    "siti": ("3273015708950002", "+62 812-1111-2222", "Jl. Asia Afrika No. 8, Bandung"),
    "budi": ("3171011708900001", "+62 813-3333-4444", "Jl. Merdeka No. 17, Jakarta Pusat"),
    "wayan": ("5171010101800003", None, "Banjar Kaja, Denpasar"),
    "yohana": ("9401014512990004", "+62 821-5555-6666", None),
    "agus": (None, "+62 856-7777-8888", None),
    "dewi": ("3578016303010005", "+62 877-9999-0000", "Jl. Tunjungan No. 1, Surabaya"),
    "rahmat": ("7371011009850006", "+62 811-1212-3434", "Jl. Somba Opu No. 5, Makassar"),
}


def key() -> str:
    return Fernet.generate_key().decode()


async def insert_user(
    conn: asyncpg.Connection,
    cipher: PersonalDataCipher,
    username: str,
    nik: str | None,
    phone: str | None,
    address: str | None,
) -> None:
    await conn.execute(
        """
        INSERT INTO users (username, password_hash, full_name, role, language, is_active,
                           created_at, updated_at, nik_encrypted, nik_index, phone_encrypted,
                           address_encrypted)
        VALUES ($1, 'x', $2, 'citizen', 'id', true, $3, $3, $4, $5, $6, $7)
        """,
        username,
        username.title(),
        CREATED,
        cipher.encrypt(nik),
        cipher.blind_index(nik) if nik else None,
        cipher.encrypt(phone),
        cipher.encrypt(address),
    )


async def raw_users(dsn: str) -> dict[str, asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT * FROM users ORDER BY id")
    finally:
        await conn.close()
    return {row["username"]: row for row in rows}


def assert_readable_with_only(rows: dict[str, asyncpg.Record], newest: str) -> None:
    only_newest = PersonalDataCipher([newest], BLIND)
    for username, row in rows.items():
        if username not in PEOPLE:
            continue
        plain = PEOPLE[username]
        for column, expected in zip(ENCRYPTED_COLUMNS, plain, strict=True):
            assert only_newest.decrypt(row[column]) == expected, (username, column)
        # Nothing personal is stored readable, in any column.
        dump = repr(dict(row))
        for value in plain:
            if value is not None:
                assert value not in dump
                assert value.split()[-1] not in dump


async def test_rotate_all_moves_every_row_to_the_newest_key(db_dsn: str) -> None:
    old, new = key(), key()
    old_cipher = PersonalDataCipher([old], BLIND)
    new_cipher = PersonalDataCipher([new], BLIND)
    conn = await asyncpg.connect(db_dsn)
    try:
        for username, (nik, phone, address) in PEOPLE.items():
            await insert_user(conn, old_cipher, username, nik, phone, address)
        # Already rotated: must be left alone.
        await insert_user(conn, new_cipher, "officer", None, "+62 800-0000-0000", None)
        # Half done (as after an interrupted deploy): only the old part is rewritten.
        await conn.execute(
            "UPDATE users SET nik_encrypted = $1 WHERE username = 'rahmat'",
            new_cipher.encrypt(PEOPLE["rahmat"][0]),
        )
        # No personal data at all (an admin).
        await conn.execute(
            """INSERT INTO users (username, password_hash, full_name, role, language,
                                  is_active, created_at, updated_at)
               VALUES ('admin', 'x', 'Admin', 'admin', 'id', true, $1, $1)""",
            CREATED,
        )
    finally:
        await conn.close()
    before = await raw_users(db_dsn)

    settings = settings_for(
        db_dsn, PENGADUAN_ENCRYPTION_KEYS=f"{new},{old}", PENGADUAN_BLIND_INDEX_KEY=BLIND
    )
    db.configure_engine(db_dsn)
    # A batch smaller than the table, so the rows are spread over several transactions.
    assert await rotate_all(settings, batch_size=3) == len(PEOPLE)

    after = await raw_users(db_dsn)
    assert_readable_with_only(after, new)
    assert after["officer"]["phone_encrypted"] == before["officer"]["phone_encrypted"]
    assert after["rahmat"]["nik_encrypted"] == before["rahmat"]["nik_encrypted"]
    for username, row in after.items():
        assert row["nik_index"] == before[username]["nik_index"]  # the blind index stays
        assert row["updated_at"] == CREATED
    assert after["admin"]["nik_encrypted"] is None

    assert await rotate_all(settings) == 0
    assert await raw_users(db_dsn) == after


async def test_rotate_all_stops_on_data_no_key_opens(db_dsn: str) -> None:
    lost, new = key(), key()
    conn = await asyncpg.connect(db_dsn)
    try:
        await insert_user(
            conn, PersonalDataCipher([lost], BLIND), "lost", "3171011708900001", None, None
        )
    finally:
        await conn.close()
    settings = settings_for(db_dsn, PENGADUAN_ENCRYPTION_KEYS=new, PENGADUAN_BLIND_INDEX_KEY=BLIND)
    db.configure_engine(db_dsn)
    with pytest.raises(UndecryptableData, match="user 1"):
        await rotate_all(settings)


async def test_rotate_keys_command(db_dsn: str, data_dir: Path) -> None:
    old, new = key(), key()
    conn = await asyncpg.connect(db_dsn)
    try:
        for username, (nik, phone, address) in PEOPLE.items():
            await insert_user(conn, PersonalDataCipher([old], BLIND), username, nik, phone, address)
    finally:
        await conn.close()

    env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
    env.update(
        DATABASE_URL=db_dsn,
        PENGADUAN_DATA_DIR=str(data_dir),
        PENGADUAN_ENCRYPTION_KEYS=f"{new},{old}",
        PENGADUAN_BLIND_INDEX_KEY=BLIND,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pengaduan.cli",
        "rotate-keys",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr.decode()
    assert f"Re-encrypted the personal data of {len(PEOPLE)} user(s)" in stdout.decode()
    assert_readable_with_only(await raw_users(db_dsn), new)
