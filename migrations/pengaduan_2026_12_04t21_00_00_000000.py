"""The admins' complaint list across all units (open complaints, most urgent first) read in
order from one index, as one unit's queue is (complaints_queue_open_rank): at 1,000,000
complaints the per-status/priority union over all units cost ~40 ms a page.

Listed in tests/integration/test_schema.py as a known extra beyond the declared tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T21:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index of open complaints in urgency order across units"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    # The rank expression must stay exactly handling.queue._OPEN_RANK_SQL (the planner matches
    # it), the condition complaints.statuses.OPEN_SQL.
    "CREATE INDEX IF NOT EXISTS complaints_open_rank_all ON complaints ("
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
