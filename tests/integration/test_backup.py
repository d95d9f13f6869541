"""Backups and restore (issue 16) as an operator runs them: demo data and complaints with
real evidence files backed up by `pengaduan backup`, restored by `pengaduan restore` into a
fresh database and data folder, and compared; damaged archives, wrong keys and occupied
targets refused without changing anything."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest

from pengaduan import db, demo
from pengaduan.db import migrations
from pengaduan.settings import Settings
from tests.conftest import browser_client, running
from tests.support.databases import drop_database, recreate_database, settings_for
from tests.support.serving import PENGADUAN, cli_env

ROOT = Path(__file__).resolve().parents[2]
BACKUP_KEY = "backup-key-for-the-test-" + "x" * 20
FERNET = base64.urlsafe_b64encode(b"k" * 32).decode()
BLIND = "blind-index-key-for-the-test"
NIK = "3201010101900001"
ADMIN, ADMIN_PASSWORD = "admin", "pengaduan-admin-demo"


def _folder(name: str) -> Path:
    # Under var/ like the data_dir fixture (the embedded server's user must reach it).
    base = ROOT / "var" / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=name + "-", dir=base))


def _env(dsn: str, data: Path, **extra: str) -> dict[str, str]:
    keys = {
        "PENGADUAN_BACKUP_KEY": BACKUP_KEY,
        "PENGADUAN_ENCRYPTION_KEYS": FERNET,
        "PENGADUAN_BLIND_INDEX_KEY": BLIND,
    }
    return {"DATABASE_URL": dsn, "PENGADUAN_DATA_DIR": str(data), **keys, **extra}


def cli(*args: str, dsn: str, data: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PENGADUAN, *args],
        env=cli_env(**_env(dsn, data, **extra)),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def table_texts(dsn: str) -> dict[str, list[str]]:
    """Every table's rows as text, sorted."""
    conn = await asyncpg.connect(dsn)
    try:
        names = [
            r[0]
            for r in await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            name: [r[0] for r in await conn.fetch(f'SELECT t::text FROM "{name}" t ORDER BY 1')]
            for name in names
        }
    finally:
        await conn.close()


