"""Tables for units (instansi/divisi), complaint categories, their response templates, and the
outside agencies complaints can be handed over to."""

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.db import ENGINE


class Unit(Table, tablename="units", db=ENGINE):
    name = Varchar(length=150, unique=True)
    description = Text(default="")
    is_active = Boolean(default=True, index=True)
    # New complaints are assigned to the officer with the fewest open ones.
    auto_assign = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Category(Table, tablename="categories", db=ENGINE):
    name = Varchar(length=150, unique=True)
    description = Text(default="")
    icon = Varchar(length=16, default="")
    is_active = Boolean(default=True, index=True)
    default_unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=False)
    deadline_days = Integer(default=14)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ResponseTemplate(Table, tablename="response_templates", db=ENGINE):
    """Canned replies officers start from; per category, or for all (category empty)."""

    category = ForeignKey(references=Category, on_delete=OnDelete.restrict, null=True, index=True)
    title = Varchar(length=150)
    body = Text()
    is_active = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    # The new-template form's key: a double tap makes one template.
    idempotency_key = Varchar(length=64, null=True, default=None, unique=True)


class OutsideAgency(Table, tablename="outside_agencies", db=ENGINE):
    """An agency outside ours that runs its own system (handover): complaints handed to it are
    sent to `endpoint_url` signed with its shared secret, which also signs its updates."""

    name = Varchar(length=150, unique=True)
    endpoint_url = Varchar(length=500)
    # Fernet ciphertext under the personal-data keys (accounts.personal_data), rotated with them.
    secret_encrypted = Text()
    is_active = Boolean(default=True, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
