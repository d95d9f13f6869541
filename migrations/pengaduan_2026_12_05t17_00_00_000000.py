"""complaints_queue_category: the queue's lists filtered by a category, in the order of work.

Why: the queue reads each priority and status of a list in due-date order from
complaints_queue_priority (unit, status, priority, due_at, id) and kept the rows of the
category asked for. A category of another unit, or a rare one, had none to keep: an officer's
queue filtered by one walked all of the unit's complaints, 383 ms of PostgreSQL per visit at a
million complaints (7 ms at ten thousand), again at every refresh of the open page; the
admin's list filtered by one, 36 ms. With the category (and the unit) first, each walk reads
only what it shows: 5 ms for both. Statistics on the unit and category together let the
planner see that a unit holds few of another unit's category (it took them as independent).

Listed in tests/integration/test_schema.py as a known extra beyond the declared tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaints_queue_category: the queue filtered by a category"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS complaints_queue_category ON complaints "
    "(category, unit, status, priority, due_at, id)",
    # Which categories each unit holds: without it PostgreSQL takes a category common in all
    # complaints to be as common in every unit, and walks a unit's queue (or its open ones,
    # for the count) in search of one that the unit holds few of or none.
    "CREATE STATISTICS IF NOT EXISTS complaints_unit_category (mcv) ON unit, category "
    "FROM complaints",
    "ANALYZE complaints",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
