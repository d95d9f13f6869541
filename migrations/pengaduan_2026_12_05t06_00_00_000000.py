"""API keys for machine clients (Open311 and others) and their shared rate-limit windows.

The tables are written out as Piccolo creates them from apikeys.tables (ApiKey, ApiKeyWindow);
tests/integration/test_schema.py checks they agree.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T06:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "api keys and their rate-limit windows"


class RawSQL(Table, tablename="api_keys"):
    pass


STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "api_keys" ("id" SERIAL PRIMARY KEY NOT NULL, '
    "\"name\" VARCHAR(100) NOT NULL DEFAULT '', "
    "\"prefix\" VARCHAR(16) NOT NULL DEFAULT '', "
    "\"key_hash\" VARCHAR(64) UNIQUE NOT NULL DEFAULT '', "
    "\"scopes\" VARCHAR(32) NOT NULL DEFAULT '', "
    '"requests_per_minute" INTEGER NOT NULL DEFAULT 60, '
    '"created_by" INTEGER REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE CASCADE '
    "DEFAULT null, "
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"revoked_at" TIMESTAMPTZ DEFAULT null, '
    '"last_used_at" TIMESTAMPTZ DEFAULT null)',
    'CREATE TABLE IF NOT EXISTS "api_key_windows" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"api_key" INTEGER UNIQUE REFERENCES "api_keys" ("id") ON DELETE CASCADE '
    "ON UPDATE CASCADE DEFAULT null, "
    '"window_start" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"used" INTEGER NOT NULL DEFAULT 0)',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
