"""What the benches share to set up what they measure: their environment, a free port for a
server they start, logging in as a browser does (the login page for the CSRF cookie, then the
form with the token in the header, as htmx sends it) and counting the SQL a page costs. httpx
is imported by the callers: these take their clients."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH_PGDATA = ROOT / "var" / "bench-pgdata"


def bench_environment() -> Path:
    """Settings every bench's app runs with (its own data folder, bcrypt at its cheapest: logins
    are not what is measured), and no line per request from httpx; returns that folder, where
    the servers' logs go too."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    folder = ROOT / "var" / "bench"
    os.environ["PENGADUAN_DATA_DIR"] = str(folder)
    os.environ["PENGADUAN_BCRYPT_ROUNDS"] = "4"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add_settings_option(parser: Any, help: str) -> None:
    """`--with NAME=VALUE` (repeatable): settings to start an app with, as `args.settings`;
    `settings_of(args)` gives them as keyword arguments for queue_load.start_app."""
    parser.add_argument(
        "--with", dest="settings", action="append", default=[], metavar="NAME=VALUE", help=help
    )


def settings_of(args: Any) -> dict[str, str]:
    return dict(setting.split("=", 1) for setting in args.settings)


def free_port() -> int:
    """A TCP port on the loopback nobody listens on (for a server about to start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _checked(identifier: str, response: Any, client: Any) -> Any:
    if response.status_code != 303 or "sid" not in client.cookies:
        raise SystemExit(f"{identifier} could not log in: {response.status_code}")
    return response


async def log_in(client: Any, identifier: str, password: str) -> Any:
    """Log `client` (an httpx.AsyncClient) in; stops the bench when that fails."""
    await client.get("/masuk")
    response = await client.post(
        "/masuk",
        data={"identifier": identifier, "password": password},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    return _checked(identifier, response, client)


def log_in_blocking(client: Any, identifier: str, password: str) -> Any:
    """`log_in` for an httpx.Client."""
    client.get("/masuk")
    response = client.post(
        "/masuk",
        data={"identifier": identifier, "password": password},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    return _checked(identifier, response, client)


def cookie_header(client: Any) -> str:
    """The Cookie header the logged-in browser sends (session and CSRF cookie), for load
    generators that take one."""
    return f"sid={client.cookies['sid']}; csrftoken={client.cookies['csrftoken']}"


@contextlib.contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs, in-process: every Piccolo query
    (built or raw) goes through the engine's run_querystring, the hot reads that bypass
    Piccolo through db.fetch, db.fetch_planned and db.fetch_together(_values)."""
    from pengaduan import db
    from pengaduan.db import ENGINE

    sent: list[str] = []
    original = ENGINE.run_querystring

    async def counting(querystring: Any, in_pool: bool = True) -> Any:
        sent.append(str(querystring))
        return await original(querystring, in_pool=in_pool)

    def counted(function: Any) -> Any:
        async def run(sql: str, *args: Any, **options: Any) -> Any:
            sent.append(sql)
            return await function(sql, *args, **options)

        return run

    # What the checkout being measured has (an older one: not fetch_planned).
    names = ("fetch", "fetch_planned", "fetch_together", "fetch_together_values")
    originals = {name: getattr(db, name) for name in names if hasattr(db, name)}
    ENGINE.run_querystring = counting
    for name, function in originals.items():
        setattr(db, name, counted(function))
    try:
        yield sent
    finally:
        ENGINE.run_querystring = original
        for name, function in originals.items():
            setattr(db, name, function)


# --- wrk ---------------------------------------------------------------------------------------


def wrk_ms(text: str) -> float:
    """A wrk duration ("812.00us", "4.20ms", "1.02s") in milliseconds."""
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_figures(out: str) -> dict[str, Any]:
    """What a `wrk --latency` run printed: req/s, p50/p99 (ms), requests, errors."""
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": wrk_ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": wrk_ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


def run_wrk_script(
    url: str,
    script: Path,
    env: dict[str, str],
    *,
    connections: int,
    seconds: int,
    warmup_seconds: int = 2,
    request_timeout: str | None = "10s",
) -> dict[str, Any]:
    """A warm-up (connections, caches), then the measurement: wrk with a Lua `script` that
    reads its inputs from `env` (each run gets a fresh BENCH_NONCE, for scripts that make
    unique values)."""
    argv = ["wrk", "-t2", f"-c{connections}", "--latency", "-s", str(script)]
    if request_timeout:
        argv += ["--timeout", request_timeout]
    subprocess.run(
        [*argv, f"-d{warmup_seconds}s", url],
        env={**env, "BENCH_NONCE": secrets.token_hex(6)},
        capture_output=True,
    )
    out = subprocess.run(
        [*argv, f"-d{seconds}s", url],
        env={**env, "BENCH_NONCE": secrets.token_hex(6)},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    return wrk_figures(out)


def postgres_cpu() -> dict[str, float]:
    """The CPU seconds (user and system) so far of each process of the bench's PostgreSQL:
    its postmaster and the processes it started (other servers, e.g. tests', left out)."""
    postmaster = (BENCH_PGDATA / "postmaster.pid").read_text().split()[0]
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if pid == postmaster or fields[1] == postmaster:  # fields[1]: the parent's pid
            found[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def postgres_cpu_since(before: dict[str, float]) -> float:
    """The CPU seconds its processes spent since `before` (one that ended meanwhile, e.g. an
    autovacuum worker, is not counted; a new one counts whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu().items())
