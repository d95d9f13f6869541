"""The migrations build exactly the schema the Piccolo tables declare (no drift)."""

from __future__ import annotations

import os

import asyncpg

from pengaduan.db import migrations
from pengaduan.piccolo_app import TABLES
from tests.support.databases import drop_database, recreate_database

COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable, column_default,
       character_maximum_length
FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migration'
  AND (table_name, column_name) <> ('complaints', 'search_document')
"""
CONSTRAINTS = """
SELECT conrelid::regclass::text AS tbl, contype, pg_get_constraintdef(oid) AS def
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  AND conrelid::regclass::text <> 'migration'
"""
# Columns made by raw SQL in a migration (a generated column; Piccolo tables cannot declare
# one): complaints.search_document, excluded in COLUMNS above.
# Indexes made by raw SQL in a migration (Piccolo tables cannot declare them).
RAW_SQL_INDEXES = {
    "complaints_search",
    "complaints_title_trgm",
    "complaints_location_trgm",
    "complaints_queue",
    "complaints_reporter_recent",
    "notifications_unread",
    "outbox_due",
    "complaints_queue_priority",
    "complaints_queue_officer",
    "complaints_queue_category",
    "complaints_open_unit",
    "complaints_queue_open_rank",
    "complaints_open_rank_all",
    "complaint_daily_key",
    "complaints_stats_open",
    "complaints_stats_open_period",
    "complaints_stats_resolve_time",
    "complaints_stats_unit_resolve_time",
    "complaints_stats_response_time",
    "complaints_stats_resolved",
    "outbox_dead",
    "outbox_pending",
    "outbox_sent",
    "handover_updates_key",
    "category_terms_key",
    "category_counts_key",
    "complaints_position",
    "complaint_cells_key",
    "complaint_cells_slots",
    "complaint_tallies_key",
}
INDEXES = """
SELECT tablename, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') AS def
FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'migration'
  AND indexname <> ALL($1::text[])
"""


async def _shape(dsn: str) -> dict[str, set]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "columns": {tuple(r) for r in await conn.fetch(COLUMNS)},
            "constraints": {tuple(r) for r in await conn.fetch(CONSTRAINTS)},
            "indexes": {tuple(r) for r in await conn.fetch(INDEXES, list(RAW_SQL_INDEXES))},
        }
    finally:
        await conn.close()


async def test_migrations_match_the_declared_tables(pg_server_dsn: str) -> None:
    migrated = await recreate_database(pg_server_dsn, f"drift_migrated_{os.getpid()}")
    declared = await recreate_database(pg_server_dsn, f"drift_declared_{os.getpid()}")
    applied = await migrations.migrate(migrated)
    assert applied, "an empty database gets every migration"
    assert await migrations.pending_migrations(migrated) == []

    conn = await asyncpg.connect(declared)
    try:
        for table in TABLES:  # in foreign-key order
            for statement in table.create_table().ddl:
                await conn.execute(statement)
    finally:
        await conn.close()

    got, want = await _shape(migrated), await _shape(declared)
    for name in (f"drift_migrated_{os.getpid()}", f"drift_declared_{os.getpid()}"):
        await drop_database(pg_server_dsn, name)
    for part in ("columns", "constraints", "indexes"):
        assert got[part] - want[part] == set(), f"{part} only in the migrations"
        assert want[part] - got[part] == set(), f"{part} declared but not migrated"


async def test_raw_sql_indexes_exist(db_dsn: str) -> None:
    conn = await asyncpg.connect(db_dsn)
    try:
        names = {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes")}
    finally:
        await conn.close()
    assert RAW_SQL_INDEXES <= names


async def test_queue_and_list_indexes_exist(db_dsn: str) -> None:
    conn = await asyncpg.connect(db_dsn)
    try:
        rows = await conn.fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'complaints'")
    finally:
        await conn.close()
    defs = " ".join(r["indexdef"] for r in rows)
    for column in ("number", "status", "unit", "officer", "reporter", "due_at", "submitted_at"):
        assert f"({column})" in defs, column
    assert "UNIQUE INDEX" in defs


async def test_migrating_twice_is_a_no_op(db_dsn: str) -> None:
    assert await migrations.migrate(db_dsn) == []
