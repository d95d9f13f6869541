"""Logged-in pages under load, uncached: the account page, a citizen's complaint, My
complaints, notifications, the officer's complaint page, home page and queue (the app started
with PENGADUAN_PAGE_CACHE=false: rendered every time, not given again), the admin complaint
list (as it opens, and searched for a word found nowhere and for a common one), and the
tracking page answered for a number and code (anonymous), each against the ceiling of the
same stack measured in the same run.

    .venv/bin/python bench/user_pages_load.py [--complaints 10000] [--seconds 10] [--reuse]
    .venv/bin/python bench/user_pages_load.py --reuse --profile /akun [--requests 2000]

1. Seeds the demo set plus N generated complaints into its own database (`bench_user_pages`,
   embedded PostgreSQL in var/bench-pgdata) with bench/queue_load.py's `prepare_database`;
   the demo citizen `warga` is given 20 of them (and notifications about them).
2. Counts the SQL statements each page costs, in-process (Piccolo's queries and
   `db.fetch`), the page cache emptied first.
3. Starts the app (`pengaduan serve`, 2 workers) and the bare Litestar ceiling (a constant
   page as large as the account page) from bench/queue_load.py, logs the demo citizen,
   officer and admin in (`--sessions`, default 100, sessions each: the load's requests go
   round them, as many people's browsers would), and loads each page with 100 connections
   (wrk, 10 s), printing req/s, p50/p99 and the share of the ceiling. Target: every page at
   least 15 % of the ceiling.

`--cpu` instead prints each page's CPU time per request in-process (requests straight into the
app, best of three batches of `--requests`): steadier than wrk on a machine shared with other
work, for comparing two versions of the code.

`--code DIR` also starts the app from another checkout (e.g. `git archive main | tar -x -C DIR`)
on the same data and loads each page from both, one after the other: before and after in the
same run, on a machine whose load changes from minute to minute (in turn: DIR's first in odd
rounds, this checkout's first in even ones). With `--cpu`, the two
checkouts' in-process measurements alternate, `--rounds` times each (DIR's own copy of this
script, in a process of its own, on the same data), then each page's median for both: a
change of a few percent shows there, where wrk's rounds move by 15 %.

`--with NAME=VALUE` (repeatable) also starts the app with that setting, from DIR's checkout
when `--code` is given: e.g. `--with PENGADUAN_DB_POOL_MAX=5` against the default.

`--rounds N` measures the ceiling and every page N times and ends with each page's median
round: on a shared machine one 10 s run of a page moves by 15 % from the next.

`--profile PATH` instead runs PATH in-process `--requests` times under cProfile (as the
page's user) and prints the top of the profile: where the per-request time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

import queue_load  # noqa: E402
from harness import (  # noqa: E402
    add_settings_option,
    bench_environment,
    counted_queries,
    log_in,
    postgres_cpu,
    postgres_cpu_since,
    settings_of,
)

DATABASE = "bench_user_pages"
TARGET_SHARE = 0.15
CITIZEN = ("warga", "pengaduan-warga-demo")
OFFICER = ("petugas.pupr", "pengaduan-petugas-demo")
ADMIN = ("admin", "pengaduan-admin-demo")
# The app is loaded with the staff page cache off: the pages measured are rendered every time.
UNCACHED = {"PENGADUAN_PAGE_CACHE": "false"}
ANONYMOUS = ("", "")
CONNECTIONS = 100


async def prepare(complaints: int, reuse: bool, database: str = DATABASE) -> str:
    dsn = await queue_load.prepare_database(complaints, 0, reuse=reuse, database_name=database)
    if reuse:
        return dsn
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        # The demo citizen owns 20 of the generated complaints, with a notification each.
        citizen = await conn.fetchval("SELECT id FROM users WHERE username = $1", CITIZEN[0])
        await conn.execute(
            "UPDATE complaints SET reporter = $1 WHERE id IN (SELECT id FROM complaints"
            " WHERE reporter IS DISTINCT FROM $1 ORDER BY id DESC LIMIT 20)",
            citizen,
        )
        await conn.execute("VACUUM ANALYZE complaints")
    finally:
        await conn.close()
    return dsn


async def _targets(dsn: str) -> dict[str, tuple[tuple[str, str], str]]:
    """Each page: (whose session, path). The bench's users start with no session: every run
    logs them in again, and the account page lists them all."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            'DELETE FROM sessions WHERE "user" IN (SELECT id FROM users WHERE username = ANY($1))',
            [CITIZEN[0], OFFICER[0], ADMIN[0]],
        )
        own = await conn.fetchval(
            "SELECT c.id FROM complaints c JOIN users u ON u.id = c.reporter"
            " WHERE u.username = $1 ORDER BY c.id DESC LIMIT 1",
            CITIZEN[0],
        )
        handled = await conn.fetchval(
            "SELECT c.id FROM complaints c JOIN users u ON u.unit = c.unit"
            " WHERE u.username = $1 AND c.status IN ('verified', 'in_progress')"
            " ORDER BY c.id DESC LIMIT 1",
            OFFICER[0],
        )
        tracked = await conn.fetchrow(
            "SELECT number, tracking_code FROM complaints WHERE is_public"
            " AND tracking_code IS NOT NULL ORDER BY id DESC LIMIT 1"
        )
    finally:
        await conn.close()
    return {
        "account (/akun)": (CITIZEN, "/akun"),
        "citizen complaint": (CITIZEN, f"/pengaduan/{own}"),
        "my complaints": (CITIZEN, "/pengaduan-saya"),
        "notifications": (CITIZEN, "/notifikasi"),
        "officer complaint": (OFFICER, f"/petugas/pengaduan/{handled}"),
        # The officers' landing page: their unit's counts (a unit holds ~140,000 at 1M).
        "officer home (/petugas)": (OFFICER, "/petugas"),
        # Their queue, uncached (PENGADUAN_PAGE_CACHE=false): every request reads and renders
        # it, as after each change a busy unit makes (kept, it is given again from memory).
        "officer queue (/petugas/antrean)": (OFFICER, "/petugas/antrean"),
        "admin complaint list": (ADMIN, "/admin/pengaduan"),
        # A word in no complaint: PostgreSQL walked every complaint in the list's order.
        "admin search, no match": (ADMIN, "/admin/pengaduan?q=zzzzqqq"),
        # A word in about one complaint in eight ("lampu"): more open matches than the count
        # goes, so its first 1,001 are read by a scan, and the page walks the order of work
        # (handling.queue_search).
        "admin search, common word": (ADMIN, "/admin/pengaduan?q=lampu"),
        # Anonymous (no session): the link in an SMS, number and code filled in.
        "tracking (number+code)": (
            ANONYMOUS,
            f"/lacak?nomor={tracked['number']}&kode={tracked['tracking_code']}",
        ),
    }


