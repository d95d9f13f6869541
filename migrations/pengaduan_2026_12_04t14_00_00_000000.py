"""Archive and queue search on a stored, weighted document: complaints.search_document, a
generated column (title weight A above body weight B, Indonesian stemming) with its GIN index
complaints_search; the old expression index complaints_fts, which recomputed nothing but made
every ranking recompute each match's document, is dropped (nothing uses its expression now).

A generated column cannot be declared in a Piccolo table (an insert through the ORM would try
to write it), so it is raw SQL here and listed in tests/integration/test_schema.py.

On a large table: adding a STORED generated column rewrites the table (every row's document is
computed once) under an ACCESS EXCLUSIVE lock, then the index is built; at 1,000,000 complaints
this is a maintenance window of about a minute or two, not a per-request cost. Run it off-hours.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-04T14:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "stored weighted search document on complaints, its GIN index"


class RawSQL(Table, tablename="complaints"):
    pass


STATEMENTS = [
    "ALTER TABLE complaints ADD COLUMN IF NOT EXISTS search_document tsvector"
    " GENERATED ALWAYS AS ("
    "setweight(to_tsvector('indonesian'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('indonesian'::regconfig, coalesce(body, '')), 'B')"
    ") STORED",
    "CREATE INDEX IF NOT EXISTS complaints_search ON complaints USING gin (search_document)",
    "DROP INDEX IF EXISTS complaints_fts",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
