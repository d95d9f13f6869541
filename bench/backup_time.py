"""Backup and restore time and archive size for N complaints (issue 16's closing note).

    .venv/bin/python bench/backup_time.py [--complaints 100000] [--evidence 1000]

1. Creates its own database (`bench_backup`) on the embedded PostgreSQL in var/bench-pgdata,
   migrated, with the demo set plus N generated complaints (`demo.seed(bulk_complaints=N)`,
   as `pengaduan seed-demo --complaints N`), and a small real photo (plus its thumbnail) on
   `--evidence` of them, in a data folder of its own (var/bench/backup-source).
2. Times `pengaduan backup` (encrypted, as by default) of it, in this process.
3. Times `pengaduan restore` of that archive into a fresh database (`bench_backup_restored`)
   and a fresh data folder: the whole of it, checks before and after included.
Prints the times, the archive's size and the dump's share.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from harness import bench_environment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
KEYS = {
    "PENGADUAN_BACKUP_KEY": "bench-backup-key-" + "b" * 24,
    "PENGADUAN_ENCRYPTION_KEYS": "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=",
    "PENGADUAN_BLIND_INDEX_KEY": "bench-blind-index-key",
}


async def seed(dsn: str, settings, complaints: int, evidence_files: int) -> None:
    from pengaduan import db, demo
    from pengaduan.complaints import evidence
    from pengaduan.complaints.storage import FileSystemStorage
    from pengaduan.complaints.tables import EvidenceFile
    from pengaduan.db import migrations
    from tests.support.images import jpeg

    await migrations.migrate(dsn)
    await demo.seed(settings, dsn, bulk_complaints=complaints)
    storage = FileSystemStorage(settings.uploads_dir)
    async with migrations.engine_at(dsn):
        rows = await db.fetch(
            "SELECT id, reporter FROM complaints ORDER BY id LIMIT $1", evidence_files
        )
        for i, row in enumerate(rows):
            size = (64 + i % 200, 48 + i // 200 % 200)  # distinct pictures, distinct blobs
            stored = await evidence.store(
                storage, evidence.prepare(f"foto{i}.jpg", jpeg(size), 10_000_000)
            )
            await EvidenceFile.insert(
                EvidenceFile(
                    complaint=row["id"],
                    uploaded_by=row["reporter"],
                    uploaded_at=datetime.now(UTC),
                    **dataclasses.asdict(stored),
                )
            )


async def run(complaints: int, evidence_files: int) -> None:
    from pengaduan import db
    from pengaduan.backup import making, restoring
    from pengaduan.db import embedded
    from tests.support.databases import recreate_database, settings_for

    folder = bench_environment()
    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    server_dsn = db.with_database(server.server_dsn, "postgres")
    source_dir, target_dir = folder / "backup-source", folder / "backup-target"
    for path in (source_dir, target_dir):
        shutil.rmtree(path, ignore_errors=True)
    dsn = await recreate_database(server_dsn, "bench_backup")
    source = settings_for(dsn, PENGADUAN_DATA_DIR=str(source_dir), **KEYS)
    started = time.perf_counter()
    await seed(dsn, source, complaints, evidence_files)
    print(
        f"seeded {complaints:,} complaints, {evidence_files:,} with a photo, "
        f"in {time.perf_counter() - started:.1f} s"
    )

    archive = folder / "bench.backup"
    started = time.perf_counter()
    manifest = await making.make_backup(source, dsn, archive)
    backup_seconds = time.perf_counter() - started
    size = archive.stat().st_size
    dump = manifest.files["database.dump"]["size"]

    target_dsn = await recreate_database(server_dsn, "bench_backup_restored")
    target = settings_for(target_dsn, PENGADUAN_DATA_DIR=str(target_dir), **KEYS)
    started = time.perf_counter()
    await restoring.restore_backup(target, target_dsn, archive, force=False, say=print)
    restore_seconds = time.perf_counter() - started

    print(f"complaints          {manifest.tables['complaints']:>12,}")
    print(f"rows in all tables  {sum(manifest.tables.values()):>12,}")
    print(f"evidence files      {len(manifest.evidence):>12,}")
    print(f"archive size        {size / 2**20:>10.1f} MiB  (database dump {dump / 2**20:.1f} MiB)")
    print(f"backup              {backup_seconds:>10.1f} s")
    print(f"restore             {restore_seconds:>10.1f} s  (verify, checks, pg_restore, files)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--evidence", type=int, default=1_000, help="complaints with a photo")
    args = parser.parse_args()
    asyncio.run(run(args.complaints, args.evidence))
    return 0


if __name__ == "__main__":
    sys.exit(main())