async def _log_in(client, who: tuple[str, str]) -> None:
    if who == ANONYMOUS:
        await client.get("/masuk")  # the CSRF cookie, as the others have it
        return
    await log_in(client, *who)


def _app(dsn: str):
    from pengaduan.app import create_app
    from tests.support.databases import settings_for

    return create_app(
        settings_for(
            dsn,
            PENGADUAN_OUTBOX_IN_APP="false",
            PENGADUAN_DATA_DIR=str(ROOT / "var" / "bench"),
            PENGADUAN_BCRYPT_ROUNDS="4",
        )
    )


async def queries_per_page(dsn: str, targets: dict) -> dict[str, int]:
    """SQL statements per page (the page cache emptied first), counted in-process."""
    import httpx

    from pengaduan.web import pagecache

    app = _app(dsn)
    counts: dict[str, int] = {}
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        clients = {}
        for who in {who for who, _path in targets.values()}:
            client = httpx.AsyncClient(transport=transport, base_url="http://bench")
            await _log_in(client, who)
            clients[who] = client
        try:
            for name, (who, path) in targets.items():
                await clients[who].get(path)  # warm
                with counted_queries() as sent:
                    pagecache.clear()
                    sent.clear()
                    response = await clients[who].get(path)
                    counts[name] = len(sent)
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code}")
        finally:
            for client in clients.values():
                await client.aclose()
    return counts


async def _asgi_get(app, path: str, cookie: str) -> int:
    """One GET straight into the app, with the headers wrk sends (no Accept-Encoding): what a
    request costs the server, without an HTTP client's own work in the profile."""
    raw_path, _sep, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), (b"cookie", cookie.encode())],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def profile(dsn: str, targets: dict, path: str, requests: int) -> None:
    import httpx

    from pengaduan.web import pagecache

    # A page by (part of) its name in the table, or a path (as the citizen).
    who, path = next(((w, p) for n, (w, p) in targets.items() if path in n), (CITIZEN, path))
    app = _app(dsn)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await _log_in(client, who)
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        for _ in range(50):
            if (status := await _asgi_get(app, path, cookie)) != 200:
                raise SystemExit(f"{path}: {status}")
        # Without the profiler first: the process's CPU time per request (less disturbed by
        # the other processes on the machine than the wall clock).
        batches = []
        for _ in range(3):  # the best of three: the least disturbed
            started = time.process_time()
            for _ in range(requests):
                pagecache.clear()
                await _asgi_get(app, path, cookie)
            batches.append((time.process_time() - started) * 1000 / requests)
        cpu_ms = min(batches)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            pagecache.clear()
            await _asgi_get(app, path, cookie)
        profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(os.environ.get("PROFILE_FILTER", ""), 70)
    stats.sort_stats("tottime").print_stats(40)
    print(f"{path}: {cpu_ms:.2f} ms CPU per request in-process (no HTTP), no profiler")


