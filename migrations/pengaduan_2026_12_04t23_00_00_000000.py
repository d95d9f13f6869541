"""Complaints from outside the web form (Open311, the app's API, mail, WhatsApp/SMS): which
channel brought each complaint, whether its category was suggested rather than chosen, and
contact-only reporters (people who complained by mail or phone without an account), found
again by a keyed hash of their address.

Adding a column with a constant default does not rewrite the table (PostgreSQL 11+).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaint channel, suggested category, contact-only reporters"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    "ALTER TABLE complaints ADD COLUMN IF NOT EXISTS channel VARCHAR(16) NOT NULL "
    "DEFAULT 'web'",
    "ALTER TABLE complaints ADD COLUMN IF NOT EXISTS category_suggested BOOLEAN NOT NULL "
    "DEFAULT false",
    "ALTER TABLE users ADD COLUMN IF NOT EXISTS contact_key VARCHAR(64) NULL DEFAULT NULL "
    "UNIQUE",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
