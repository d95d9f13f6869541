"""The outside agencies' updates received (handover.inbound): one row per update id, so an
update sent twice is applied once and answered the same way."""

from piccolo.columns import JSONB, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.agency.tables import OutsideAgency
from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE


class HandoverUpdate(Table, tablename="handover_updates", db=ENGINE):
    # Unique per agency with update_id (handover_updates_key, a raw-SQL index in the migration).
    agency = ForeignKey(references=OutsideAgency, on_delete=OnDelete.cascade)
    update_id = Varchar(length=100)
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, index=True)
    # The answer given the first time: a repeat gets it again.
    answer = JSONB(null=True, default=None)
    received_at = Timestamptz()
