"""The `pengaduan` command as an operator meets it: clear refusals, a real server."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.net import free_port
from tests.support.serving import PENGADUAN, cli_env, wait_healthy


def _serve_two_workers(port: int, env: dict[str, str]) -> subprocess.Popen:
    """`pengaduan serve` with two workers, its output kept, in a session of its own."""
    return subprocess.Popen(
        [*PENGADUAN, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_production_refuses_to_start_and_says_what_is_missing(data_dir: Path) -> None:
    result = subprocess.run(
        [*PENGADUAN, "serve"],
        env=cli_env(PENGADUAN_MODE="production", PENGADUAN_DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PENGADUAN_SECRET_KEY" in result.stderr and "DATABASE_URL" in result.stderr


def test_unreachable_database_stops_start_up(data_dir: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [*PENGADUAN, "serve", "--port", str(port)],
        env=cli_env(
            PENGADUAN_DATA_DIR=str(data_dir),
            DATABASE_URL=f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "database unavailable" in result.stderr
    assert "secret" not in result.stderr  # the password is never printed
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_with_two_workers_owns_and_stops_the_embedded_server(
    data_dir: Path, stop_signal: signal.Signals
) -> None:
    port = free_port()
    proc = _serve_two_workers(port, cli_env(PENGADUAN_DATA_DIR=str(data_dir)))
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        # Several requests land on both workers; all of them reach the database.
        for _ in range(10):
            page = httpx.get(f"http://127.0.0.1:{port}/")
            assert page.status_code == 200 and "Pengaduan" in page.text
        assert (data_dir / "pgdata" / "postmaster.pid").exists()
    finally:
        proc.send_signal(stop_signal)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    # The serving process owned the embedded server and stopped it on the way out.
    assert not (data_dir / "pgdata" / "postmaster.pid").exists(), output


def test_create_admin_then_log_in(db_dsn: str, data_dir: Path) -> None:
    env = cli_env(PENGADUAN_DATA_DIR=str(data_dir), DATABASE_URL=db_dsn)
    args = [
        *PENGADUAN,
        "create-admin",
        "--username",
        "Kepala",
        "--full-name",
        "Kepala Dinas",
        "--email",
        "kepala@pemkot.go.id",
        "--password-stdin",
    ]
    weak = subprocess.run(args, env=env, input="password123\n", capture_output=True, text=True)
    assert weak.returncode == 2 and "common" in weak.stderr
    ok = subprocess.run(
        args, env=env, input="ruang-rapat-lantai-3\n", capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    again = subprocess.run(
        args, env=env, input="ruang-rapat-lantai-3\n", capture_output=True, text=True
    )
    assert again.returncode == 2 and "exists already" in again.stderr

    import asyncio

    import asyncpg

    async def row() -> asyncpg.Record:
        conn = await asyncpg.connect(db_dsn)
        try:
            return await conn.fetchrow("SELECT role, username FROM users")
        finally:
            await conn.close()

    found = asyncio.run(row())
    assert found["role"] == "admin" and found["username"] == "kepala"


def test_serve_with_two_workers_against_database_url(db_dsn: str, data_dir: Path) -> None:
    port = free_port()
    proc = _serve_two_workers(port, cli_env(PENGADUAN_DATA_DIR=str(data_dir), DATABASE_URL=db_dsn))
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", proc)
        for _ in range(10):
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        # No embedded server was started: DATABASE_URL was used as it is.
        assert not (data_dir / "pgdata").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert output.count("Application startup complete") == 2, output  # both workers
    # Where mail goes is said at start: no SMTP server set, so the development mailbox.
    assert f"Mail: written to {data_dir / 'mailbox'}" in output, output
    assert f"http://127.0.0.1:{port}/dev/surat" in output, output
    assert "SMS: not sent (no gateway" in output, output


def test_seed_demo_refuses_production(data_dir: Path) -> None:
    result = subprocess.run(
        [*PENGADUAN, "seed-demo"],
        env=cli_env(
            PENGADUAN_MODE="production",
            PENGADUAN_DATA_DIR=str(data_dir),
            PENGADUAN_SECRET_KEY="s" * 40,
            PENGADUAN_ENCRYPTION_KEYS="x" * 43 + "=",
            PENGADUAN_BLIND_INDEX_KEY="b" * 40,
            PENGADUAN_BCRYPT_ROUNDS="12",
            DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "not in production" in result.stderr
