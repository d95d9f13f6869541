"""The statistics page's server time at 10,000 and at 1,000,000 complaints (target: < 1 s).

    .venv/bin/python bench/stats_load.py [--sizes 10000,1000000] [--runs 5] [--reuse] [--explain]

1. Creates its own database (`bench_stats`) on the embedded PostgreSQL in var/bench-pgdata,
   migrated, with the demo set (units, categories, accounts) and three officers per unit.
2. For each size, in order, adds complaints up to that size in SQL (INSERT ... SELECT from
   generate_series, 100,000 per statement, so the statement-level triggers that keep the
   daily aggregate run as they would for a bulk import), with every status, first responses,
   resolutions, deadlines, officers, public/private and anonymous ones, then ratings for half
   of the closed ones, then VACUUM ANALYZE (what autovacuum would have done by then).
3. Runs the app in this process (its lifespan, pool and all), logs in the demo admin and
   times the statistics views end to end through the ASGI app (no network): the whole page
   for several filters, the htmx region, the live cards, and the public transparency page
   (its short cache cleared). Prints the median and the slowest of `--runs` runs for each,
   and beside them the target.

`--reuse` measures an existing `bench_stats` as it is (no seeding). `--explain` prints the
plans of the statistics queries at the last size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from harness import log_in

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
DATABASE = "bench_stats"
TARGET_SECONDS = 1.0
CHUNK = 100_000
ADMIN = ("admin", "pengaduan-admin-demo")

# One statement per chunk: every value drawn in SQL (statuses as demo.data.STATUS_WEIGHTS).
SEED_SQL = """
WITH cats AS (
    SELECT array_agg(id ORDER BY id) AS ids, array_agg(default_unit ORDER BY id) AS units,
           array_agg(deadline_days ORDER BY id) AS days FROM categories
), staff AS (
    SELECT unit, array_agg(id ORDER BY id) AS ids FROM users WHERE role = 'officer' GROUP BY unit
), people AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE role = 'citizen'
), drawn AS (
    SELECT g, 1 + floor(random() * cardinality(cats.ids))::int AS ci, random() AS rs,
           now() - random() * interval '730 days' AS submitted,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
    FROM generate_series($1::int, $2::int) AS g, cats
), shaped AS (
    SELECT d.*, cats.ids[ci] AS category, cats.units[ci] AS unit, cats.days[ci] AS deadline,
           CASE WHEN rs < 0.10 THEN 'pending' WHEN rs < 0.20 THEN 'verified'
                WHEN rs < 0.40 THEN 'in_progress' WHEN rs < 0.60 THEN 'resolved'
                WHEN rs < 0.88 THEN 'closed' WHEN rs < 0.98 THEN 'rejected'
                ELSE 'withdrawn' END AS status
    FROM drawn d, cats
), timed AS (
    SELECT s.*,
           CASE WHEN status IN ('pending', 'withdrawn') THEN NULL
                ELSE least(now(), submitted + (1 + r1 * 72) * interval '1 hour') END AS first_at,
           CASE WHEN status IN ('resolved', 'closed')
                THEN least(now(), submitted + (2 + r1 * 72 + r2 * (deadline * 24 + 72))
                                              * interval '1 hour') END AS resolved_at
    FROM shaped s
)
INSERT INTO complaints (number, tracking_code, reporter, category, unit, officer, title, body,
    location_text, status, priority, citizen_urgency, is_anonymous, is_public, submitted_at,
    verified_at, resolved_at, closed_at, due_at, updated_at, assigned_at, first_response_at)
