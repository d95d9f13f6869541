"""The audit log table."""

from piccolo.columns import JSONB, Boolean, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.accounts.tables import User
from pengaduan.db import ENGINE


class AuditLog(Table, tablename="audit_log", db=ENGINE):
    actor = ForeignKey(references=User, on_delete=OnDelete.restrict, null=True, index=True)
    action = Varchar(length=64, index=True)
    target_type = Varchar(length=32, default="")
    target_id = Varchar(length=64, default="")
    data = JSONB(default="{}")
    at = Timestamptz(index=True)
    ip = Varchar(length=45, default="")
    # The reporter of an anonymous complaint acting on it: actor and ip are left empty on
    # purpose (see "Anonymous complaints" in the README).
    by_anonymous_reporter = Boolean(default=False)
