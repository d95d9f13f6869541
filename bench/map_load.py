"""The map's cluster query time at 10,000 and at 1,000,000 complaints.

    .venv/bin/python bench/map_load.py [--sizes 10000,1000000] [--runs 7] [--reuse]

1. Creates its own database (`bench_map`) on the embedded PostgreSQL in var/bench-pgdata,
   migrated, with the demo set (units, categories, accounts).
2. For each size, in order, adds complaints up to that size with bench/stats_load.py's
   seeding statement (INSERT ... SELECT, 100,000 per statement: the statement-level triggers,
   complaint_cells' among them, run as for a bulk import), given positions across a province
   (West Java): 70 % around four cities, the rest anywhere; then VACUUM ANALYZE.
3. Runs the app in this process and times the clusters endpoints end to end through the ASGI
   app (no network) for the whole province, a city, a street, and the archive searched,
   for the public archive and for the queue (an officer's unit, an admin's every unit).
   Prints the median and the slowest of `--runs`, and how many clusters each view returned.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from harness import bench_environment, log_in
from stats_load import CHUNK, SEED_SQL

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
DATABASE = "bench_map"
TARGET_MS = 100
CITIES = "ARRAY[-6.914, -6.238, -6.595, -6.732]", "ARRAY[107.609, 106.975, 106.806, 108.552]"
# 70 % around a city (about ±15 km), the rest anywhere in the province.
SPREAD = "(random() + random() + random() - 1.5) * 0.1"
LATITUDE = (
    f"CASE WHEN g % 10 < 7 THEN ({CITIES[0]})[1 + g % 4] + {SPREAD} ELSE -7.8 + random() * 1.9 END"
)
LONGITUDE = (
    f"CASE WHEN g % 10 < 7 THEN ({CITIES[1]})[1 + g % 4] + {SPREAD} ELSE 106.4 + random() * 2.4 END"
)
MAP_SEED_SQL = SEED_SQL.replace(
    "location_text, status, priority", "location_text, latitude, longitude, status, priority"
).replace("'Bandung',\n       status,", f"'Bandung', {LATITUDE}, {LONGITUDE},\n       status,")
PROVINCE = "106.3,-7.9,108.9,-5.8"
VIEWS = [
    ("archive, whole province (zoom 8)", "/arsip/peta/titik", f"bbox={PROVINCE}&zoom=8"),
    ("archive, one city (zoom 12)", "/arsip/peta/titik", "bbox=107.45,-7.05,107.75,-6.75&zoom=12"),
    ("archive, a street (zoom 16)", "/arsip/peta/titik", "bbox=107.6,-6.92,107.62,-6.90&zoom=16"),
    ("archive, province, one category", "/arsip/peta/titik", f"bbox={PROVINCE}&zoom=8&category=1"),
    ("archive, province, text search", "/arsip/peta/titik", f"bbox={PROVINCE}&zoom=8&q=jalan"),
    ("queue (admin), whole province", "/petugas/antrean/peta/titik", f"bbox={PROVINCE}&zoom=8"),
    (
        "queue (admin), any status",
        "/petugas/antrean/peta/titik",
        f"bbox={PROVINCE}&zoom=8&status=any",
    ),
]
OFFICER_VIEWS = [
    ("queue (officer), whole province", "/petugas/antrean/peta/titik", f"bbox={PROVINCE}&zoom=8"),
    (
        "queue (officer), a street",
        "/petugas/antrean/peta/titik",
        "bbox=107.6,-6.92,107.62,-6.90&zoom=16",
    ),
]


async def prepare(reuse: bool, database: str = DATABASE) -> str:
    from pengaduan import db, demo
    from pengaduan.db import embedded, migrations
    from tests.support.databases import recreate_database, settings_for

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = db.with_database(server.server_dsn, database)
    if reuse:
        return dsn
    dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), database)
    await migrations.migrate(dsn)
    await demo.seed(settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4"), dsn)
    return dsn


async def grow(dsn: str, size: int) -> float:
    import asyncpg

    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        have = await conn.fetchval("SELECT count(*) FROM complaints")
        first = await conn.fetchval("SELECT coalesce(max(id), 0) FROM complaints") + 1
        started, done, wanted = time.monotonic(), 0, max(0, size - have)
        while done < wanted:
            n = min(CHUNK, wanted - done)
            await conn.execute(MAP_SEED_SQL, first + done, first + done + n - 1)
            done += n
            rate = done / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(f"\r  {have + done:>9,} complaints ({rate:,.0f}/s)")
        sys.stderr.write("\n")
        await conn.execute("VACUUM ANALYZE")
        return time.monotonic() - started
    finally:
        await conn.close()


async def measure(dsn: str, runs: int) -> list[tuple[str, list[float], int, str]]:
    import httpx

    from pengaduan.app import create_app
    from tests.support.databases import settings_for

    settings = settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4", PENGADUAN_OUTBOX_IN_APP="false")
    app = create_app(settings)
    results = []
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        for (user, password), views in (
            (("admin", "pengaduan-admin-demo"), VIEWS),
            (("petugas.pupr", "pengaduan-petugas-demo"), OFFICER_VIEWS),
        ):
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await log_in(client, user, password)
                for name, path, query in views:
                    times, answer = [], {}
                    for _ in range(runs + 1):  # the first warms the plan cache
                        started = time.perf_counter()
                        response = await client.get(f"{path}?{query}")
                        times.append(time.perf_counter() - started)
                        assert response.status_code == 200, response.text
                        answer = response.json()
                    shown = sum(c["count"] for c in answer["clusters"])
                    note = f"{len(answer['clusters'])} clusters, {shown:,} complaints"
                    note += f", {answer['source']}" + (", capped" if answer["capped"] else "")
                    results.append((name, times[1:], len(answer["clusters"]), note))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--database", default=DATABASE, help="keep another size apart")
    args = parser.parse_args()
    bench_environment()

    async def run() -> None:
        dsn = await prepare(args.reuse, args.database)
        sizes = [int(s) for s in args.sizes.split(",")] if not args.reuse else [0]
        for size in sizes:
            if size:
                seconds = await grow(dsn, size)
                print(f"\n{size:,} complaints (seeded in {seconds:.0f} s, triggers included):")
            for name, times, _count, note in await measure(dsn, args.runs):
                median, slowest = statistics.median(times) * 1000, max(times) * 1000
                verdict = "ok" if median <= TARGET_MS else "SLOW"
                print(
                    f"  {name:<36} median {median:6.1f} ms, slowest {slowest:6.1f} ms"
                    f"  (target {TARGET_MS} ms: {verdict})  [{note}]"
                )

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
