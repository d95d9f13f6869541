"""The app as a separate process (`pengaduan serve`): its command, a clean environment for it,
and waiting until it answers /healthz."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.support.waiting import wait_until

PENGADUAN = [sys.executable, "-m", "pengaduan.cli"]


def cli_env(**extra: str) -> dict[str, str]:
    """This process's environment without any PENGADUAN_* setting or DATABASE_URL (the test
    says what the server gets), bcrypt at its cheapest, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
    env.pop("DATABASE_URL", None)
    env["PENGADUAN_BCRYPT_ROUNDS"] = "4"
    env.update(extra)
    return env


def answers_health(url: str) -> bool:
    """True when `url` (a /healthz address) answers 200 now."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until the server started as `proc` answers `url`; fail at once if it exits."""

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        return answers_health(url)

    try:
        wait_until(up, "the server answering /healthz", seconds, poll=0.25)
    except TimeoutError:
        raise AssertionError("server did not become healthy") from None
