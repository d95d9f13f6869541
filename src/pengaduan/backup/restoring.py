"""`pengaduan restore` and `pengaduan backup --verify`: the archive is read whole and every
checksum, the schema's age and the personal-data keys are checked before anything changes;
then the database is restored, the evidence put back, newer migrations applied and the
restored rows checked."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from pengaduan.accounts.personal_data import ENCRYPTED_COLUMNS, UndecryptableData, cipher_for
from pengaduan.backup import database
from pengaduan.backup.archive import Counting, entries
from pengaduan.backup.manifest import DUMP, EVIDENCE, Manifest, check, unknown_migrations
from pengaduan.backup.progress import Progress
from pengaduan.backup.sealing import ArchiveError
from pengaduan.complaints.evidence import storage_for
from pengaduan.db import migrations
from pengaduan.settings import Settings


class RestoreRefused(Exception):
    """The restore would be wrong or harmful; nothing was changed."""


class RestoreFailed(Exception):
    """The restore broke off after it had begun to change the target."""


def verify(settings: Settings, archive: Path, dump_to: Path | None = None) -> Manifest:
    """Check the archive whole against its manifest (ArchiveError when it fails)."""
    progress = Progress("verify", archive.stat().st_size)
    with archive.open("rb") as source:
        manifest = check(Counting(source, progress.advance), settings.backup_key, dump_to)
    progress.finish()
    return manifest


async def _personal_data_opens(settings: Settings, rows: AsyncIterator[dict]) -> int:
    """Decrypt every user's personal data and recompute the NIK's blind index; return the
    users checked (RestoreRefused when a key does not fit)."""
    cipher = cipher_for(settings)
    checked = 0
    async for row in rows:
        try:
            nik = cipher.decrypt(row["nik_encrypted"])
            for column in ENCRYPTED_COLUMNS[1:]:
                cipher.decrypt(row[column])
        except UndecryptableData as exc:
            raise RestoreRefused(
                f"the configured PENGADUAN_ENCRYPTION_KEYS do not decrypt user {row['id']}'s "
                "personal data in the archive: set the keys of the system that was backed up"
            ) from exc
        if nik is not None and cipher.blind_index(nik) != row["nik_index"]:
            raise RestoreRefused(
                "the configured PENGADUAN_BLIND_INDEX_KEY is not the one of the system that "
                f"was backed up (user {row['id']}'s NIK index differs)"
            )
        checked += 1
    return checked


_COLUMNS = ("id", "nik_index", *ENCRYPTED_COLUMNS)


async def _restored_rows(dsn: str) -> AsyncIterator[dict]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        for row in await conn.fetch(f"SELECT {', '.join(_COLUMNS)} FROM users ORDER BY id"):
            yield dict(row)
    finally:
        await conn.close()


def _describe(tables: dict[str, int]) -> str:
    rows = sum(tables.values())
    names = ", ".join(f"{name} ({count})" for name, count in sorted(tables.items())[:6])
    more = ", ..." if len(tables) > 6 else ""
    return f"{rows} row(s) in {len(tables)} table(s): {names}{more}"


async def _check_target(settings: Settings, dsn: str, force: bool, say: Callable) -> None:
    occupied = await database.occupied(dsn)
    storage = storage_for(settings)
    try:
        # Every blob, however new (a negative age reaches into the future).
        stored = len(await storage.keys_older_than(-86400))
    finally:
        await storage.close()
    if not occupied and not stored:
        return
    what = []
    if occupied:
        what.append(f"the database holds {_describe(occupied)}")
    if stored:
        what.append(f"the evidence storage holds {stored} file(s)")
    if not force:
        raise RestoreRefused(
            "the target is not empty: " + "; ".join(what) + ". Restore into an empty "
            "database and data folder, or give --force to replace them"
        )
    say(
        "--force: replacing everything in the database (" + "; ".join(what) + "); evidence "
        "files not in the archive stay until the orphan sweep removes them"
    )


async def _put_evidence(settings: Settings, archive: Path, manifest: Manifest) -> int:
    storage = storage_for(settings)
    progress = Progress("evidence", len(manifest.evidence))
    put = 0
    try:
        with archive.open("rb") as source:
            for entry in entries(source, settings.backup_key):
                if not entry.name.startswith(EVIDENCE):
                    continue
                data = b"".join(entry.chunks())
                expected = manifest.files[entry.name]["sha256"]
                if hashlib.sha256(data).hexdigest() != expected:
                    raise ArchiveError(f"{entry.name} changed since it was checked")
                name = entry.name[len(EVIDENCE) :]
                await storage.put(data, "." + name.rsplit(".", 1)[1])
                put += 1
                progress.advance(1)
    finally:
        await storage.close()
    progress.finish()
    return put


async def restore_backup(
    settings: Settings, dsn: str, archive: Path, *, force: bool, say: Callable[[str], None]
) -> tuple[Manifest, list[str]]:
    """Restore `archive` into the database at `dsn` and the settings' evidence storage;
    return its manifest and the migrations applied after it."""
    with tempfile.TemporaryDirectory(prefix="pengaduan-restore-") as work:
        dump_file = Path(work) / DUMP
        manifest = verify(settings, archive, dump_file)
        newer = unknown_migrations(manifest)
        if newer:
            raise RestoreRefused(
                f"the archive's database schema is newer than this code (migration "
                f"{newer[-1]} is unknown here; the archive was made by version "
                f"{manifest.app_version}): upgrade Pengaduan first, then restore"
            )
        rows = database.copied_rows(settings, dump_file, "users", _COLUMNS)
        await _personal_data_opens(settings, rows)
        await _check_target(settings, dsn, force, say)
        # From here on the target changes.
        try:
            return manifest, await _apply(settings, dsn, archive, dump_file, manifest)
        except (ArchiveError, database.ToolError, RestoreRefused, OSError) as exc:
            raise RestoreFailed(
                f"{exc}. The target is partly restored: fix the cause and restore again "
                "with --force"
            ) from exc


async def _apply(
    settings: Settings, dsn: str, archive: Path, dump_file: Path, manifest: Manifest
) -> list[str]:
    await database.restore(settings, dsn, dump_file)
    counts = await database.table_counts(dsn)
    if counts != manifest.tables:
        raise ArchiveError("the restored database's row counts differ from the manifest's")
    await _put_evidence(settings, archive, manifest)
    applied = await migrations.migrate(dsn)
    await _personal_data_opens(settings, _restored_rows(dsn))
    return applied
