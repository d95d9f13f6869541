"""Public pages under load: home, archive, archive search (a common word), transparency and
the tracking form at 100 connections, then a flash crowd of 1,000 anonymous connections over
the four pages, against the ceiling of the same stack (target: the crowd >= 25 % of it).

    .venv/bin/python bench/pages_load.py [--complaints 10000] [--seconds 10] [--reuse]
                                         [--code DIR] [--database NAME]

1. Seeds its own database (`bench_pages`) with the archive search bench's generator
   (bench/search_load.py: "jalan" the commonest word), through bench/stats_load.py.
2. Starts the app (`pengaduan serve`, 2 workers) and the bare Litestar ceiling (a constant page
   as large as the home page) from bench/queue_load.py, and loads each page with wrk as an
   anonymous visitor whose browser has chosen Indonesian (`Cookie: lang=id`).
3. The flash crowd: 1,000 connections, wrk taking the four pages in turn; errors and timeouts
   (wrk's, 2 s) and total req/s against the ceiling.

`--code DIR`: run the app from another checkout (e.g. `git archive main | tar -x -C DIR`), to
compare before and after on the same data.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import queue_load  # noqa: E402
import search_load  # noqa: E402
import stats_load  # noqa: E402
from harness import bench_environment  # noqa: E402

DATABASE = "bench_pages"
TARGET_SHARE = 0.25
PAGES = [
    ("home", "/"),
    ("archive", "/arsip"),
    ("archive search (jalan)", "/arsip?q=jalan"),
    ("transparency", "/transparansi"),
    ("tracking", "/lacak"),
]
CROWD = "/|/arsip|/transparansi|/lacak"
COOKIES = ["lang=id"]


def _line(name: str, r: dict[str, float], ceiling_rps: float | None) -> str:
    share = f"  {r['rps'] / ceiling_rps:6.1%} of the ceiling" if ceiling_rps else ""
    errors = f", socket errors {r['socket_errors']}" if r["socket_errors"] else ""
    return (
        f"  {name:26} {r['rps']:8.1f} req/s   p50 {r['p50']:7.1f} ms   p99 {r['p99']:7.1f} ms"
        f"{share}   ({r['requests']:,} requests, non-2xx {r['non_2xx']}{errors})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--crowd", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    parser.add_argument(
        "--database",
        default=DATABASE,
        help=f"the bench database (default {DATABASE}); with --reuse, e.g. bench_user_pages, the"
        " million complaints of bench/user_pages_load.py",
    )
    parser.add_argument("--code", type=Path, help="run the app from this checkout")
    args = parser.parse_args()
    log_dir = bench_environment()

    stats_load.DATABASE = args.database
    stats_load.SEED_SQL = search_load.SEED_SQL
    dsn = asyncio.run(stats_load.prepare(args.reuse))
    if not args.reuse:
        print(f"Seeding {args.complaints:,} complaints ...")
        seconds = asyncio.run(stats_load.grow(dsn, args.complaints))
        print(f"  seeded in {seconds:.0f} s (with ratings and VACUUM ANALYZE)")

    extra = {}
    if args.code:
        code = args.code.resolve()
        extra = {"PENGADUAN_HOME": str(code), "PYTHONPATH": str(code / "src")}
    app = queue_load.start_app(dsn, log_dir, **extra)
    ceiling = None
    try:
        size = asyncio.run(search_load.page_size(app.url, "/"))
        ceiling = queue_load.start_ceiling(size, log_dir)
        print(
            f"\nLoad: {args.connections} connections, {args.seconds} s, wrk, anonymous"
            f" ({COOKIES[0]}), home page {size:,} bytes, {os.cpu_count()} CPU(s) shared by"
            f" wrk, app and database{', app from ' + str(args.code) if args.code else ''}"
        )
        ceiling_rps = queue_load.load(
            ceiling.url, COOKIES, args.connections, args.seconds, "/petugas/antrean"
        )
        print(_line("ceiling", ceiling_rps, None))
        for name, path in PAGES:
            r = queue_load.load(app.url, COOKIES, args.connections, args.seconds, path)
            print(_line(name, r, ceiling_rps["rps"]))

        print(f"\nFlash crowd: {args.crowd} connections over {CROWD.replace('|', ' ')}")
        top = queue_load.load(ceiling.url, COOKIES, args.crowd, args.seconds, "/petugas/antrean")
        print(_line("ceiling", top, None))
        crowd = queue_load.load(app.url, COOKIES, args.crowd, args.seconds, CROWD)
        print(_line("four pages", crowd, top["rps"]))
        share = crowd["rps"] / top["rps"]
        met = "MET" if share >= TARGET_SHARE else "MISSED"
        print(f"  target >= {TARGET_SHARE:.0%} of the ceiling: {met} ({share:.1%})")
        # wrk prints its socket errors (connect, read, write, timeout: over 2 s) only when any.
        clean = crowd["non_2xx"] == 0 and not crowd["socket_errors"]
        seen = crowd["socket_errors"] or "none"
        print(
            f"  target 0 errors, 0 timeouts: {'MET' if clean else 'MISSED'} (socket errors: {seen})"
        )
    finally:
        app.stop()
        if ceiling is not None:
            ceiling.stop()


if __name__ == "__main__":
    main()
