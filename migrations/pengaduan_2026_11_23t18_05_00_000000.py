"""The count of a unit's open complaints (raw SQL; a partial index), measured with
bench/queue_load.py: the queue's count reads a third as many pages and takes about half the time.

Listed in tests/integration/test_schema.py as a known extra beyond the declared tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T18:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial index for counting a unit's open complaints"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    # Only the open complaints, one small deduplicated entry each: the queue counts them on
    # every page (complaints.tables.OPEN_STATUSES).
    "CREATE INDEX IF NOT EXISTS complaints_open_unit ON complaints (unit) "
    "WHERE status IN ('pending', 'verified', 'in_progress')",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
