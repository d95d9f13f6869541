"""Idempotency keys on messages (citizens' messages, officers' replies and internal notes),
ratings and response templates: the form's key, unique, so a double tap or a resent form stores
one row."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-04T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "idempotency keys on messages, ratings and response templates"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="pengaduan", description=DESCRIPTION)

    for class_name, tablename in (
        ("Message", "messages"),
        ("Rating", "ratings"),
        ("ResponseTemplate", "response_templates"),
    ):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="idempotency_key",
            db_column_name="idempotency_key",
            column_class_name="Varchar",
            column_class=Varchar,
            params={
                "length": 64,
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": True,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    return manager
