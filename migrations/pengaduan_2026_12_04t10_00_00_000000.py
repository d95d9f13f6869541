"""Anonymous complaints stay anonymous in the audit log: a flag for entries made by the reporter
of an anonymous complaint (whose actor and address are left empty), and the entries written
before this rule scrubbed the same way (actor and address removed, the flag set).

Piccolo runs a migration's raw statements before its column changes, so the scrub runs after
them here, in the same transaction.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder
from piccolo.table import Table

ID = "2026-12-04T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log: the reporter of an anonymous complaint is not named"


class RawSQL(Table, tablename="audit_log"):
    pass


SCRUB = """
UPDATE audit_log a SET actor = NULL, ip = '', by_anonymous_reporter = true
FROM complaints c
WHERE a.target_type = 'complaint' AND a.target_id = c.id::text
  AND a.actor = c.reporter AND c.is_anonymous
"""


class _AddColumnThenScrub(MigrationManager):
    async def run(self, backwards: bool = False) -> None:
        engine = engine_finder()
        assert engine is not None
        # The nested transaction of super().run() joins this one: column and scrub together.
        async with engine.transaction():
            await super().run(backwards=backwards)
            if not backwards and not self.preview:
                await RawSQL.raw(SCRUB)


async def forwards():
    manager = _AddColumnThenScrub(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)
    manager.add_column(
        table_class_name="AuditLog",
        tablename="audit_log",
        column_name="by_anonymous_reporter",
        db_column_name="by_anonymous_reporter",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
