"""Support for the test suites (tests/ and e2e/): test databases and their cleaning."""

from __future__ import annotations

import os

import asyncpg

from pengaduan import database
from pengaduan.settings import Settings, load_settings

APP_TABLES_SQL = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables
WHERE schemaname = 'public' AND tablename <> 'migration'
"""


async def recreate_database(server_dsn: str, name: str) -> str:
    """Drop and create database `name` on the server; return its address."""
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return database.with_database(server_dsn, name)


async def truncate_all(dsn: str) -> None:
    """Empty every application table (the migration ledger stays)."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetchval(APP_TABLES_SQL)
        if tables:
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


def settings_for(dsn: str, **overrides: str) -> Settings:
    """Development settings pointed at `dsn`, with the test run's data folder and cost."""
    env = {
        "PENGADUAN_MODE": "development",
        "PENGADUAN_DATA_DIR": os.environ.get("PENGADUAN_DATA_DIR", "var/test"),
        "PENGADUAN_BCRYPT_ROUNDS": os.environ.get("PENGADUAN_BCRYPT_ROUNDS", "4"),
        "DATABASE_URL": dsn,
    }
    env.update(overrides)
    return load_settings(env)