async def cpu_per_page(dsn: str, targets: dict, requests: int, only: str | None) -> None:
    import httpx

    from pengaduan.web import pagecache

    app = _app(dsn)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        cookies = {}
        for who in {who for who, _path in targets.values()}:
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                await _log_in(client, who)
                cookies[who] = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        for name, (who, path) in targets.items():
            if only and only not in name:
                continue
            for _ in range(50):
                if (status := await _asgi_get(app, path, cookies[who])) != 200:
                    raise SystemExit(f"{path}: {status}")
            batches = []
            database = []
            for _ in range(3):
                started, pg_started = time.process_time(), postgres_cpu()
                for _ in range(requests):
                    pagecache.clear()
                    await _asgi_get(app, path, cookies[who])
                batches.append((time.process_time() - started) * 1000 / requests)
                database.append(postgres_cpu_since(pg_started) * 1000 / requests)
            print(
                f"  {name:22} {min(batches):6.2f} ms CPU per request in-process,"
                f" PostgreSQL {min(database):5.2f} ms",
                flush=True,
            )


async def _cookies(url: str, targets: dict, sessions: int) -> dict[tuple[str, str], list[str]]:
    """`sessions` logins of each user (their browsers' cookies): the load spreads its
    requests over them, as many people's browsers would (one session asked by every request
    would flatter whatever reads sessions together)."""
    import httpx

    out: dict[tuple[str, str], list[str]] = {}
    for who in {who for who, _path in targets.values()}:
        for _ in range(sessions):
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                await _log_in(client, who)
                cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                out.setdefault(who, []).append(cookie)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    parser.add_argument(
        "--profile", metavar="PAGE", help="profile a page (name or path) in-process instead"
    )
    parser.add_argument("--cpu", action="store_true", help="CPU per request in-process instead")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--sessions",
        type=int,
        default=CONNECTIONS,
        help=f"sessions per user the load spreads over (default {CONNECTIONS}, one per connection)",
    )
    parser.add_argument("--only", help="load only the pages whose name contains this")
    parser.add_argument("--code", type=Path, help="also load the app from this checkout")
    add_settings_option(
        parser,
        "also load the app with this setting (e.g. PENGADUAN_DB_POOL_MAX=5; repeatable),"
        " from --code's checkout when given, else from this one",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure the ceiling and every page this many times; then each page's median",
    )
    parser.add_argument(
        "--database",
        default=DATABASE,
        help=f"the bench database's name (default {DATABASE}): one per data size, kept apart",
    )
    args = parser.parse_args()
    log_dir = bench_environment()

    if not args.reuse:
        print(f"Seeding {args.complaints:,} complaints ...")
    dsn = asyncio.run(prepare(args.complaints, args.reuse, args.database))
    targets = asyncio.run(_targets(dsn))
    if args.profile:
        asyncio.run(profile(dsn, targets, args.profile, args.requests))
        return
    if args.cpu and args.code:
        cpu_against(args.code.resolve(), args)
        return
    if args.cpu:
        asyncio.run(cpu_per_page(dsn, targets, args.requests, args.only))
        return
    counts = asyncio.run(queries_per_page(dsn, targets))
    # The staff pages kept per queue version (the officers' queue) rendered every time.
    app = queue_load.start_app(dsn, log_dir, **UNCACHED)
    ceiling = other = None
    try:
        other_env = settings_of(args)
        if args.code:
            code = args.code.resolve()
            other_env.update(PENGADUAN_HOME=str(code), PYTHONPATH=str(code / "src"))
        if other_env:
            # (A checkout older than PENGADUAN_PAGE_CACHE keeps its queue pages.)
            other = queue_load.start_app(dsn, log_dir, **{**UNCACHED, **other_env})
        other_name = args.code.name if args.code else " ".join(args.settings)
        cookies = asyncio.run(_cookies(app.url, targets, args.sessions))
        size = asyncio.run(queue_load.page_size(app.url, cookies[OFFICER][0]))
        ceiling = start_ceiling(size, log_dir)
        print(
            f"load: {CONNECTIONS} connections, {args.seconds} s, wrk, {os.cpu_count()} CPU(s)"
            " shared by load tool, app and database; page cache bypassed (uncached pages)\n"
        )
        rounds: dict[str, list[tuple[float, dict]]] = {}
        for round_number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {round_number} of {args.rounds}")
            base = queue_load.load(ceiling.url, ["x=1"], CONNECTIONS, args.seconds)
            print(_line("ceiling", base, base["rps"], None))
            for name, (who, path) in targets.items():
                if args.only and args.only not in name:
                    continue
                loads = [(f"{name} ({other_name})", other)] if other else []
                pair = [*loads, (name, app)]
                # Measured in turn, first one then the other: the second of a pair trailed the
                # first by 4-12 % on pages whose code was the same in both checkouts.
                for label, server in pair if round_number % 2 else reversed(pair):
                    r = queue_load.load(server.url, cookies[who], CONNECTIONS, args.seconds, path)
                    queries = counts[name] if server is app else None
                    print(_line(label, r, base["rps"], queries))
                    rounds.setdefault(label, []).append((r["rps"] / base["rps"], r))
        if args.rounds > 1:
            # The machine's load moves between runs: the median round of each page.
            print(f"\nmedian of {args.rounds} rounds (share of that round's ceiling):")
            for label, results in rounds.items():
                share, r = sorted(results, key=lambda result: result[0])[len(results) // 2]
                mark = " ok" if share >= TARGET_SHARE else " MISSED"
                print(
                    f"  {label:22} {share:6.1%} of ceiling{mark if label in counts else ''}"
                    f"  (that round: {r['rps']:.1f} req/s, p50 {r['p50']:.1f} ms,"
                    f" p99 {r['p99']:.1f} ms)"
                )
    finally:
        app.stop()
        if other:
            other.stop()
        if ceiling:
            ceiling.stop()


_CPU_LINE = re.compile(
    r"^  (?P<name>.+?) +(?P<app>[\d.]+) ms CPU per request in-process,"
    r" PostgreSQL +(?P<pg>[\d.]+) ms$"
)


def cpu_against(code: Path, args: argparse.Namespace) -> None:
    """`--cpu --code DIR`: this checkout's and DIR's in-process figures, alternating."""
    pgdata = code / "var" / "bench-pgdata"
    if not pgdata.exists():  # DIR's script reads the same embedded server's data
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        pgdata.symlink_to(ROOT / "var" / "bench-pgdata")
    argv = ["--cpu", "--reuse", "--requests", str(args.requests), "--database", args.database]
    argv += ["--only", args.only] if args.only else []
    figures: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number} of {args.rounds}", flush=True)
        for label, root in ((code.name, code), ("now", ROOT)):
            out = subprocess.run(
                [sys.executable, str(root / "bench" / "user_pages_load.py"), *argv],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for match in filter(None, map(_CPU_LINE.match, out.splitlines())):
                app, pg = float(match["app"]), float(match["pg"])
                figures.setdefault(match["name"], {}).setdefault(label, []).append((app, pg))
    print(f"\nmedian of {args.rounds} rounds, CPU per request in-process (app + PostgreSQL):")
    for name, by_code in figures.items():
        cells = []
        for label in (code.name, "now"):
            runs = sorted(by_code.get(label, []))
            if runs:
                app, _pg = runs[len(runs) // 2]
                pg = sorted(p for _a, p in runs)[len(runs) // 2]
                cells.append(f"{label} {app:5.2f} + {pg:4.2f} ms")
        print(f"  {name:22} " + "   ".join(cells))


def start_ceiling(size: int, log_dir: Path) -> queue_load.Server:
    return queue_load.start_ceiling(size, log_dir)


def _line(name: str, r: dict, ceiling_rps: float, queries: int | None) -> str:
    share = r["rps"] / ceiling_rps
    mark = "" if queries is None else (" ok" if share >= TARGET_SHARE else " MISSED")
    return (
        f"  {name:22} {r['rps']:8.1f} req/s  p50 {r['p50']:6.1f} ms  p99 {r['p99']:6.1f} ms"
        f"  {share:6.1%} of ceiling{mark}"
        + ("" if queries is None else f"  {queries} queries")
        + (f"  non-2xx {r['non_2xx']}" if r["non_2xx"] else "")
    )


if __name__ == "__main__":
    main()
