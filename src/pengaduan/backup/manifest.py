"""What a backup holds, written last into the archive (manifest.json): the app's version, the
migrations applied, row counts per table and each entry's SHA-256 and size; and the check of
an archive against it, reading every entry before anything is changed."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from pengaduan import __version__
from pengaduan.backup.archive import Entry, entries
from pengaduan.backup.sealing import ArchiveError

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "database.dump"
EVIDENCE = "evidence/"


@dataclass
class Manifest:
    app_version: str
    created_at: str
    migrations: list[str]
    tables: dict[str, int]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_evidence: list[str] = field(default_factory=list)
    format: int = FORMAT

    @property
    def last_migration(self) -> str | None:
        return self.migrations[-1] if self.migrations else None

    @property
    def evidence(self) -> list[str]:
        return [name for name in self.files if name.startswith(EVIDENCE)]

    def to_json(self) -> bytes:
        body = {
            "format": self.format,
            "app_version": self.app_version,
            "created_at": self.created_at,
            "last_migration": self.last_migration,
            "migrations": self.migrations,
            "tables": self.tables,
            "files": self.files,
            "missing_evidence": self.missing_evidence,
        }
        return json.dumps(body, indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise ArchiveError(f"a manifest of an unknown format ({body.get('format')})")
            return cls(
                app_version=body["app_version"],
                created_at=body["created_at"],
                migrations=list(body["migrations"]),
                tables=dict(body["tables"]),
                files=dict(body["files"]),
                missing_evidence=list(body["missing_evidence"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ArchiveError(f"the manifest is unreadable: {exc}") from exc


def new_manifest(migrations: list[str], tables: dict[str, int]) -> Manifest:
    return Manifest(
        app_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        migrations=migrations,
        tables=tables,
    )


def known_migrations() -> set[str]:
    """The ids of the migrations this code has (read from migrations/, no database)."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager

    from pengaduan.db.migrations import migrations_dir

    manager = BaseMigrationManager()
    with contextlib.redirect_stdout(io.StringIO()):
        modules = manager.get_migration_modules(str(migrations_dir()))
    return set(manager.get_migration_ids(modules))


def unknown_migrations(manifest: Manifest) -> list[str]:
    """Migrations the archive's database had that this code does not know (a newer schema)."""
    known = known_migrations()
    return [m for m in manifest.migrations if m not in known]


def _hash(entry: Entry, keep: Path | None) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(keep.open("wb")) if keep else None
        for chunk in entry.chunks():
            digest.update(chunk)
            size += len(chunk)
            if out:
                out.write(chunk)
    return digest.hexdigest(), size


def check(source: BinaryIO, backup_key: str | None, dump_to: Path | None = None) -> Manifest:
    """Read the whole archive and check every entry against the manifest (raising
    ArchiveError naming the first problem); keep the database dump at `dump_to` if given."""
    seen: dict[str, tuple[str, int]] = {}
    manifest: Manifest | None = None
    try:
        for entry in entries(source, backup_key):
            if entry.name == MANIFEST:
                manifest = Manifest.from_json(b"".join(entry.chunks()))
            elif entry.name in seen:
                raise ArchiveError(f"{entry.name} is in the archive twice")
            else:
                keep = dump_to if entry.name == DUMP else None
                seen[entry.name] = _hash(entry, keep)
    except tarfile.TarError as exc:
        raise ArchiveError(f"the archive's contents are damaged: {exc}") from exc
    if manifest is None:
        raise ArchiveError("the archive has no manifest (it is incomplete)")
    for name, expected in manifest.files.items():
        if name not in seen:
            raise ArchiveError(f"{name} is missing from the archive")
        sha256, size = seen.pop(name)
        if sha256 != expected["sha256"] or size != expected["size"]:
            raise ArchiveError(f"{name} does not match its checksum in the manifest")
    if seen:
        raise ArchiveError(f"{sorted(seen)[0]} is in the archive but not in its manifest")
    if DUMP not in manifest.files:
        raise ArchiveError("the archive holds no database dump")
    return manifest
