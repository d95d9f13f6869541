"""Complaint numbers from a sequence (complaint_numbers) instead of a counter row per year.

Every submission updated the year's complaint_counters row and held its lock to commit, so
submissions queued behind each other (issue 13: 1,445 of 1,529 active backends waiting on that
row). nextval() holds no lock past the call. The sequence's values continue across years
(complaints.services, "NUMBER_SEQUENCE"); it starts past every number already stored and past
the old counters, so existing numbers stay valid and none is given twice. The counters go.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "complaint numbers from a sequence"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    # Owned by the number column: TRUNCATE complaints RESTART IDENTITY (tests) restarts it too.
    "CREATE SEQUENCE IF NOT EXISTS complaint_numbers AS bigint OWNED BY complaints.number",
    """
SELECT setval('complaint_numbers', greatest(
    (SELECT max(split_part(number, '-', 3)::bigint) FROM complaints
     WHERE number ~ '^ADU-[0-9][0-9][0-9][0-9]-[0-9]+$'),
    (SELECT max(last_value) FROM complaint_counters)))
WHERE greatest(
    (SELECT max(split_part(number, '-', 3)::bigint) FROM complaints
     WHERE number ~ '^ADU-[0-9][0-9][0-9][0-9]-[0-9]+$'),
    (SELECT max(last_value) FROM complaint_counters)) > 0
""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    # Raw SQL runs before the table operations: the counters are read before they are dropped.
    manager.add_raw(run)
    manager.drop_table(class_name="ComplaintCounter", tablename="complaint_counters")
    return manager
