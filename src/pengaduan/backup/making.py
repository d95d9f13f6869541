"""`pengaduan backup`: the database dumped in one snapshot, the evidence it references read
through the storage interface (filesystem or S3), and the manifest, into one archive written
beside its final name and renamed into place when complete."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from pengaduan.backup import database
from pengaduan.backup.archive import ArchiveWriter
from pengaduan.backup.manifest import DUMP, EVIDENCE, Manifest, new_manifest
from pengaduan.backup.progress import Progress
from pengaduan.complaints.evidence import storage_for
from pengaduan.complaints.storage import Storage
from pengaduan.settings import Settings


class BackupRefused(Exception):
    """The backup cannot be made as asked (no key, say); nothing was written."""


def default_name() -> Path:
    return Path(f"pengaduan-{datetime.now(UTC):%Y%m%d-%H%M%S}.backup")


async def make_backup(
    settings: Settings, dsn: str, output: Path, *, encrypted: bool = True
) -> Manifest:
    """Write a backup of the database at `dsn` and its evidence to `output`."""
    key = settings.backup_key if encrypted else None
    if encrypted and not key:
        raise BackupRefused(
            "no backup key: set PENGADUAN_BACKUP_KEY (or give --unencrypted, and keep the "
            "archive as safe as the database itself)"
        )
    partial = output.with_name(output.name + ".partial")
    storage = storage_for(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="pengaduan-backup-") as work:
            dump_file = Path(work) / DUMP
            async with database.snapshot(dsn) as taken:
                await database.dump(settings, dsn, taken, dump_file)
                manifest = new_manifest(taken.migrations, taken.tables)
                keys = taken.evidence_keys
            progress = Progress("backup", 1 + len(keys))
            with partial.open("wb") as out:
                writer = ArchiveWriter(out, key)
                manifest.files[DUMP] = asdict(writer.add_file(DUMP, dump_file))
                progress.advance(1)
                for name in keys:
                    await _add_evidence(writer, storage, name, manifest)
                    progress.advance(1)
                writer.add_bytes("manifest.json", manifest.to_json())
                writer.close()
                os.fsync(out.fileno())
            os.replace(partial, output)
            progress.finish()
    finally:
        partial.unlink(missing_ok=True)
        await storage.close()
    return manifest


async def _add_evidence(
    writer: ArchiveWriter, storage: Storage, name: str, manifest: Manifest
) -> None:
    try:
        blob = await storage.open(name)
    except FileNotFoundError:
        # Lost before this backup: say so, and keep the rest (one lost photo must not stop
        # every backup after it).
        print(f"pengaduan: evidence file {name} is missing from storage", file=sys.stderr)
        manifest.missing_evidence.append(name)
        return
    written = await writer.add_stream(EVIDENCE + name, blob.size, blob.chunks)
    if not name.startswith(written.sha256):
        print(f"pengaduan: evidence file {name} is damaged in storage", file=sys.stderr)
    manifest.files[EVIDENCE + name] = asdict(written)
