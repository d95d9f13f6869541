"""The officers' queue under load: 100 officers at once on 100,000 complaints, against the
ceiling of the same stack serving a constant page of the same size.

    .venv/bin/python bench/queue_load.py [--complaints 100000] [--officers 100] [--seconds 15]

1. Seeds the demo set plus N generated complaints into its own database (`bench_queue`) on
   the embedded PostgreSQL in var/bench-pgdata, and 100 officers spread over the units
   (bcrypt cost 4).
2. Starts the real app (`pengaduan serve`, 2 workers, DATABASE_URL, `--no-access-log` as in
   production) and the ceiling: a bare Litestar app under uvicorn (2 workers, no access log
   either) whose one handler returns a constant HTML page as large as the queue page.
3. Logs the officers in, then loads `/petugas/antrean` (each officer's default view: their
   unit's open complaints) with 100 connections, each request with one of the 100 session
   cookies, with `wrk` (Debian package) or, without it, an asyncio/httpx loop. Loopback only,
   bounded in time. Neither side is asked to compress (no Accept-Encoding).
4. Prints requests/s and p50/p99 latency for both (and the account page, for scale), the
   ratio, and the number of SQL queries one queue page costs (counted in-process: Piccolo's
   queries and `db.fetch`). Target: at least 15 % of the ceiling's requests/s with p99
   at most 100 ms. `--explain` adds the plan of the queue's rows query.

Also `ceiling_app` (a uvicorn factory) lives here: `CEILING_BYTES` sets the page size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    bench_environment,
    cookie_header,
    counted_queries,
    free_port,
    log_in,
    run_wrk_script,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
DATABASE = "bench_queue"
PASSWORD = "bench-petugas-sandi"
TARGET_SHARE = 0.15
TARGET_P99_MS = 100.0


# --- the ceiling: the same stack with nothing to do -------------------------------------------


def ceiling_app():  # -> Litestar (imported lazily: the bench process itself needs no app)
    """A bare Litestar app: one handler, a constant HTML page of CEILING_BYTES bytes."""
    from litestar import Litestar, MediaType, get

    size = int(os.environ.get("CEILING_BYTES", "20000"))
    head = "<!doctype html><html><head><title>ceiling</title></head><body><main>"
    tail = "</main></body></html>"
    page = head + "x" * max(0, size - len(head) - len(tail)) + tail

    @get("/petugas/antrean", media_type=MediaType.HTML, sync_to_thread=False)
    def constant() -> str:
        return page

    return Litestar(route_handlers=[constant], openapi_config=None)


# --- setting up --------------------------------------------------------------------------------


async def prepare_database(
    complaints: int, officers: int, *, reuse: bool = False, database_name: str = DATABASE
) -> str:
    from pengaduan import db, demo
    from pengaduan.accounts.passwords import hash_password_sync
    from pengaduan.db import embedded, migrations
    from tests.support.databases import recreate_database, settings_for

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    if reuse:
        return db.with_database(server.server_dsn, database_name)
    dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), database_name)
    await migrations.migrate(dsn)
    await demo.seed(settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4"), dsn, bulk_complaints=complaints)
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        units = [r["id"] for r in await conn.fetch("SELECT id FROM units ORDER BY id")]
        password_hash = hash_password_sync(PASSWORD, 4)
        await conn.executemany(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, unit, nip, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, now(), $3, $4, 'officer', $5, $6, 'id', true, now(), now())",
            [
                (
                    f"bench.petugas{i:03d}",
                    f"bench.petugas{i:03d}@bench.test",
                    password_hash,
                    f"Petugas Uji {i:03d}",
                    units[i % len(units)],
                    f"1990{i:014d}",
                )
                for i in range(officers)
            ],
        )
        # As autovacuum would have by now: statistics and the visibility map (index-only counts).
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return dsn


class Server:
    """A uvicorn process (the app through `pengaduan serve`, or the ceiling)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [*argv, "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )

    def wait(self, path: str, seconds: float = 90) -> None:
        import httpx

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
    env.pop("DATABASE_URL", None)
    return env


def start_app(dsn: str, log_dir: Path, **extra_env: str) -> Server:
    """`pengaduan serve` on two workers against `dsn` (`extra_env`: more settings)."""
    env = _base_env()
    env.update(
        PENGADUAN_MODE="development",
        PENGADUAN_DATA_DIR=str(ROOT / "var" / "bench"),
        PENGADUAN_BCRYPT_ROUNDS="4",
        PENGADUAN_OUTBOX_IN_APP="false",
        DATABASE_URL=dsn,
        **extra_env,
    )
    server = Server(
        "app",
        [sys.executable, "-m", "pengaduan.cli", "serve", "--workers", "2", "--no-access-log"],
        env,
        log_dir,
    )
    server.wait("/healthz")
    return server


def start_ceiling(size: int, log_dir: Path) -> Server:
    env = _base_env()
    env["CEILING_BYTES"] = str(size)
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "queue_load:ceiling_app",
        "--factory",
        "--app-dir",
        str(ROOT / "bench"),
        "--workers",
        "2",
        "--log-level",
        "info",
        "--no-access-log",  # as the app is run here
    ]
    server = Server("ceiling", argv, env, log_dir)
    server.wait("/petugas/antrean")
    return server


