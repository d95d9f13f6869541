"""The inbound messages seen: one row per provider message id, so that a message the gateway
delivers again is done once. Neither the sender's number nor the text is kept here."""

from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE


class InboundMessage(Table, tablename="inbound_messages", db=ENGINE):
    # "<channel>:<the provider's message id>"
    message_key = Varchar(length=200, unique=True)
    channel = Varchar(length=16)  # whatsapp | sms
    # What was done: filed, status, no_match, help, refused, throttled, ...
    action = Varchar(length=16, default="")
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.set_null, null=True)
    received_at = Timestamptz(index=True)