SELECT format('ADU-%s-%s', extract(year FROM submitted)::int, lpad(g::text, 7, '0')),
       upper(substr(md5(g::text), 1, 8)),
       people.ids[1 + floor(r5 * cardinality(people.ids))::int],
       category, t.unit,
       CASE WHEN status IN ('pending', 'withdrawn') THEN NULL
            ELSE staff.ids[1 + floor(r4 * cardinality(staff.ids))::int] END,
       'Keluhan uji ' || g, 'Isi pengaduan uji beban statistik nomor ' || g, 'Bandung',
       status,
       (ARRAY['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + floor(r3 * 6)::int],
       'normal', r4 < 0.1, r5 > 0.15, submitted,
       CASE WHEN status NOT IN ('pending', 'withdrawn', 'rejected') THEN first_at END,
       resolved_at,
       CASE WHEN status = 'closed' THEN least(now(), resolved_at + r3 * interval '14 days')
            WHEN status IN ('rejected', 'withdrawn') THEN coalesce(first_at, submitted) END,
       submitted + deadline * interval '1 day',
       coalesce(resolved_at, first_at, submitted),
       CASE WHEN status NOT IN ('pending', 'withdrawn') THEN first_at END,
       first_at
FROM timed t
LEFT JOIN staff ON staff.unit = t.unit
CROSS JOIN people
"""
RATINGS_SQL = """
INSERT INTO ratings (complaint, score, comment, created_at)
SELECT id, 1 + floor(random() * 5)::int, '', closed_at FROM complaints c
WHERE status = 'closed' AND random() < 0.5
  AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.complaint = c.id)
"""
VIEWS = [
    ("page, last 30 days (default)", "/admin/statistik", False),
    ("page, last 12 months", "/admin/statistik?period=365", False),
    ("page, all time", "/admin/statistik?period=all", False),
    ("page, all time, one unit + category", "/admin/statistik?period=all&unit=1&category=1", False),
    ("htmx region, this year", "/admin/statistik?period=year", True),
    ("live cards, last 30 days", "/admin/statistik/kartu", True),
    ("public /transparansi, 12 months", "/transparansi", False),
]


async def prepare(reuse: bool) -> str:
    import asyncpg

    from pengaduan import db, demo
    from pengaduan.accounts.passwords import hash_password_sync
    from pengaduan.db import embedded, migrations
    from tests.support.databases import recreate_database, settings_for

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = db.with_database(server.server_dsn, DATABASE)
    if reuse:
        return dsn
    dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), DATABASE)
    await migrations.migrate(dsn)
    await demo.seed(settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4"), dsn)
    conn = await asyncpg.connect(dsn)
    try:
        units = [r["id"] for r in await conn.fetch("SELECT id FROM units ORDER BY id")]
        password = hash_password_sync("bench-petugas-sandi", 4)
        await conn.executemany(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, unit, nip, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, now(), $3, $4, 'officer', $5, $6, 'id', true, now(), now())",
            [
                (
                    f"bench.stat{i:03d}",
                    f"bench.stat{i:03d}@bench.test",
                    password,
                    f"Petugas Statistik {i:03d}",
                    unit,
                    f"1991{i:014d}",
                )
                for i, unit in enumerate(u for u in units for _ in range(2))
            ],
        )
    finally:
        await conn.close()
    return dsn


async def grow(dsn: str, size: int) -> float:
    """Add complaints until there are `size`; the seconds it took (with ratings, VACUUM)."""
    import asyncpg

    conn = await asyncpg.connect(dsn, command_timeout=3600)
    try:
        have = await conn.fetchval("SELECT count(*) FROM complaints")
        first = await conn.fetchval("SELECT coalesce(max(id), 0) FROM complaints") + 1
        started = time.monotonic()
        done = 0
        wanted = max(0, size - have)
        while done < wanted:
            n = min(CHUNK, wanted - done)
            await conn.execute(SEED_SQL, first + done, first + done + n - 1)
            done += n
            rate = done / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(f"\r  {have + done:>9,} complaints ({rate:,.0f}/s)")
            sys.stderr.flush()
        sys.stderr.write("\n")
        await conn.execute(RATINGS_SQL)
        await conn.execute("VACUUM ANALYZE")
        return time.monotonic() - started
    finally:
        await conn.close()


async def check_aggregate(dsn: str) -> bool:
    """The aggregate the triggers kept equals the complaints counted directly."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        direct = await conn.fetchval("SELECT count(*) FROM complaints")
        kept = await conn.fetchval("SELECT sum(complaints) FROM complaint_daily")
        ratings = await conn.fetchval("SELECT count(*) FROM ratings")
        kept_ratings = await conn.fetchval("SELECT sum(rating_count) FROM complaint_daily")
        return direct == kept and ratings == kept_ratings
    finally:
        await conn.close()


async def check_medians(dsn: str) -> bool:
    """The medians the page shows equal PostgreSQL's percentile_cont over the complaints
    themselves (sorting them all: slow, which is why the page does not), for several views."""
    import asyncpg

    from pengaduan.statistics import queries
    from pengaduan.statistics.filters import StatsFilters

    conn = await asyncpg.connect(dsn, command_timeout=600)
    try:
        unit = await conn.fetchval("SELECT min(id) FROM units")
        category = await conn.fetchval(
            "SELECT min(id) FROM categories WHERE default_unit = $1", unit
        )
        for filters, public in (
            (StatsFilters(), False),
            (StatsFilters(period="all"), False),
            (StatsFilters(period="365", unit=unit, category=category), False),
            (StatsFilters(period="year"), True),
        ):
            start, end = filters.days()
            for kind, (expr, present, _buckets) in queries.MEDIANS.items():
                sql, args = queries.median_sql(kind, filters, start, end, public)
                fast = queries.median(await conn.fetch(sql, *args))
                where = queries.rows_where(filters, start, end, public)
                rows = where.sql
                exact = await conn.fetchval(
                    f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY"
                    f" extract(epoch FROM {expr})::float8) FROM complaints"
                    f" WHERE {present} AND {rows}",
                    *where.args,
                )
                if fast is None or exact is None or abs(fast - exact) > 1e-6:
                    print(
                        f"  median {kind} differs for {filters.query_string()}: {fast} != {exact}"
                    )
                    return False
            sql, args = queries.unit_medians_sql(filters, start, end, public)
            values: dict[int, list] = {}
            for row in await conn.fetch(sql, *args):
                values.setdefault(row["unit"], []).append(row)
            where = queries.rows_where(filters, start, end, public)
            rows = where.sql
            exact_units = await conn.fetch(
                "SELECT unit, percentile_cont(0.5) WITHIN GROUP (ORDER BY"
                " extract(epoch FROM resolved_at - submitted_at)::float8) AS m FROM complaints"
                f" WHERE resolved_at IS NOT NULL AND {rows} GROUP BY unit",
                *where.args,
            )
            for row in exact_units:
                fast = queries.median(values.get(row["unit"], []))
                if fast is None or abs(fast - row["m"]) > 1e-6:
                    print(f"  unit {row['unit']} median differs: {fast} != {row['m']}")
                    return False
        return True
    finally:
        await conn.close()


async def measure(dsn: str, runs: int) -> list[tuple[str, list[float], int]]:
    import httpx

    from pengaduan.app import create_app
    from pengaduan.statistics import public
    from tests.support.databases import settings_for

    app = create_app(
        settings_for(
            dsn, PENGADUAN_OUTBOX_IN_APP="false", PENGADUAN_DATA_DIR=str(ROOT / "var" / "bench")
        )
    )
    results = []
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=120
        ) as client:
            await log_in(client, *ADMIN)
            for label, url, partial in VIEWS:
                headers = {"HX-Request": "true"} if partial else {}
                await client.get(url, headers=headers)  # warm: templates, prepared statements
                timings = []
                size = 0
                for _ in range(runs):
                    public.clear_public_cache()
                    started = time.perf_counter()
                    response = await client.get(url, headers=headers)
                    timings.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise SystemExit(f"{url}: {response.status_code}")
                    size = len(response.content)
                results.append((label, timings, size))
    return results


