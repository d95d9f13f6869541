"""Live updates: the event stream per open page, fed by PostgreSQL LISTEN/NOTIFY."""

from __future__ import annotations

import asyncpg

from pengaduan import db
from pengaduan.live.channels import ListenBackend, LiveChannels


def live_plugin() -> LiveChannels:
    """The channels plugin of this worker. Its LISTEN connection goes to the database the
    app's lifespan resolved (the app's own lifespan runs first: it is given before plugins')."""

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(db.ENGINE.config["dsn"])

    return LiveChannels(ListenBackend(connect))
