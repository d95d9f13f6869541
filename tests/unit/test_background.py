"""The background loops' shared parts: backing off while the database is away (one notice per
outage, no traceback), a bug logged with its traceback, and a loop that stops when asked."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from pengaduan import outages
from pengaduan.background import BackgroundLoop, Backoff

log = logging.getLogger("tests.background")


async def test_an_outage_backs_off_doubling_up_to_the_cap_and_a_success_starts_over() -> None:
    backoff = Backoff("a test loop", first=1.0, cap=5.0, logger=log)
    away = asyncpg.CannotConnectNowError("the database system is starting up")
    try:
        assert [backoff.failed(away, "not logged") for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
        backoff.succeeded()
        assert backoff.failed(away, "not logged") == 1.0
    finally:
        await outages.stop_probe()


def test_a_bug_is_logged_with_its_traceback_and_waits_the_cap(
    caplog: pytest.LogCaptureFixture,
) -> None:
    backoff = Backoff("a test loop", first=1.0, cap=5.0, logger=log)
    try:
        raise RuntimeError("a bug")
    except RuntimeError as exc:
        assert backoff.failed(exc, "round of %s failed", "the test") == 5.0
    (record,) = caplog.records
    assert record.getMessage() == "round of the test failed" and record.exc_info is not None
    assert backoff.unreachable == 0


async def test_a_loop_runs_its_rounds_until_stopped_and_wakes_early() -> None:
    rounds: list[int] = []

    class Counting(BackgroundLoop):
        async def round(self) -> float:
            rounds.append(1)
            return 60.0  # only a wake-up brings the next round this soon

    loop = Counting("test loop")
    loop.start()
    try:
        for _ in range(100):
            if rounds:
                break
            await asyncio.sleep(0.01)
        loop.wake()
        for _ in range(100):
            if len(rounds) >= 2:
                break
            await asyncio.sleep(0.01)
        assert len(rounds) == 2 and loop.running
    finally:
        await loop.stop()
    assert not loop.running and loop.stopping
