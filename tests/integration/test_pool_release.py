"""A pool connection goes back without asyncio.shield's extra task (db.engine._give_back),
and still always goes back: after plain use, after an error, and when the request is
cancelled while its connection's open transaction is being rolled back."""

from __future__ import annotations

import asyncio

import pytest

from pengaduan import db
from pengaduan.db import ENGINE


def _idle() -> int:
    return ENGINE.pool.get_idle_size()


async def _every_connection_usable() -> None:
    """All of the pool's connections can be held at once, each clean."""
    size = ENGINE.pool.get_max_size()
    held = 0
    all_held = asyncio.Event()

    async def hold() -> None:
        nonlocal held
        async with db.pooled() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT 1") == 1
            held += 1
            if held == size:
                all_held.set()
            await all_held.wait()

    await asyncio.wait_for(asyncio.gather(*(hold() for _ in range(size))), 10)


async def test_no_task_per_release(app, monkeypatch: pytest.MonkeyPatch) -> None:
    shielded = []
    shield = asyncio.shield
    monkeypatch.setattr(asyncio, "shield", lambda aw: shielded.append(aw) or shield(aw))
    for _ in range(5):
        assert await db.fetchval("SELECT 1") == 1
    assert shielded == []


async def test_a_connection_comes_back_after_an_error(app) -> None:
    before = _idle()
    with pytest.raises(Exception, match="division by zero"):
        await db.fetchval("SELECT 1 / 0")
    with pytest.raises(RuntimeError):
        async with db.pooled():
            raise RuntimeError("the handler failed")
    assert _idle() == before
    await _every_connection_usable()


async def test_cancelled_while_rolling_back_the_pool_stays_whole(app) -> None:
    rolling_back = asyncio.Event()

    async def request() -> None:
        async with db.pooled() as conn:
            await conn.execute("BEGIN")
            await conn.execute("SELECT pg_sleep(0)")
            rolling_back.set()
        # Leaving sends ROLLBACK (the transaction was left open): cancelled meanwhile.

    task = asyncio.create_task(request())
    await rolling_back.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _every_connection_usable()
