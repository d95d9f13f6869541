"""Search and queue indexes that Piccolo's table classes cannot express (raw SQL).

Listed in tests/integration/test_schema.py as the known extras beyond the declared tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T17:12:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "full-text, trigram and queue indexes"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # The public archive's full-text search, with Indonesian stemming.
    "CREATE INDEX IF NOT EXISTS complaints_fts ON complaints USING gin "
    "(to_tsvector('indonesian'::regconfig, title || ' ' || body))",
    # Similar complaints while a title is typed, and location filters.
    "CREATE INDEX IF NOT EXISTS complaints_title_trgm ON complaints USING gin "
    "(title gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS complaints_location_trgm ON complaints USING gin "
    "(location_text gin_trgm_ops)",
    # Officer queues: a unit's complaints in a status, by due date.
    "CREATE INDEX IF NOT EXISTS complaints_queue ON complaints (unit, status, due_at)",
    # My complaints: a reporter's, newest first.
    "CREATE INDEX IF NOT EXISTS complaints_reporter_recent ON complaints "
    "(reporter, submitted_at DESC)",
    # Notification bell: a user's unread, newest first.
    "CREATE INDEX IF NOT EXISTS notifications_unread ON notifications "
    '("user", is_read, created_at DESC)',
    # The outbox worker's pick: due, unsent, alive.
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) "
    "WHERE sent_at IS NULL AND dead_at IS NULL",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
