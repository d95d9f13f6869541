"""Hand-over to outside agencies: the agencies (agency.tables.OutsideAgency), the complaint's
agency and when it was handed over, the agency named on history rows and public replies it
made, and the updates it sent (handover.tables.HandoverUpdate), unique per agency and update
id through a raw-SQL index.

Written out as Piccolo creates them (tests/integration/test_schema.py checks they agree);
handover_updates_key is listed there as a known extra.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T05:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outside agencies and hand-over"


class RawSQL(Table, tablename="outside_agencies"):
    pass


_AGENCY_FK = (
    'INTEGER REFERENCES "outside_agencies" ("id") ON DELETE RESTRICT ON UPDATE CASCADE '
    "DEFAULT null"
)

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "outside_agencies" ('
    '"id" SERIAL PRIMARY KEY NOT NULL, '
    "\"name\" VARCHAR(150) UNIQUE NOT NULL DEFAULT '', "
    "\"endpoint_url\" VARCHAR(500) NOT NULL DEFAULT '', "
    "\"secret_encrypted\" TEXT NOT NULL DEFAULT '', "
    '"is_active" BOOLEAN NOT NULL DEFAULT true, '
    '"created_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, '
    '"updated_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE INDEX IF NOT EXISTS outside_agencies_is_active ON "outside_agencies" '
    'USING btree ("is_active")',
    f'ALTER TABLE "complaints" ADD COLUMN IF NOT EXISTS "handed_to" {_AGENCY_FK}',
    'ALTER TABLE "complaints" ADD COLUMN IF NOT EXISTS "handed_at" TIMESTAMPTZ DEFAULT null',
    f'ALTER TABLE "status_history" ADD COLUMN IF NOT EXISTS "outside_agency" {_AGENCY_FK}',
    f'ALTER TABLE "messages" ADD COLUMN IF NOT EXISTS "outside_agency" {_AGENCY_FK}',
    'CREATE TABLE IF NOT EXISTS "handover_updates" ('
    '"id" SERIAL PRIMARY KEY NOT NULL, '
    '"agency" INTEGER REFERENCES "outside_agencies" ("id") ON DELETE CASCADE '
    "ON UPDATE CASCADE DEFAULT null, "
    "\"update_id\" VARCHAR(100) NOT NULL DEFAULT '', "
    '"complaint" INTEGER REFERENCES "complaints" ("id") ON DELETE CASCADE '
    "ON UPDATE CASCADE DEFAULT null, "
    '"answer" JSONB DEFAULT null, '
    '"received_at" TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)',
    'CREATE INDEX IF NOT EXISTS handover_updates_complaint ON "handover_updates" '
    'USING btree ("complaint")',
    "CREATE UNIQUE INDEX IF NOT EXISTS handover_updates_key ON handover_updates "
    "(agency, update_id)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await RawSQL.raw(statement)

    manager.add_raw(run)
    return manager
