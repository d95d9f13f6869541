"""Category suggestion: accuracy against the "most frequent category" baseline, and the time
of one suggestion, at 10,000 and at 1,000,000 complaints (target: p99 <= 20 ms).

    .venv/bin/python bench/categorise.py [--sizes 10000,1000000] [--sample 2000] [--reuse]

1. Creates its own database (`bench_categorise`) on the embedded PostgreSQL in
   var/bench-pgdata, migrated, with the demo set, then for each size adds complaints up to it:
   each text composed in Python for its category by demo.texts (as `pengaduan seed-demo
   --complaints` does: category-dependent, with noise and overlap), the rows written in SQL by
   the statistics bench's generator (bench/stats_load.py), 100,000 a statement.
2. Splits the officer-classified complaints (verified) 80/20 by id (id % 5 == 0 held out),
   learns from the 80 % through the rebuild (`pengaduan categorise rebuild`, timed), and
   suggests for up to `--sample` held-out complaints: top-1 and top-3 accuracy beside the
   baseline's (the categories commonest in the 80 %).
3. Times `categorising.suggest` in this process on one connection, as a worker runs it: p50,
   p99 and the slowest, over the same texts; and PostgreSQL's own part (EXPLAIN ANALYZE of
   its one query) for 500 of them.

`--reuse` measures an existing `bench_categorise` again as it is: no seeding, no relearning
(the run that seeded it left the 80 % learned).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import stats_load

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
DATABASE = "bench_categorise"
TARGET_P99_MS = 20.0
HELD_OUT = 5  # one complaint in five


def held_out(complaint_id: int) -> bool:
    return complaint_id % HELD_OUT == 0


async def prepare(reuse: bool) -> str:
    from pengaduan import db
    from pengaduan.db import embedded, migrations
    from tests.support.databases import recreate_database

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = db.with_database(server.server_dsn, DATABASE)
    if not reuse:
        dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), DATABASE)
        await migrations.migrate(dsn)
    return dsn


# The statistics bench's SQL generator (100,000 complaints a statement), with this bench's
# category and texts per row from a staging table filled by demo.texts.
SEED_SQL = (
    stats_load.SEED_SQL.replace(
        "SELECT g, 1 + floor(random() * cardinality(cats.ids))::int AS ci,",
        "SELECT b.g AS g, b.ci AS ci, b.title AS text_title, b.body AS text_body,",
    )
    .replace(
        "FROM generate_series($1::int, $2::int) AS g, cats",
        "FROM bench_texts b, cats WHERE b.g BETWEEN $1 AND $2",
    )
    .replace("'Keluhan uji ' || g", "text_title")
    .replace("'Isi pengaduan uji beban statistik nomor ' || g", "text_body")
)
assert SEED_SQL.count("text_title") == 2 and "bench_texts" in SEED_SQL


async def grow(dsn: str, size: int) -> None:
    """The demo set, then complaints up to `size`, each text composed for its category (the
    Python generator with its COPY is ten times slower at a million)."""
    import random

    import asyncpg

    from pengaduan import demo
    from pengaduan.demo import texts
    from pengaduan.demo.data import PLACES
    from tests.support.databases import settings_for

    await demo.seed(settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4"), dsn)
    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        have = await conn.fetchval("SELECT count(*) FROM complaints")
        first = await conn.fetchval("SELECT coalesce(max(id), 0) FROM complaints") + 1
        names = [r["name"] for r in await conn.fetch("SELECT name FROM categories ORDER BY id")]
        rng = random.Random(size)
        await conn.execute(
            "CREATE UNLOGGED TABLE IF NOT EXISTS bench_texts"
            " (g int PRIMARY KEY, ci int, title text, body text)"
        )
        started, done, wanted = time.monotonic(), 0, max(0, size - have)
        while done < wanted:
            n = min(stats_load.CHUNK, wanted - done)
            rows = []
            for g in range(first + done, first + done + n):
                ci = rng.randrange(len(names))
                title, body = texts.compose(rng, names[ci], rng.choice(PLACES))
                rows.append((g, ci + 1, title, body))
            await conn.execute("TRUNCATE bench_texts")
            await conn.copy_records_to_table("bench_texts", records=rows)
            await conn.execute(SEED_SQL, first + done, first + done + n - 1)
            done += n
            rate = done / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(f"\r  {have + done:>9,} complaints ({rate:,.0f}/s)")
            sys.stderr.flush()
        sys.stderr.write("\n")
        await conn.execute("DROP TABLE bench_texts")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _suggest_all(
    tests: list, commonest: list[int], hits: Counter[str], times: list[float]
) -> None:
    """Suggest for every held-out complaint on one pooled connection, as a worker does."""
    from pengaduan import db
    from pengaduan.categorising import suggest

    async with db.one_connection():
        for row in tests[:50]:  # warm: statements prepared, pages cached
            await suggest(f"{row['title']}\n{row['body']}")
        for row in tests:
            t0 = time.perf_counter()
            suggestions = await suggest(f"{row['title']}\n{row['body']}")
            times.append((time.perf_counter() - t0) * 1000)
            ids = [s.category_id for s in suggestions]
            hits["top1"] += ids[:1] == [row["category"]]
            hits["top3"] += row["category"] in ids[:3]
            hits["base1"] += commonest[:1] == [row["category"]]
            hits["base3"] += row["category"] in commonest[:3]


async def server_times(tests: list) -> list[float]:
    """PostgreSQL's own time for each text's one query (EXPLAIN ANALYZE), without the client,
    the network and the event loop: what the database adds at this size."""
    import json

    from pengaduan import db
    from pengaduan.categorising import suggesting
    from pengaduan.categorising.terms import terms_of

    times = []
    for row in tests:
        plan = await db.fetchval(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + suggesting.COUNTS_SQL,
            terms_of(f"{row['title']}\n{row['body']}"),
        )
        times.append(json.loads(plan)[0]["Execution Time"])
    return times


async def measure(dsn: str, sample: int, relearn: bool = True) -> dict[str, float]:
    from pengaduan import db
    from pengaduan.categorising import learning
    from pengaduan.db import migrations

    async with migrations.engine_at(dsn):
        total = await db.fetchval("SELECT count(*) FROM complaints")
        started = time.monotonic()
        if relearn:
            learned = await learning.rebuild(include=lambda i: not held_out(i))
        else:
            learned = await db.fetchval("SELECT coalesce(sum(documents), 0) FROM category_counts")
        rebuild_s = time.monotonic() - started
        training = await db.fetch(
            "SELECT category, count(*) AS n FROM complaints"
            f" WHERE verified_at IS NOT NULL AND id % {HELD_OUT} <> 0 GROUP BY category"
        )
        commonest = [r["category"] for r in sorted(training, key=lambda r: -r["n"])]
        tests = await db.fetch(
            "SELECT id, category, title, body FROM complaints"
            f" WHERE verified_at IS NOT NULL AND id % {HELD_OUT} = 0"
            " ORDER BY md5(id::text) LIMIT $1",
            sample,
        )
        hits: Counter[str] = Counter()
        times: list[float] = []
        await db.ENGINE.start_connection_pool(min_size=1, max_size=1)
        try:
            await _suggest_all(tests, commonest, hits, times)
            async with db.one_connection():
                in_server = await server_times(tests[:500])
        finally:
            await db.ENGINE.close_connection_pool()
    n = len(tests)
    return {
        "complaints": total,
        "learned": learned,
        "rebuild_s": rebuild_s,
        "tested": n,
        **{k: hits[k] / n for k in ("top1", "top3", "base1", "base3")},
        "p50": statistics.median(times),
        "p99": _percentile(times, 0.99),
        "max": max(times),
        "server_p50": statistics.median(in_server),
        "server_p99": _percentile(in_server, 0.99),
    }


def report(result: dict[str, float]) -> None:
    print(
        f"\n{result['complaints']:,.0f} complaints; learned from {result['learned']:,.0f}"
        f" classified (80 %) in {result['rebuild_s']:.1f} s; tested on {result['tested']:,.0f}"
        " held-out ones"
    )
    print(f"  {'':24}{'top-1':>8}{'top-3':>8}")
    print(f"  {'suggestion':24}{result['top1']:>8.1%}{result['top3']:>8.1%}")
    print(f"  {'most frequent category':24}{result['base1']:>8.1%}{result['base3']:>8.1%}")
    verdict = "ok" if result["p99"] <= TARGET_P99_MS else "OVER TARGET"
    print(
        f"  latency of one suggestion: p50 {result['p50']:.2f} ms, p99 {result['p99']:.2f} ms"
        f" (target <= {TARGET_P99_MS:.0f}: {verdict}), slowest {result['max']:.2f} ms"
    )
    print(
        f"  of which in PostgreSQL (EXPLAIN ANALYZE): p50 {result['server_p50']:.2f} ms,"
        f" p99 {result['server_p99']:.2f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    dsn = await prepare(args.reuse)
    if args.reuse:
        report(await measure(dsn, args.sample, relearn=False))
        return
    for size in (int(s) for s in args.sizes.split(",")):
        await grow(dsn, size)
        report(await measure(dsn, args.sample))


if __name__ == "__main__":
    asyncio.run(main())
