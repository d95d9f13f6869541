"""Password reset codes (for citizens without email: by SMS or from the service desk), and
the outbox's partial indexes for the admins' list by state (dead, pending, sent), so that a
page of it reads its own rows in order and counts nothing.

The table is written out as Piccolo creates it from accounts.tables.PasswordResetCode
(tests/integration/test_schema.py checks they agree); the indexes are raw SQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "password reset codes; outbox indexes per state"


class RawSQL(Table, tablename="password_reset_codes"):
    pass


STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "password_reset_codes" ('
    '"id" SERIAL PRIMARY KEY NOT NULL, '
    '"user" INTEGER REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
    "\"code_hash\" VARCHAR(64) NOT NULL DEFAULT '', "
    "\"channel\" VARCHAR(8) NOT NULL DEFAULT '', "
    '"attempts" INTEGER NOT NULL DEFAULT 0, '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"expires_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"used_at" TIMESTAMPTZ DEFAULT null, '
    '"issued_by" INTEGER REFERENCES "users" ("id") ON DELETE SET NULL ON UPDATE CASCADE '
    "DEFAULT null)",
    'CREATE INDEX IF NOT EXISTS password_reset_codes_user ON "password_reset_codes" '
    'USING btree ("user")',
    "CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (dead_at DESC, id DESC) "
    "WHERE dead_at IS NOT NULL AND sent_at IS NULL",
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (id DESC) "
    "WHERE sent_at IS NULL AND dead_at IS NULL",
    "CREATE INDEX IF NOT EXISTS outbox_sent ON outbox (sent_at DESC, id DESC) "
    "WHERE sent_at IS NOT NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
