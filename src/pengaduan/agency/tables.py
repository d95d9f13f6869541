"""Tables for units (instansi/divisi), complaint categories and their response templates."""

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
