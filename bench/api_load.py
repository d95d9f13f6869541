"""Open311 under load: GET /open311/v2/requests.json (the 1,000 newest) and POST
/open311/v2/requests.json (filing) at 100 connections on 100,000 complaints, against the
ceiling of the same run and the HTML form's submit rate of the same run.

    .venv/bin/python bench/api_load.py [--complaints 100000] [--connections 100] [--seconds 10]

1. Seeds the demo set plus N generated complaints into its own database (`bench_api`) on the
   embedded PostgreSQL in var/bench-pgdata (queue_load's `prepare_database`), 100 citizens for
   the form (submit_load's), and one API key with the read and create scopes and a limit far
   above the load (the rate limit is not what is measured; its flush is in the path anyway).
2. Starts the real app (`pengaduan serve`, 2 workers) and the ceiling (a bare Litestar app,
   2 workers, a constant page as large as the requests document) with queue_load's helpers.
3. With `wrk`: the ceiling; GET requests.json (no key: reads are open); POST requests.json
   (urlencoded as the specification says: the key, a service_code spread over the categories,
   lat/long, a new description each time, an email out of 100 - contact-only reporters found
   again by their keyed hash) and the HTML form's POST /pengaduan/baru (submit_load's script,
   logged-in citizens) in turns (`--rounds`, 2: the machine is shared, a slow moment should
   not fall on one kind only). Every POST must answer 201 (form: 303); the complaints made
   are counted in the database.
4. Prints req/s and p50/p99 of each, the GET's share of the ceiling (target ≥ 15 %), the
   Open311 POST's rate against the form's (target: the same, ≥ 90 % allowing for noise),
   the cost of building the GET document once (when the public version changed: SQL and
   encoding, measured in-process) and the plan of its query.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import bench_environment, run_wrk_script
from queue_load import load, prepare_database, start_app, start_ceiling
from submit_load import _scalar, add_citizens, log_in_citizens, run_wrk_posts

DATABASE = "bench_api"
GET_PATH = "/open311/v2/requests.json"
TARGET_GET_SHARE = 0.15
TARGET_POST_SHARE = 0.90

LUA = r"""
local key = os.getenv("BENCH_KEY")
local categories = {}
for c in string.gmatch(os.getenv("BENCH_CATEGORIES"), "[^,]+") do categories[#categories + 1] = c end
local nonce = os.getenv("BENCH_NONCE")
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local i = 0
request = function()
  i = i + 1
  local n = i * 7 + (tid or 0) * 13
  local body = "api_key=" .. key
    .. "&service_code=" .. categories[(n % #categories) + 1]
    .. "&lat=-6.9" .. (n % 1000) .. "&long=107.6" .. (n % 1000)
    .. "&address_string=Jl.+Dago+" .. (n % 300)
    .. "&description=Lubang+besar+di+tengah+jalan%2C+berbahaya+bagi+pengendara+motor.+"
    .. nonce .. (tid or 0) .. "-" .. i
    .. "&email=bench.open311." .. (n % 100) .. "%40bench.test"
    .. "&first_name=Warga&last_name=Open311"
  return wrk.format("POST", "/open311/v2/requests.json", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
"""


async def add_key(dsn: str) -> str:
    """An API key (read and create) with a limit the load never reaches; the raw key."""
    import asyncpg

    raw = "pgd_" + secrets.token_urlsafe(32)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO api_keys (name, prefix, key_hash, scopes, requests_per_minute,"
            " created_at) VALUES ('bench', $1, $2, 'read,create', 100000, now())",
            raw[:12],
            hashlib.sha256(raw.encode()).hexdigest(),
        )
    finally:
        await conn.close()
    return raw


def run_wrk_open311(
    url: str, key: str, categories: list[int], connections: int, seconds: int
) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "open311.lua"
        script.write_text(LUA)
        env = {
            **os.environ,
            "BENCH_KEY": key,
            "BENCH_CATEGORIES": ",".join(map(str, categories)),
        }
        return run_wrk_script(url, script, env, connections=connections, seconds=seconds)


async def document_cost(dsn: str) -> tuple[float, float, int, str]:
    """Building the 1,000-newest document once (ms for the SQL, ms for the encoding, its
    rows) and the plan of its query."""
    import asyncpg

    from pengaduan.open311 import documents, reading

    query = reading.request_query({})
    sql, args = reading.requests_sql(query)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.fetch(sql, *args)  # warm
        started = time.perf_counter()
        rows = await conn.fetch(sql, *args)
        sql_ms = (time.perf_counter() - started) * 1000
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args))
    finally:
        await conn.close()
    started = time.perf_counter()
    documents.encode("json", "service_requests", "request", [reading.as_request(r) for r in rows])
    encode_ms = (time.perf_counter() - started) * 1000
    return sql_ms, encode_ms, len(rows), plan


def combined(runs: list[dict]) -> dict:
    """Several runs of one kind as one: requests and time summed, the worst p50/p99."""
    return {
        "rps": sum(r["rps"] for r in runs) / len(runs),
        "p50": max(r["p50"] for r in runs),
        "p99": max(r["p99"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
    }


def line(name: str, x: dict) -> str:
    return (
        f"  {name:14} {x['rps']:9.1f} req/s   p50 {x['p50']:7.1f} ms   p99 {x['p99']:7.1f} ms"
        f"   ({x['requests']:,} requests, non-2xx/3xx {x['non_2xx']}"
        f"{', socket errors ' + x['socket_errors'] if x['socket_errors'] else ''})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="turns of each kind of filing")
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    args = parser.parse_args()
    log_dir = bench_environment()

    if not args.reuse:
        print(f"Seeding {args.complaints:,} complaints and {args.citizens} citizens ...")
    dsn = asyncio.run(
        prepare_database(args.complaints, 0, reuse=args.reuse, database_name=DATABASE)
    )
    asyncio.run(add_citizens(dsn, args.citizens))
    key = asyncio.run(add_key(dsn))
    categories = asyncio.run(
        _scalar(dsn, "SELECT array_agg(id ORDER BY id) FROM categories WHERE is_active")
    )
    app = start_app(dsn, log_dir)
    ceiling = None
    try:
        import httpx

        document = httpx.get(
            app.url + GET_PATH, timeout=60, headers={"Accept-Encoding": "identity"}
        )
        if document.status_code != 200 or len(document.json()) != 1000:
            raise SystemExit(f"requests.json: {document.status_code}, not 1,000 requests")
        size = len(document.content)
        ceiling = start_ceiling(size, log_dir)
        logged_in = asyncio.run(log_in_citizens(app.url, args.citizens))
        people = [
            f"{cookie}\t{token}\t{categories[i % len(categories)]}"
            for i, (cookie, token) in enumerate(logged_in)
        ]
        cookies = [cookie for cookie, _token in logged_in]
        print(
            f"\nrequests.json: 1,000 requests, {size:,} bytes; load: {args.connections}"
            f" connections, {args.seconds} s, wrk, {os.cpu_count()} CPU(s) shared by load tool,"
            f" app and database; {len(categories)} categories\n"
        )
        top = load(ceiling.url, cookies, args.connections, args.seconds, "/petugas/antrean")
        print(line("ceiling", top))
        # Reads carry no cookie: an Open311 client has none (the list's one is never sent).
        got = load(app.url, ["x=y"], args.connections, args.seconds, GET_PATH)
        print(line("GET requests", got))
        # The two kinds of filing in turns (the machine is shared: a slow moment should not
        # fall on one kind only); each kind's figures are summed over its rounds.
        rounds: dict[str, list[dict]] = {"POST requests": [], "form submit": []}
        made = {"POST requests": 0, "form submit": 0}
        for _round in range(args.rounds):
            for name in rounds:
                before = asyncio.run(_scalar(dsn, "SELECT count(*) FROM complaints"))
                if name == "POST requests":
                    r = run_wrk_open311(app.url, key, categories, args.connections, args.seconds)
                else:
                    r = run_wrk_posts(app.url, people, args.connections, args.seconds)
                made[name] += asyncio.run(_scalar(dsn, "SELECT count(*) FROM complaints")) - before
                rounds[name].append(r)
                print(line(name, r))
        posted, form = (combined(rounds[name]) for name in rounds)
        print(line("POST, all", posted))
        print(line("form, all", form))
        print(
            f"  {'':14} complaints made (warm-ups included): {made['POST requests']:,} by"
            f" Open311, {made['form submit']:,} by the form"
        )
        # After the writes: the newest 1,000 moved, the document is built again at least once.
        got_after = load(app.url, ["x=y"], args.connections, args.seconds, GET_PATH)
        print(line("GET, after", got_after))

        share = got["rps"] / top["rps"]
        post_share = posted["rps"] / form["rps"]
        ok_get = share >= TARGET_GET_SHARE and got["non_2xx"] == 0
        ok_post = post_share >= TARGET_POST_SHARE and posted["non_2xx"] == 0
        ok_post = ok_post and made["POST requests"] >= posted["requests"]
        print(
            f"\n  GET   {share:.1%} of the ceiling's requests/s (target ≥ {TARGET_GET_SHARE:.0%}):"
            f" {'MET' if ok_get else 'MISSED'}"
        )
        print(
            f"  POST  {post_share:.0%} of the HTML form's submit rate (target ≥"
            f" {TARGET_POST_SHARE:.0%}, the same rate): {'MET' if ok_post else 'MISSED'}"
        )
        sql_ms, encode_ms, rows, plan = asyncio.run(document_cost(dsn))
        print(
            f"\n  building the document once (a new public version): SQL {sql_ms:.1f} ms"
            f" ({rows:,} rows), JSON {encode_ms:.1f} ms\n\n{plan}"
        )
    finally:
        app.stop()
        if ceiling:
            ceiling.stop()


if __name__ == "__main__":
    main()
