"""The queue's default view (one unit's open complaints, most urgent first) read in order
from one index (raw SQL; a partial expression index), measured with bench/queue_load.py.

Listed in tests/integration/test_schema.py as a known extra beyond the declared tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-23T18:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "queue index of open complaints in urgency order"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    # The rank expression must stay exactly handling.queue._OPEN_RANK_SQL (the planner matches
    # it), the condition complaints.tables.OPEN_STATUSES.
    "CREATE INDEX IF NOT EXISTS complaints_queue_open_rank ON complaints (unit, "
    "(CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 "
    "WHEN 'low' THEN 3 END), due_at, id) "
    "WHERE status IN ('pending', 'verified', 'in_progress')",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
