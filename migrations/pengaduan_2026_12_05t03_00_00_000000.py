"""Category suggestion (issue 15): what the officers' classifications taught it, per category
and term (category_terms) and per category (category_counts), sharded by complaint (see
pengaduan.categorising.tables). Starts empty: `pengaduan categorise rebuild` counts the
complaints classified before it.

The unique keys are raw SQL: listed in tests/integration/test_schema.py. The terms' key starts
with the term: a suggestion reads every row of its terms in one index range each.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "category suggestion: term counts per category"


class RawSQL(Table, tablename="category_terms"):
    pass


STATEMENTS = [
    'CREATE TABLE "category_terms" ("id" SERIAL PRIMARY KEY NOT NULL, '
    '"term" VARCHAR(32) NOT NULL DEFAULT \'\', "category" INTEGER REFERENCES "categories" '
    '("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, "shard" SMALLINT NOT NULL '
    'DEFAULT 0, "documents" INTEGER NOT NULL DEFAULT 0)',
    'CREATE TABLE "category_counts" ("id" SERIAL PRIMARY KEY NOT NULL, "category" INTEGER '
    'REFERENCES "categories" ("id") ON DELETE CASCADE ON UPDATE CASCADE DEFAULT null, '
    '"shard" SMALLINT NOT NULL DEFAULT 0, "documents" INTEGER NOT NULL DEFAULT 0, '
    '"terms" INTEGER NOT NULL DEFAULT 0)',
    "CREATE UNIQUE INDEX category_terms_key ON category_terms (term, category, shard)",
    "CREATE UNIQUE INDEX category_counts_key ON category_counts (category, shard)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
