"""Tables for API keys and their shared rate-limit windows."""

from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.accounts.tables import User
from pengaduan.db import ENGINE


class ApiKey(Table, tablename="api_keys", db=ENGINE):
    """One client's key. The key itself is never stored: its SHA-256 (`key_hash`) finds it,
    and `prefix` (its first characters) lets people recognise it in lists."""

    name = Varchar(length=100)
    prefix = Varchar(length=16)
    key_hash = Varchar(length=64, unique=True)
    scopes = Varchar(length=32)  # comma list of apikeys.services.SCOPES
    requests_per_minute = Integer(default=60)
    created_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    # Written with the rate-limit window (at most once a second per worker), not per request.
    last_used_at = Timestamptz(null=True, default=None)


class ApiKeyWindow(Table, tablename="api_key_windows", db=ENGINE):
    """The current minute's count of a key's requests, summed from every worker's flushes."""

    api_key = ForeignKey(references=ApiKey, on_delete=OnDelete.cascade, unique=True)
    window_start = Timestamptz()
    used = Integer(default=0)
