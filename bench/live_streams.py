"""Live event streams at scale: N open pages on two uvicorn workers, one status change.

    .venv/bin/python bench/live_streams.py [--streams 1000]

1. Seeds the demo set into its own database (`bench_live`) on the embedded PostgreSQL in
   var/bench-pgdata, plus a verified complaint of the demo citizen in PUPR, officers of that
   unit, and one session per stream written straight into the sessions table (half the streams
   are officers of the unit on their queue, half are the reporter's pages on the complaint).
2. Starts the real app (`pengaduan serve --workers 2 --no-access-log`, DATABASE_URL).
3. Warms both workers up (pages and a few streams), reads the RSS of the two worker
   processes, opens the N streams (real HTTP, `Accept: text/event-stream`, each with its own
   session cookie; the kernel spreads them over the workers) and waits until every stream
   has said `ready`, then reads the RSS again.
4. Makes one status change through the lifecycle (verified → in progress, by the officer) in
   another thread, and notes when its commit returned; every stream notes when its event
   (`complaint` for the reporter's pages, `queue` for the officers') arrived.
5. Prints p50/p99/max of commit → event, how many streams heard it, the streams per worker,
   and the memory per open stream ((RSS after − before) / N). Targets: p99 ≤ 0.5 s,
   ≤ 50 KB per stream.

The clients run on the same (small) machine as the server and PostgreSQL: their own reading
time is part of the latency measured.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
sys.path.insert(0, str(ROOT / "bench"))

import queue_load  # noqa: E402
from queue_load import Server  # noqa: E402

DATABASE = "bench_live"
SECRET = "bench-live-secret-key-" + "x" * 20
TARGET_P99_S = 0.5
TARGET_KB_PER_STREAM = 50.0


async def prepare(streams: int) -> tuple[str, int, dict[str, int], list[tuple[str, str]]]:
    """The database; returns (dsn, complaint id, actor, [(cookie, path)] per stream)."""
    import asyncpg
    from itsdangerous import Signer

    from pengaduan import db, demo
    from pengaduan.accounts.passwords import hash_password_sync
    from pengaduan.accounts.sessions import hash_id
    from pengaduan.db import embedded, migrations
    from tests.support.databases import recreate_database, settings_for

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), DATABASE)
    await migrations.migrate(dsn)
    await demo.seed(settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4"), dsn)
    signer = Signer(SECRET, salt="pengaduan.session")
    conn = await asyncpg.connect(dsn)
    try:
        category = await conn.fetchrow(
            "SELECT id, default_unit FROM categories WHERE name = 'Jalan Rusak'"
        )
        unit = category["default_unit"]
        reporter = await conn.fetchval("SELECT id FROM users WHERE username = 'warga'")
        officer = await conn.fetchval("SELECT id FROM users WHERE username = 'petugas.pupr'")
        now = datetime.now(UTC)
        complaint = await conn.fetchval(
            "INSERT INTO complaints (number, tracking_code, reporter, category, unit, officer,"
            " title, body, location_text, status, priority, citizen_urgency, is_anonymous,"
            " is_public, submitted_at, verified_at, due_at, updated_at)"
            " VALUES ('ADU-2026-990001', 'BENCHLIV', $1, $2, $3, $4, 'Jalan Dago berlubang',"
            " 'Lubang besar di tengah jalan.', 'Jl. Dago', 'verified', 'normal', 'normal',"
            " false, true, $5, $5, $6, $5) RETURNING id",
            reporter,
            category["id"],
            unit,
            officer,
            now,
            now + timedelta(days=14),
        )
        officers = streams - streams // 2
        password_hash = hash_password_sync("bench-live-sandi", 4)
        await conn.executemany(
            "INSERT INTO users (username, email, email_confirmed_at, password_hash, full_name,"
            " role, unit, nip, language, is_active, created_at, updated_at)"
            " VALUES ($1, $2, now(), $3, $4, 'officer', $5, $6, 'id', true, now(), now())",
            [
                (
                    f"bench.live{i:04d}",
                    f"bench.live{i:04d}@bench.test",
                    password_hash,
                    f"Petugas Langsung {i:04d}",
                    unit,
                    f"1991{i:014d}",
                )
                for i in range(officers)
            ],
        )
        officer_ids = [
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM users WHERE username LIKE 'bench.live%' ORDER BY id"
            )
        ]
        plan: list[tuple[int, str]] = [(uid, "/langsung") for uid in officer_ids]
        plan += [(reporter, f"/langsung?pengaduan={complaint}")] * (streams // 2)
        rows, cookies = [], []
        for user_id, path in plan:
            session_id = secrets.token_urlsafe(32)
            rows.append((hash_id(session_id), user_id, now, now, now + timedelta(hours=8)))
            cookies.append((signer.sign(session_id).decode(), path))
        await conn.executemany(
            'INSERT INTO sessions (id_hash, "user", created_at, last_seen_at, expires_at, ip,'
            " user_agent) VALUES ($1, $2, $3, $4, $5, '127.0.0.1', 'bench')",
            rows,
        )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return dsn, complaint, {"user_id": officer, "unit_id": unit}, cookies


def start_app(dsn: str, log_dir: Path) -> Server:
    # The sessions were signed here with SECRET: the app must check them with the same key.
    return queue_load.start_app(dsn, log_dir, PENGADUAN_SECRET_KEY=SECRET)


def workers_of(server: Server) -> list[int]:
    import psutil

    parent = psutil.Process(server.proc.pid)
    found = []
    for child in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child.pid)
        except psutil.Error:
            continue
    return sorted(found)


def rss(pid: int) -> int:
    import psutil

    return psutil.Process(pid).memory_info().rss


def sockets(pid: int) -> int:
    import psutil

    return sum(
        1 for c in psutil.Process(pid).net_connections(kind="tcp") if c.status == "ESTABLISHED"
    )


class StreamClient:
    """One EventSource, as plain HTTP/1.1 over a socket (no client library in the way)."""

    def __init__(self, port: int, cookie: str, path: str) -> None:
        self.port, self.cookie, self.path = port, cookie, path
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.buffer = b""

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(
            (
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
                f"Cookie: sid={self.cookie}\r\n\r\n"
            ).encode()
        )
        await self.writer.drain()
        await self._until(b"event: ready")
        if not self.buffer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(self.buffer[:200].decode(errors="replace"))
        self.buffer = b""

    async def _until(self, *markers: bytes) -> None:
        assert self.reader is not None
        while not any(m in self.buffer for m in markers):
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError(f"stream closed: {self.buffer[:200]!r}")
            self.buffer += data

    async def heard(self) -> float:
        await self._until(b"event: complaint", b"event: queue")
        return time.monotonic()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def change_status(dsn: str, complaint: int, actor: dict[str, int], out: dict[str, float]) -> None:
    """The status change through the lifecycle, in its own thread and loop."""

    async def run() -> None:
        from pengaduan import db
        from pengaduan.complaints import lifecycle
        from tests.support.databases import settings_for

        db.configure_engine(dsn)
        await db.check_connection(dsn)
        settings = settings_for(dsn)
        out["start"] = time.monotonic()
        await lifecycle.apply(
            complaint,
            "start",
            lifecycle.Actor(user_id=actor["user_id"], role="officer", unit_id=actor["unit_id"]),
            settings=settings,
        )
        out["commit"] = time.monotonic()

    asyncio.run(run())


async def run(args: argparse.Namespace) -> None:
    import httpx

    n = args.streams
    print(f"preparing the database and {n} sessions ...", flush=True)
    dsn, complaint, actor, cookies = await prepare(n)
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    server = start_app(dsn, log_dir)
    clients: list[StreamClient] = []
    try:
        workers = workers_of(server)
        print(f"app up: workers {workers}", flush=True)
        # Warm-up: pages and a few streams on both workers, so what the first requests of a
        # process allocate once (templates, statements, code paths) is not counted per stream.
        async with httpx.AsyncClient(base_url=server.url) as http:
            for cookie, _path in cookies[:40]:
                await http.get("/petugas/antrean", cookies={"sid": cookie})
        warm = [StreamClient(server.port, c, p) for c, p in cookies[:60]]
        await asyncio.gather(*(w.open() for w in warm))
        for w in warm:
            w.close()
        await asyncio.sleep(2.0)
        before = {pid: rss(pid) for pid in workers}
        sockets_before = {pid: sockets(pid) for pid in workers}

        gate = asyncio.Semaphore(64)

        async def open_one(client: StreamClient) -> None:
            async with gate:
                await client.open()

        clients = [StreamClient(server.port, c, p) for c, p in cookies]
        started = time.monotonic()
        await asyncio.gather(*(open_one(c) for c in clients))
        opened_in = time.monotonic() - started
        await asyncio.sleep(2.0)
        after = {pid: rss(pid) for pid in workers}
        per_worker = {pid: sockets(pid) - sockets_before[pid] for pid in workers}
        print(f"{n} streams open in {opened_in:.1f} s; per worker: {per_worker}", flush=True)

        listening = [asyncio.ensure_future(c.heard()) for c in clients]
        await asyncio.sleep(0.2)
        times: dict[str, float] = {}
        changer = threading.Thread(target=change_status, args=(dsn, complaint, actor, times))
        changer.start()
        done, pending = await asyncio.wait(listening, timeout=30)
        changer.join()
        for task in pending:
            task.cancel()
        arrived = sorted(t.result() - times["commit"] for t in done if t.exception() is None)
        missing = n - len(arrived)
        growth = sum(after.values()) - sum(before.values())
        per_stream_kb = growth / n / 1024

        def pct(p: float) -> float:
            return arrived[min(len(arrived) - 1, round(p * (len(arrived) - 1)))]

        print()
        print(f"live streams: {n} over 2 workers (pengaduan serve --workers 2)")
        print(f"  the change's transaction took {(times['commit'] - times['start']) * 1000:.1f} ms")
        if arrived:
            print(
                f"  commit → event: p50 {pct(0.5) * 1000:.0f} ms · p99 {pct(0.99) * 1000:.0f} ms"
                f" · max {arrived[-1] * 1000:.0f} ms · mean {statistics.mean(arrived) * 1000:.0f} ms"
                f"   (target p99 ≤ {TARGET_P99_S * 1000:.0f} ms:"
                f" {'met' if pct(0.99) <= TARGET_P99_S else 'NOT met'})"
            )
        print(
            f"  streams that heard it: {len(arrived)} of {n}"
            + (f" ({missing} missing)" if missing else "")
        )
        for pid in workers:
            print(
                f"  worker {pid}: {per_worker[pid]} streams,"
                f" RSS {before[pid] / 2**20:.1f} → {after[pid] / 2**20:.1f} MiB"
            )
        print(
            f"  memory per open stream: {per_stream_kb:.1f} KB"
            f"   (target ≤ {TARGET_KB_PER_STREAM:.0f} KB:"
            f" {'met' if per_stream_kb <= TARGET_KB_PER_STREAM else 'NOT met'})"
        )
    finally:
        stopping = time.monotonic()
        server.stop()
        if clients:
            print(f"  server stopped in {time.monotonic() - stopping:.1f} s with the streams open")
        for c in clients:
            c.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000, help="open streams (default 1000)")
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(run(args))
    else:
        uvloop.run(run(args))


if __name__ == "__main__":
    main()