def file_sums(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


async def add_evidence_and_nik(settings: Settings, dsn: str) -> None:
    """Real evidence files on a few complaints, and a citizen's NIK (encrypted, indexed)."""
    from pengaduan.accounts.personal_data import cipher_for
    from pengaduan.complaints import evidence
    from pengaduan.complaints.storage import FileSystemStorage
    from pengaduan.complaints.tables import EvidenceFile
    from tests.support.images import jpeg

    storage = FileSystemStorage(settings.uploads_dir)
    cipher = cipher_for(settings)
    async with migrations.engine_at(dsn):
        complaints = await db.fetch("SELECT id, reporter FROM complaints ORDER BY id LIMIT 6")
        for i, row in enumerate(complaints):
            prepared = evidence.prepare(f"foto{i}.jpg", jpeg((40 + i, 30)), 10_000_000)
            stored = await evidence.store(storage, prepared)
            await EvidenceFile.insert(
                EvidenceFile(
                    complaint=row["id"],
                    uploaded_by=row["reporter"],
                    uploaded_at=datetime.now(UTC),
                    **dataclasses.asdict(stored),
                )
            )
        await db.execute(
            "UPDATE users SET nik_encrypted = $1, nik_index = $2"
            " WHERE id = (SELECT min(id) FROM users WHERE role = 'citizen')",
            cipher.encrypt(NIK),
            cipher.blind_index(NIK),
        )


@dataclasses.dataclass
class Source:
    dsn: str
    data: Path
    settings: Settings
    archive: Path
    server_dsn: str
    texts: dict[str, list[str]]  # the tables when backed up (logging in adds sessions)


@pytest.fixture(scope="module")
async def source(pg_server_dsn: str) -> AsyncIterator[Source]:
    """Demo data plus generated complaints with evidence, backed up by the CLI."""
    name = f"backup_source_{os.getpid()}"
    dsn = await recreate_database(pg_server_dsn, name)
    await migrations.migrate(dsn)
    data = _folder("backup-source")
    settings = settings_for(dsn, **_env(dsn, data))
    await demo.seed(settings, dsn, bulk_complaints=60)
    await add_evidence_and_nik(settings, dsn)
    archive = data.parent / f"{data.name}.backup"
    result = cli("backup", "--output", str(archive), dsn=dsn, data=data)
    assert result.returncode == 0, result.stderr
    assert "Backup written to" in result.stdout and "evidence file(s)" in result.stdout
    yield Source(dsn, data, settings, archive, pg_server_dsn, await table_texts(dsn))
    await drop_database(pg_server_dsn, name)
    shutil.rmtree(data, ignore_errors=True)
    archive.unlink(missing_ok=True)


@pytest.fixture
async def target(source: Source) -> AsyncIterator[tuple[str, Path]]:
    """A fresh, empty database and data folder."""
    name = f"backup_target_{os.getpid()}"
    dsn = await recreate_database(source.server_dsn, name)
    data = _folder("backup-target")
    yield dsn, data
    await drop_database(source.server_dsn, name)
    shutil.rmtree(data, ignore_errors=True)


async def pages(settings: Settings) -> dict[str, str]:
    """What an admin sees of the archive and the statistics (logging in on the way)."""
    from pengaduan.app import create_app

    saved_pool, saved_config = db.ENGINE.pool, db.ENGINE.config
    db.ENGINE.pool = None
    try:
        async with running(create_app(settings)) as app, browser_client(app) as client:
            seen = {"archive": (await client.get("/arsip")).text}
            response = await client.post(
                "/masuk", data={"identifier": ADMIN, "password": ADMIN_PASSWORD}
            )
            assert response.status_code == 303, "login failed"
            seen["stats"] = (await client.get("/admin/statistik/ekspor.csv")).text
            return seen
    finally:
        db.ENGINE.pool, db.ENGINE.config = saved_pool, saved_config


def _numbers(html: str) -> list[str]:
    """The archive page's text, without what differs per request (tokens, nonces)."""
    text = re.sub(r"<script.*?</script>|<[^>]+>", " ", html, flags=re.S)
    return text.split()


async def test_round_trip_restores_every_row_and_file(
    source: Source, target: tuple[str, Path]
) -> None:
    dsn, data = target
    result = cli("restore", str(source.archive), dsn=dsn, data=data)
    assert result.returncode == 0, result.stderr
    assert "Restored" in result.stdout and "decrypt the restored rows" in result.stdout

    assert await table_texts(dsn) == source.texts
    sums = file_sums(data / "uploads")
    assert len(sums) >= 6
    assert sums == file_sums(source.data / "uploads")

    restored = settings_for(dsn, **_env(dsn, data, PENGADUAN_OUTBOX_IN_APP="false"))
    before = await pages(dataclasses.replace(source.settings, outbox_in_app=False))
    after = await pages(restored)
    assert "ADU-" in before["archive"]
    assert _numbers(after["archive"]) == _numbers(before["archive"])
    assert after["stats"] == before["stats"] and len(after["stats"].splitlines()) > 1


def test_verify_checks_an_archive_without_restoring(source: Source) -> None:
    result = cli("backup", "--verify", str(source.archive), dsn=source.dsn, data=source.data)
    assert result.returncode == 0, result.stderr
    assert "is intact" in result.stdout


async def _unchanged(dsn: str, data: Path, *args: str, **env: str) -> str:
    """Run a restore that must be refused; check it changed nothing; return its message."""
    before, files = await table_texts(dsn), file_sums(data / "uploads")
    result = cli("restore", *args, dsn=dsn, data=data, **env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refused, nothing changed" in result.stderr
    assert await table_texts(dsn) == before and file_sums(data / "uploads") == files
    return result.stderr


async def test_damaged_and_truncated_archives_are_refused(
    source: Source, target: tuple[str, Path]
) -> None:
    dsn, data = target
    damaged = data / "damaged.backup"
    content = bytearray(source.archive.read_bytes())
    content[len(content) // 2] ^= 0x01
    damaged.write_bytes(bytes(content))
    assert "damaged" in await _unchanged(dsn, data, str(damaged))
    damaged.write_bytes(source.archive.read_bytes()[: len(content) * 2 // 3])
    assert "damaged or truncated" in await _unchanged(dsn, data, str(damaged))
    verify = cli("backup", "--verify", str(damaged), dsn=dsn, data=data)
    assert verify.returncode == 2 and "truncated" in verify.stderr


async def test_wrong_backup_key_is_refused(source: Source, target: tuple[str, Path]) -> None:
    dsn, data = target
    message = await _unchanged(dsn, data, str(source.archive), PENGADUAN_BACKUP_KEY="other" * 8)
    assert "backup key does not open this archive" in message


async def test_wrong_personal_data_keys_are_refused(
    source: Source, target: tuple[str, Path]
) -> None:
    dsn, data = target
    other = base64.urlsafe_b64encode(b"o" * 32).decode()
    message = await _unchanged(dsn, data, str(source.archive), PENGADUAN_ENCRYPTION_KEYS=other)
    assert "PENGADUAN_ENCRYPTION_KEYS do not decrypt" in message
    message = await _unchanged(dsn, data, str(source.archive), PENGADUAN_BLIND_INDEX_KEY="other")
    assert "PENGADUAN_BLIND_INDEX_KEY is not the one" in message


async def test_non_empty_target_is_refused_unless_forced(
    source: Source, target: tuple[str, Path]
) -> None:
    message = await _unchanged(source.dsn, source.data, str(source.archive))
    assert "the target is not empty" in message and "--force" in message
    dsn, data = target
    assert cli("restore", str(source.archive), dsn=dsn, data=data).returncode == 0
    async with migrations.engine_at(dsn):
        await db.execute("UPDATE complaints SET title = 'changed' WHERE id = 1")
    forced = cli("restore", "--force", str(source.archive), dsn=dsn, data=data)
    assert forced.returncode == 0, forced.stderr
    assert "--force: replacing" in forced.stdout
    assert await table_texts(dsn) == source.texts


async def test_schema_newer_than_the_code_is_refused_and_older_is_migrated(
    source: Source, target: tuple[str, Path]
) -> None:
    dsn, data = target
    known = sorted(migrations_known())
    name = f"backup_old_{os.getpid()}"
    old = await recreate_database(source.server_dsn, name)
    try:
        await migrations.migrate(old, up_to=known[-2])
        archive = data / "old.backup"
        made = cli("backup", "--unencrypted", "--output", str(archive), dsn=old, data=data)
        assert made.returncode == 0, made.stderr
        restored = cli("restore", str(archive), dsn=dsn, data=data)
        assert restored.returncode == 0, restored.stderr
        assert "Applied 1 newer migration(s)" in restored.stdout

        async with migrations.engine_at(old):
            await db.execute(
                "INSERT INTO migration (name, app_name, ran_on) VALUES ($1, 'pengaduan', now())",
                "2099-01-01T00:00:00:000000",
            )
        made = cli("backup", "--output", str(archive), dsn=old, data=data)
        assert made.returncode == 0, made.stderr
        fresh = await recreate_database(source.server_dsn, name + "_to")
        message = await _unchanged(fresh, data, str(archive))
        assert "newer than this code" in message and "2099-01-01" in message
    finally:
        await drop_database(source.server_dsn, name)
        await drop_database(source.server_dsn, name + "_to")


def migrations_known() -> set[str]:
    from pengaduan.backup.manifest import known_migrations

    return known_migrations()