async def log_in_officers(url: str, officers: int) -> list[str]:
    """Each officer's cookies as their browser sends them (the session, `sid`, and the CSRF
    cookie every page sets), checked against the queue page."""
    import httpx

    async def one(i: int) -> str:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await log_in(client, f"bench.petugas{i:03d}", PASSWORD)
            queue = await client.get("/petugas/antrean", headers={"Accept-Encoding": "identity"})
            if queue.status_code != 200 or "queue-row" not in queue.text:
                raise SystemExit(f"officer {i} got no queue: {queue.status_code}")
            return cookie_header(client)

    cookies = []
    for start in range(0, officers, 10):  # a few at a time: logins are not what we measure
        cookies += await asyncio.gather(*(one(i) for i in range(start, min(officers, start + 10))))
    return cookies


async def page_size(url: str, cookie: str) -> int:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        response = await client.get(
            "/petugas/antrean", headers={"Cookie": cookie, "Accept-Encoding": "identity"}
        )
        return len(response.content)


async def queries_per_page(dsn: str) -> tuple[int, int, int]:
    """SQL statements one queue page costs (whole page, the htmx list refresh, and the whole
    page again while nothing changed), counted in-process with the same database."""
    import httpx

    from pengaduan.app import create_app
    from pengaduan.web import pagecache
    from tests.support.databases import settings_for

    app = create_app(
        settings_for(
            dsn,
            PENGADUAN_OUTBOX_IN_APP="false",
            PENGADUAN_DATA_DIR=str(ROOT / "var" / "bench"),
        )
    )
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await log_in(client, "bench.petugas000", PASSWORD)
            await client.get("/petugas/antrean")  # warm
            with counted_queries() as sent:
                pagecache.clear()  # rendered from the database, not from the page cache
                sent.clear()
                await client.get("/petugas/antrean")
                whole = len(sent)
                sent.clear()
                await client.get("/petugas/antrean", headers={"HX-Request": "true"})
                fragment = len(sent)
                sent.clear()  # the same page again, nothing changed: from the page cache
                await client.get("/petugas/antrean")
                again = len(sent)
    return whole, fragment, again


async def explain(dsn: str) -> str:
    """The plan of one officer's default queue query, for the report."""
    import asyncpg

    from pengaduan.handling import queue

    conn = await asyncpg.connect(dsn)
    try:
        unit = await conn.fetchval("SELECT unit FROM users WHERE username = 'bench.petugas000'")
        officer = await conn.fetchval("SELECT id FROM users WHERE username = 'bench.petugas000'")
        filters = queue.QueueFilters()
        where = queue.conditions(filters, officer, unit)
        sql = queue.rows_sql(filters, where)
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *where.args)
        return "\n".join(r[0] for r in rows)
    finally:
        await conn.close()


class Changes:
    """A thread that changes `per_second` random open complaints per second (as officers
    handling them would: each raises its unit's queue version) until the block ends."""

    def __init__(self, dsn: str, per_second: float) -> None:
        import threading

        self.dsn, self.per_second = dsn, per_second
        self.made, self.units, self.rate = 0, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        import random

        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            ids = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM complaints WHERE status IN ('pending', 'verified',"
                    " 'in_progress') ORDER BY random() LIMIT 5000"
                )
            ]
            self.units = await conn.fetchval("SELECT count(DISTINCT unit) FROM complaints")
            started = time.monotonic()
            while not self._stop.is_set():
                await conn.execute(
                    "UPDATE complaints SET updated_at = now() WHERE id = $1", random.choice(ids)
                )
                self.made += 1
                delay = started + self.made / self.per_second - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
        finally:
            await conn.close()

    def __enter__(self) -> Changes:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.rate = self.made / (time.monotonic() - self._started)


# --- load ---------------------------------------------------------------------------------------

LUA = """
local cookies = {}
for line in io.lines(os.getenv("BENCH_COOKIES")) do cookies[#cookies + 1] = line end
-- BENCH_PATH: one path, or several separated by "|" (taken in turn).
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATH"), "[^|]+") do paths[#paths + 1] = p end
local n = 0
function setup(thread)
  n = n + 1
  thread:set("offset", n * 37)
end
local i = 0
request = function()
  i = i + 1
  local c = cookies[((i + (offset or 0)) % #cookies) + 1]
  local path = paths[((i + (offset or 0)) % #paths) + 1]
  return wrk.format("GET", path, {["Cookie"] = c})
end
"""


