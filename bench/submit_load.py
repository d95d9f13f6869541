"""Citizens submitting complaints under load: N logged-in citizens POST the complaint form at
once (multipart, real CSRF tokens, a new idempotency key per request), against the ceiling of
the same stack measured in the same run.

    .venv/bin/python bench/submit_load.py [--complaints 12000] [--citizens 100] [--seconds 10]

1. Seeds the demo set plus N generated complaints into its own database (`bench_submit`) on
   the embedded PostgreSQL in var/bench-pgdata (bench/queue_load.py's `prepare_database`), and
   the citizens (bcrypt cost 4).
2. Starts the real app (`pengaduan serve`, 2 workers) and the ceiling (a bare Litestar app, 2
   workers, a constant page) with queue_load's helpers.
3. Logs the citizens in and reads each one's CSRF token from the complaint form, then loads
   `POST /pengaduan/baru` with `wrk` (a Lua script builds each request: the citizen's cookies
   and token, a category spread over the agency's, a new idempotency key). Every answer must
   be the 303 to the new complaint; the complaints made are counted in the database.
4. Meanwhile samples `pg_stat_activity` (every 50 ms) and prints what the active backends
   wait on (lock waits named by the relation of the row they queue for), then req/s, p50/p99,
   and the share of the ceiling. Target: at least 7 % of the ceiling with p99 at most 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import re
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    add_settings_option,
    bench_environment,
    cookie_header,
    log_in,
    postgres_cpu,
    postgres_cpu_since,
    run_wrk_script,
    settings_of,
)
from queue_load import (
    load,
    prepare_database,
    start_app,
    start_ceiling,
)

DATABASE = "bench_submit"
PASSWORD = "bench-warga-sandi"
TARGET_SHARE = 0.07
TARGET_P99_MS = 200.0
WAL_SQL = "SELECT ARRAY[wal_bytes, wal_records, wal_fpi]::bigint[] FROM pg_stat_wal"

LUA = r"""
local people = {}
for line in io.lines(os.getenv("BENCH_PEOPLE")) do
  local cookie, token, category = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)")
  people[#people + 1] = {cookie = cookie, token = token, category = category}
end
local boundary = "benchboundary7f3a9c"
local nonce = os.getenv("BENCH_NONCE")
-- --position: every complaint at one place (one map cell per level: its busiest case).
local lat, lon = (os.getenv("BENCH_POSITION") or ","):match("([^,]*),([^,]*)")
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local i = 0
local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name
    .. "\"\r\n\r\n" .. value .. "\r\n"
end
request = function()
  i = i + 1
  local p = people[((i * 7 + (tid or 0) * 13) % #people) + 1]
  -- A new key every request, also across the warm-up, the measurement and earlier runs
  -- (a repeated key is answered from the first complaint, at a fraction of the cost).
  local key = string.format("b%s%02d%010d", nonce, tid or 0, i)
  local body = part("_csrf_token", p.token)
    .. part("idempotency_key", key)
    .. part("title", "Jalan berlubang di depan sekolah " .. i)
    .. part("description", "Lubang besar di tengah jalan, berbahaya bagi pengendara motor. " .. key)
    .. part("category", p.category)
    .. part("location_text", "Jl. Dago")
    .. part("latitude", lat)
    .. part("longitude", lon)
    .. part("urgency", "normal")
    .. "--" .. boundary .. "--\r\n"
  return wrk.format("POST", "/pengaduan/baru", {
    ["Cookie"] = p.cookie,
    ["X-CSRFToken"] = p.token,
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
  }, body)
end
"""


async def add_citizens(dsn: str, citizens: int) -> None:
    import asyncpg

    from pengaduan.accounts.passwords import hash_password_sync

    conn = await asyncpg.connect(dsn)
    try:
        password_hash = hash_password_sync(PASSWORD, 4)
        await conn.executemany(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, now(), $3, $4, 'citizen', 'id', true, now(), now())"
            " ON CONFLICT DO NOTHING",
            [
                (
                    f"bench.warga{i:03d}",
                    f"bench.warga{i:03d}@bench.test",
                    password_hash,
                    f"Warga {i}",
                )
                for i in range(citizens)
            ],
        )
    finally:
        await conn.close()


async def log_in_citizens(url: str, citizens: int) -> list[tuple[str, str]]:
    """Each citizen's cookies and the CSRF token their complaint form carries."""
    import httpx

    async def one(i: int) -> tuple[str, str]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            await log_in(client, f"bench.warga{i:03d}", PASSWORD)
            form = await client.get("/pengaduan/baru")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
            if form.status_code != 200 or not token:
                raise SystemExit(f"citizen {i} got no complaint form: {form.status_code}")
            return cookie_header(client), token.group(1)

    people = []
    for start in range(0, citizens, 10):
        people += await asyncio.gather(*(one(i) for i in range(start, min(citizens, start + 10))))
    return people


class WaitSampler:
    """What the database's active backends wait on, sampled every 50 ms from its own thread."""

    SQL = """
    SELECT a.pid, coalesce(a.wait_event_type || ':' || a.wait_event, 'CPU/running') AS wait,
           (SELECT l.relation::regclass::text FROM pg_locks l
            WHERE l.pid = a.pid AND l.locktype = 'tuple' LIMIT 1) AS tuple_of,
           left(regexp_replace(a.query, '\\s+', ' ', 'g'), 90) AS query
    FROM pg_stat_activity a
    WHERE a.datname = current_database() AND a.state = 'active' AND a.pid <> pg_backend_pid()
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.samples = 0
        self.active = 0
        self.waits: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(self.SQL)
                self.samples += 1
                self.active += len(rows)
                for r in rows:
                    what = r["wait"]
                    if what.startswith("Lock:"):
                        what += f" (row of {r['tuple_of'] or '?'}; {r['query']})"
                    elif what.startswith("IO:"):  # which statement reads or writes
                        what += f" ({r['query']})"
                    self.waits[what] += 1
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def run_wrk_posts(
    url: str, people: list[str], connections: int, seconds: int, position: str = ""
) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        people_file = Path(folder) / "people.tsv"
        people_file.write_text("\n".join(people) + "\n")
        script = Path(folder) / "submit.lua"
        script.write_text(LUA)
        env = {**os.environ, "BENCH_PEOPLE": str(people_file), "BENCH_POSITION": position or ","}
        return run_wrk_script(url, script, env, connections=connections, seconds=seconds)


async def _scalar(dsn: str, sql: str) -> object:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


def _post_scope(cookie: str, token: str, body: bytes) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/pengaduan/baru",
        "raw_path": b"/pengaduan/baru",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"bench"),
            (b"cookie", cookie.encode()),
            (b"x-csrftoken", token.encode()),
            (b"content-type", b"multipart/form-data; boundary=benchboundary7f3a9c"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def _form(token: str, category: int, key: str) -> bytes:
    fields = {
        "_csrf_token": token,
        "idempotency_key": key,
        "title": f"Jalan berlubang di depan sekolah {key}",
        "description": f"Lubang besar di tengah jalan, berbahaya bagi pengendara motor. {key}",
        "category": str(category),
        "location_text": "Jl. Dago",
        "latitude": "",
        "longitude": "",
        "urgency": "normal",
    }
    parts = [
        f'--benchboundary7f3a9c\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + "--benchboundary7f3a9c--\r\n").encode()


async def profile_posts(dsn: str, category: int, requests: int) -> None:
    """`requests` submissions straight into the app (no HTTP), as one citizen: the process's
    CPU time per submission (best of three batches), then the same under cProfile."""
    import cProfile
    import pstats

    import httpx

    from pengaduan.app import create_app
    from tests.support.databases import settings_for

    app = create_app(
        settings_for(
            dsn,
            PENGADUAN_OUTBOX_IN_APP="false",
            PENGADUAN_DATA_DIR=str(Path(tempfile.mkdtemp(prefix="bench-submit-"))),
        )
    )
    nonce = os.urandom(4).hex()
    counter = iter(range(10**9))

    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await log_in(client, "bench.warga000", PASSWORD)
            form = await client.get("/pengaduan/baru")
            token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
            cookie = cookie_header(client)

        async def post() -> None:
            body = _form(token, category, f"p{nonce}{next(counter):09d}")
            status = 0
            sent = False

            async def receive() -> dict:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]

            await app(_post_scope(cookie, token, body), receive, send)
            if status != 303:
                raise SystemExit(f"a submission was answered {status}")

        for _ in range(30):
            await post()
        batches = []
        database = []
        kernel = []
        for _ in range(3):
            started, pg_started = os.times(), postgres_cpu()
            for _ in range(requests):
                await post()
            ended = os.times()
            spent = ended.user + ended.system - started.user - started.system
            batches.append(spent * 1000 / requests)
            kernel.append((ended.system - started.system) * 1000 / requests)
            database.append(postgres_cpu_since(pg_started) * 1000 / requests)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            await post()
        profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(os.environ.get("PROFILE_FILTER", ""), 60)
    stats.sort_stats("tottime").print_stats(30)
    print(
        f"POST /pengaduan/baru: {min(batches):.2f} ms CPU per submission in-process (no HTTP;"
        f" in the kernel {min(kernel):.2f} ms),"
        f" PostgreSQL {min(database):.2f} ms (its processes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=12_000)
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    parser.add_argument(
        "--position", default="", help="LAT,LON: every complaint at one place (map cells)"
    )
    parser.add_argument(
        "--database",
        default=DATABASE,
        help=f"the bench database's name (default {DATABASE}): one per data size, kept apart",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead: N submissions in-process, CPU per submission and a profile",
    )
    add_settings_option(
        parser, "run the app with this setting (e.g. PENGADUAN_DB_POOL_MAX=5; repeatable)"
    )
    args = parser.parse_args()
    log_dir = bench_environment()

    if not args.reuse:
        print(f"Seeding {args.complaints:,} complaints and {args.citizens} citizens ...")
    dsn = asyncio.run(
        prepare_database(args.complaints, 0, reuse=args.reuse, database_name=args.database)
    )
    asyncio.run(add_citizens(dsn, args.citizens))
    categories = asyncio.run(
        _scalar(dsn, "SELECT array_agg(id ORDER BY id) FROM categories WHERE is_active")
    )
    if args.profile:
        asyncio.run(profile_posts(dsn, categories[0], args.profile))
        return
    app = start_app(dsn, log_dir, **settings_of(args))
    ceiling = None
    try:
        logged_in = asyncio.run(log_in_citizens(app.url, args.citizens))
        people = [
            f"{cookie}\t{token}\t{categories[i % len(categories)]}"
            for i, (cookie, token) in enumerate(logged_in)
        ]
        ceiling = start_ceiling(1000, log_dir)
        print(
            f"\nload: {args.citizens} citizens, {args.connections} connections, {args.seconds} s,"
            f" wrk, {os.cpu_count()} CPU(s) shared by load tool, app and database;"
            f" {len(categories)} categories\n"
        )
        cookies = [cookie for cookie, _token in logged_in]
        top = load(ceiling.url, cookies, args.connections, args.seconds, "/petugas/antrean")
        before = asyncio.run(_scalar(dsn, "SELECT count(*) FROM complaints"))
        wal_before = asyncio.run(_scalar(dsn, WAL_SQL))
        with WaitSampler(dsn) as sampler:
            r = run_wrk_posts(app.url, people, args.connections, args.seconds, args.position)
        made = asyncio.run(_scalar(dsn, "SELECT count(*) FROM complaints")) - before
        wal = [b - a for a, b in zip(wal_before, asyncio.run(_scalar(dsn, WAL_SQL)), strict=True)]
        for name, x in (("ceiling", top), ("submit", r)):
            print(
                f"  {name:8} {x['rps']:9.1f} req/s   p50 {x['p50']:7.1f} ms   p99 {x['p99']:7.1f}"
                f" ms   ({x['requests']:,} requests, non-2xx/3xx {x['non_2xx']}"
                f"{', socket errors ' + x['socket_errors'] if x['socket_errors'] else ''})"
            )
        print(f"  complaints made (warm-up included): {made:,}")
        print(
            f"  WAL per complaint made: {wal[0] / max(1, made) / 1024:.1f} KiB,"
            f" {wal[1] / max(1, made):.1f} records, {wal[2] / max(1, made):.1f} full-page images"
            " (the whole server's WAL in the run, divided)"
        )
        if made < r["requests"]:  # each measured request must have filed a new complaint
            print(f"  WARNING: {r['requests']:,} requests but {made:,} complaints made")
        share = r["rps"] / top["rps"]
        ok = share >= TARGET_SHARE and r["p99"] <= TARGET_P99_MS and r["non_2xx"] == 0
        print(
            f"\n  ratio    {share:.1%} of the ceiling's requests/s (target ≥ {TARGET_SHARE:.0%}),"
            f" p99 {r['p99']:.1f} ms (target ≤ {TARGET_P99_MS:.0f} ms): {'MET' if ok else 'MISSED'}"
        )
        mean_active = sampler.active / max(1, sampler.samples)
        print(
            f"\n  pg_stat_activity: {sampler.samples} samples, {sampler.active:,} active backends"
            f" seen ({mean_active:.1f} on average); what they were doing:"
        )
        for what, n in sampler.waits.most_common(12):
            print(f"    {n:6,}  {n / max(1, sampler.active):6.1%}  {what}")
    finally:
        app.stop()
        if ceiling:
            ceiling.stop()


if __name__ == "__main__":
    main()