async def explain(dsn: str) -> str:
    import asyncpg

    from pengaduan.statistics import queries
    from pengaduan.statistics.filters import StatsFilters

    filters = StatsFilters(period="all")
    start, end = filters.days()
    conn = await asyncpg.connect(dsn)
    out = []
    try:
        for name, (sql, args) in (
            ("aggregate per day", queries.daily_sql(filters, start, end, False)),
            ("aggregate per dimension", queries.dimensions_sql(filters, start, end, False)),
            ("overdue", queries.overdue_sql(filters, start, end, False)),
            ("median resolve", queries.median_sql("resolve", filters, start, end, False)),
            (
                "median first response",
                queries.median_sql("first_response", filters, start, end, False),
            ),
            ("unit medians", queries.unit_medians_sql(filters, start, end, False)),
        ):
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)
            out.append(f"--- {name}\n" + "\n".join(r[0] for r in rows))
    finally:
        await conn.close()
    return "\n".join(out)


def main() -> int:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    dsn = asyncio.run(prepare(args.reuse))
    for size in sizes:
        if not args.reuse:
            seconds = asyncio.run(grow(dsn, size))
            print(f"\nSeeded up to {size:,} complaints in {seconds:.1f} s (with VACUUM ANALYZE).")
        ok = asyncio.run(check_aggregate(dsn))
        print(f"Daily aggregate equals the complaints and ratings counted directly: {ok}")
        exact = asyncio.run(check_medians(dsn))
        print(
            f"Medians equal percentile_cont over the complaints (4 views, overall and per unit): {exact}"
        )
        print(f"Statistics server time at {size:,} complaints ({args.runs} runs each):")
        print(f"  {'view':40} {'median':>9} {'slowest':>9} {'bytes':>8}  target")
        for label, timings, page_bytes in asyncio.run(measure(dsn, args.runs)):
            median, worst = statistics.median(timings), max(timings)
            verdict = "ok" if worst < TARGET_SECONDS else "OVER"
            print(
                f"  {label:40} {median * 1000:7.0f} ms {worst * 1000:7.0f} ms {page_bytes:>8,}"
                f"  < {TARGET_SECONDS * 1000:.0f} ms {verdict}"
            )
    if args.explain:
        print(asyncio.run(explain(dsn)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