def run_wrk(
    url: str, path: str, cookies: list[str], connections: int, seconds: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        cookie_file = Path(folder) / "cookies.txt"
        cookie_file.write_text("\n".join(cookies) + "\n")
        script = Path(folder) / "cookies.lua"
        script.write_text(LUA)
        env = {**os.environ, "BENCH_COOKIES": str(cookie_file), "BENCH_PATH": path}
        return run_wrk_script(
            url,
            script,
            env,
            connections=connections,
            seconds=seconds,
            warmup_seconds=3,
            request_timeout=None,
        )


async def run_python_load(
    url: str, path: str, cookies: list[str], connections: int, seconds: int
) -> dict[str, float]:
    """The fallback load: `connections` clients in a loop, bounded in time and count."""
    import httpx

    latencies: list[float] = []
    failures = 0
    limit = 200_000

    async def client_loop(i: int, until: float) -> None:
        nonlocal failures
        headers = {"Cookie": cookies[i % len(cookies)], "Accept-Encoding": "identity"}
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.monotonic() < until and len(latencies) < limit:
                started = time.perf_counter()
                response = await client.get(path, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures += 1

    await asyncio.gather(*(client_loop(i, time.monotonic() + 3) for i in range(connections)))
    latencies.clear()
    started = time.monotonic()
    await asyncio.gather(*(client_loop(i, started + seconds) for i in range(connections)))
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {
        "rps": len(ordered) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "requests": len(ordered),
        "non_2xx": failures,
        "socket_errors": "",
    }


def load(
    url: str, cookies: list[str], connections: int, seconds: int, path: str = "/petugas/antrean"
) -> dict[str, float]:
    if shutil.which("wrk"):
        return run_wrk(url, path, cookies, connections, seconds)
    return asyncio.run(run_python_load(url, path, cookies, connections, seconds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--officers", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print the queue query's plan")
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    parser.add_argument(
        "--changes",
        type=float,
        default=10.0,
        help="complaint changes per second (over all units) in the extra 'queue, changing' run",
    )
    args = parser.parse_args()
    log_dir = bench_environment()

    if not args.reuse:
        print(f"Seeding {args.complaints:,} complaints and {args.officers} officers ...")
    dsn = asyncio.run(prepare_database(args.complaints, args.officers, reuse=args.reuse))
    app = start_app(dsn, log_dir)
    ceiling = None
    try:
        cookies = asyncio.run(log_in_officers(app.url, args.officers))
        size = asyncio.run(page_size(app.url, cookies[0]))
        whole, fragment, again = asyncio.run(queries_per_page(dsn))
        ceiling = start_ceiling(size, log_dir)
        tool = "wrk" if shutil.which("wrk") else "python asyncio/httpx"
        print(
            f"\nqueue page: {size:,} bytes; SQL queries per page: {whole} (whole page),"
            f" {fragment} (htmx list refresh) — of which 2 on complaints (rows, count);"
            f" {again} when nothing changed since (the session lookup, which reads the"
            " queue version: the page comes from the page cache)"
        )
        print(
            f"load: {args.officers} officers, {args.officers} connections, {args.seconds} s,"
            f" {tool}, {os.cpu_count()} CPU(s) shared by load tool, app and database\n"
        )
        results = {}
        # The ceiling, the queue, and for scale the app's own lightest logged-in page (the
        # account page: the same session, layout and middleware, no complaints).
        runs = (
            ("ceiling", ceiling, "/petugas/antrean"),
            ("queue", app, "/petugas/antrean"),
            ("account", app, "/akun"),
        )
        for name, server, path in runs:
            results[name] = load(server.url, cookies, args.officers, args.seconds, path)
            r = results[name]
            print(
                f"  {name:8} {r['rps']:9.1f} req/s   p50 {r['p50']:7.1f} ms   p99 {r['p99']:7.1f} ms"
                f"   ({r['requests']:,} requests, non-2xx {r['non_2xx']}"
                f"{', socket errors ' + r['socket_errors'] if r['socket_errors'] else ''})"
            )
        if args.changes > 0:
            # Officers at work change complaints: each change makes its unit's pages render
            # anew once. Not part of the target; shows what the page cache is worth then.
            with Changes(dsn, args.changes) as changes:
                r = load(app.url, cookies, args.officers, args.seconds, "/petugas/antrean")
            print(
                f"  {'queue, changing':8} {r['rps']:9.1f} req/s   p50 {r['p50']:7.1f} ms"
                f"   p99 {r['p99']:7.1f} ms   ({r['requests']:,} requests, non-2xx"
                f" {r['non_2xx']}; {changes.rate:.1f} complaint changes/s over"
                f" {changes.units} units meanwhile)"
            )
        share = results["queue"]["rps"] / results["ceiling"]["rps"]
        p99 = results["queue"]["p99"]
        ok = share >= TARGET_SHARE and p99 <= TARGET_P99_MS
        print(
            f"\n  ratio    {share:.1%} of the ceiling's requests/s (target ≥ {TARGET_SHARE:.0%}),"
            f" p99 {p99:.1f} ms (target ≤ {TARGET_P99_MS:.0f} ms): {'MET' if ok else 'MISSED'}"
        )
        print(
            f"  for scale: the account page reaches {results['account']['rps'] / results['ceiling']['rps']:.1%}"
            f" of the ceiling; the queue {results['queue']['rps'] / results['account']['rps']:.0%}"
            " of the account page"
        )
        if args.explain:
            print("\n" + asyncio.run(explain(dsn)))
    finally:
        app.stop()
        if ceiling:
            ceiling.stop()


if __name__ == "__main__":
    main()
