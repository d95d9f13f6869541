"""Queue indexes measured with bench/queue_load.py (raw SQL; composite indexes).

Listed in tests/integration/test_schema.py as known extras beyond the declared tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T17:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue indexes by priority and by officer"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    # The queue reads each priority of a unit's open complaints in due-date order.
    "CREATE INDEX IF NOT EXISTS complaints_queue_priority ON complaints "
    "(unit, status, priority, due_at, id)",
    # "Assigned to me" and "unassigned" views and their counts.
    "CREATE INDEX IF NOT EXISTS complaints_queue_officer ON complaints "
    "(unit, officer, status, due_at)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
