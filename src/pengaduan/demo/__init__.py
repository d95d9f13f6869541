"""Demo data (development only): `seed` writes the base set once (units, categories, accounts,
about fifty complaints in every status with their history and messages) and, with
`bulk_complaints`, adds that many generated complaints through COPY, fast enough for 100,000 in
well under a minute.

    data.py        the fixed set: units, categories, accounts, places, stories, replies
    generation.py  complaints drawn from it, moved along the lifecycle's own transitions
    loading.py     writing them (through pengaduan.db)
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator

from pengaduan import db
from pengaduan.categorising import learning
from pengaduan.complaints.numbering import sync_number_sequence
from pengaduan.db import migrations
from pengaduan.demo import loading
from pengaduan.demo.data import CATEGORIES, DEMO_ACCOUNTS, UNITS
from pengaduan.settings import Settings

# One seeder at a time (a transaction-level advisory lock on this key).
SEED_LOCK = 727001


@contextlib.asynccontextmanager
async def _engine_at(dsn: str) -> AsyncIterator[None]:
    """The engine pointed at `dsn`: as it is when it already is (a running app's pool, the
    CLI), else for the while (a test or bench seeding a server it does not serve from)."""
    if db.ENGINE.config.get("dsn") == dsn:
        yield
        return
    async with migrations.engine_at(dsn):
        yield


async def seed(settings: Settings, dsn: str, bulk_complaints: int = 0) -> None:
    """Write the demo set (once) and optionally `bulk_complaints` more complaints."""
    async with _engine_at(dsn):
        async with db.ENGINE.transaction():
            # A second concurrent run waits, then finds the data.
            await db.execute("SELECT pg_advisory_xact_lock($1)", SEED_LOCK)
            created = await loading.ensure_base(settings)
            await loading.ensure_contacts(settings)
            base = await loading.load_base()
            if created:
                n = await loading.insert_realistic(base, random.Random(2026))
                # The numbers were written here, around the sequence: move it past them.
                await sync_number_sequence()
                print(
                    f"Demo data written: {len(UNITS)} units, {len(CATEGORIES)} categories, "
                    f"{len(DEMO_ACCOUNTS)} accounts, {n} complaints."
                )
            else:
                print("Demo data is already present.")
        if bulk_complaints > 0:
            started = time.monotonic()
            print(f"Writing {bulk_complaints:,} generated complaints...")
            await loading.insert_bulk(base, bulk_complaints, seed=time.time_ns())
            await sync_number_sequence()
            await db.execute("ANALYZE complaints; ANALYZE status_history")
            print(f"Done in {time.monotonic() - started:.1f} s.")
        if created or bulk_complaints > 0:
            # Written around the app: the suggestion learns the generated classifications.
            await learning.rebuild()
    print_accounts()


def print_accounts() -> None:
    print("\nDemo accounts (development only):")
    seen = set()
    for username, password, role, _name, _unit in DEMO_ACCOUNTS:
        if role in seen:
            continue
        seen.add(role)
        extra = {
            "officer": "  (also petugas.dlh, petugas.dukcapil, ...: one per unit)",
            "citizen": "  (also warga2, warga3, warga4)",
        }.get(role, "")
        print(f"  {role:8} {username:18} {password}{extra}")
