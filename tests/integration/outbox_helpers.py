"""What the outbox tests share: the session app's in-app worker paused (the tests drive the
deliveries themselves), and every queued message made due at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar import Litestar


@pytest.fixture(scope="module", autouse=True)
async def quiet_session_app(app: Litestar) -> AsyncIterator[None]:
    """The session's app: its lifespan points the engine at the test database and opens
    the pool these tests use. Should its settings ever run the in-app outbox worker, that
    worker would race the deliveries driven here, so it pauses for the module that imports
    this fixture."""
    worker = app.state.outbox_worker
    if worker is not None:
        await worker.stop()
    yield
    if worker is not None:
        worker.start()


async def make_due(dsn: str) -> None:
    """Every queued message due now (instead of waiting for its retry)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("UPDATE outbox SET next_attempt_at = now() - interval '1 second'")
    finally:
        await conn.close()
