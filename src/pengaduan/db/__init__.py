"""The database. `from pengaduan import db` gives the engine, the pool and the SQL functions
(`db.fetch`, `db.fetch_together`, `db.execute`, `db.Where`, ...); the embedded server and
migrations are the submodules `db.embedded` and `db.migrations` (imported where needed:
migrations read the Piccolo app, which reads every table)."""

from pengaduan.db.engine import (
    APP_DATABASE,
    ENGINE,
    DatabaseUnavailable,
    check_connection,
    close_pool,
    configure_engine,
    database_name,
    in_transaction,
    one_connection,
    open_pool,
    ping,
    pooled,
    redact,
    with_database,
)
from pengaduan.db.sql import (
    COUNT_CAP,
    Where,
    capped_count,
    escape_like,
    execute,
    fetch,
    fetch_planned,
    fetchrow,
    fetchval,
    packed_sql,
    unpacked,
)
from pengaduan.db.together import as_values, fetch_together, fetch_together_values

__all__ = [
    "APP_DATABASE",
    "COUNT_CAP",
    "ENGINE",
    "DatabaseUnavailable",
    "Where",
    "as_values",
    "capped_count",
    "check_connection",
    "close_pool",
    "configure_engine",
    "database_name",
    "escape_like",
    "execute",
    "fetch",
    "fetch_planned",
    "fetch_together",
    "fetch_together_values",
    "fetchrow",
    "fetchval",
    "in_transaction",
    "one_connection",
    "open_pool",
    "packed_sql",
    "ping",
    "pooled",
    "redact",
    "unpacked",
    "with_database",
]
