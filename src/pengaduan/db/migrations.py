"""Piccolo migrations in the top-level migrations/ folder: which are pending, and applying them."""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pengaduan.db.engine import ENGINE, configure_engine
from pengaduan.piccolo_app import APP_CONFIG


def migrations_dir() -> Path:
    return Path(APP_CONFIG.migrations_folder_path)


def _piccolo_app_config() -> Any:
    return APP_CONFIG


@contextlib.asynccontextmanager
async def engine_at(dsn: str) -> AsyncIterator[None]:
    """Point the engine at `dsn` with no pool for a while (Piccolo's migration machinery
    only knows the one engine). For the CLI and tests, never inside a serving app."""
    saved_pool, saved_config = ENGINE.pool, ENGINE.config
    ENGINE.pool = None
    configure_engine(dsn)
    try:
        yield
    finally:
        ENGINE.pool, ENGINE.config = saved_pool, saved_config


async def pending_migrations(dsn: str) -> list[str]:
    """Ids of the migrations in migrations/ not yet applied to `dsn`."""
    async with engine_at(dsn):
        return await _pending()


async def _pending() -> list[str]:
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = BaseMigrationManager()
    with contextlib.redirect_stdout(io.StringIO()):
        await manager.create_migration_table()
    app_config = _piccolo_app_config()
    modules = manager.get_migration_modules(app_config.resolved_migrations_folder_path)
    ran = set(await Migration.get_migrations_which_ran(app_name=app_config.app_name))
    return sorted(set(manager.get_migration_ids(modules)) - ran)


async def migrate(dsn: str, *, up_to: str = "all") -> list[str]:
    """Apply every pending migration in migrations/ to `dsn` (or those up to and including
    the id `up_to`: a test of a data migration starts from the schema before it); return the
    ids applied."""
    async with engine_at(dsn):
        pending = [p for p in await _pending() if up_to == "all" or p <= up_to]
        if not pending:
            return []
        from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            result = await ForwardsMigrationManager(app_name="pengaduan", migration_id=up_to).run()
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}\n{output.getvalue()}")
    return pending
