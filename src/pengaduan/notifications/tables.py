"""Tables for in-app notifications and the delivery outbox."""

from piccolo.columns import (
    JSONB,
    Array,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.accounts.tables import User
from pengaduan.complaints.tables import Complaint
from pengaduan.db import ENGINE


class Notification(Table, tablename="notifications", db=ENGINE):
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=32)
    title = Varchar(length=200)
    body = Text(default="")
    # The kind's parameters (complaint number, status code, what someone wrote): the text is
    # made from them when read, in the reader's language (notifications.texts). NULL on rows
    # from before that could not be read back; their title and body are shown as written.
    # Title and body keep the text as first written, for those rows and for the record.
    params = JSONB(null=True, default=None)
    complaint = ForeignKey(references=Complaint, on_delete=OnDelete.cascade, null=True)
    is_read = Boolean(default=False, index=True)
    created_at = Timestamptz(index=True)


class Outbox(Table, tablename="outbox", db=ENGINE):
    channel = Varchar(length=16)  # email | sms
    recipient = Varchar(length=254)
    payload = JSONB()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    sent_at = Timestamptz(null=True, default=None, index=True)
    dead_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz()


class NotificationPreference(Table, tablename="notification_preferences", db=ENGINE):
    """Which kinds of notification a user gets by email and by SMS (no row: the defaults).

    The in-app centre always gets everything: it is the record of what happened.
    """

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, unique=True)
    email_kinds = Array(base_column=Varchar(length=32), default=list)
    sms_kinds = Array(base_column=Varchar(length=32), default=list)
    updated_at = Timestamptz()
