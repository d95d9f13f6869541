"""Tables for users, their server-side sessions, throttles and password reset codes."""

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from pengaduan.agency.tables import Unit
from pengaduan.db import ENGINE

ROLES = ("citizen", "officer", "admin")


class User(Table, tablename="users", db=ENGINE):
    # Stored lower-cased: unique regardless of case.
    username = Varchar(length=150, unique=True)
    email = Varchar(length=254, null=True, default=None, unique=True)
    email_confirmed_at = Timestamptz(null=True, default=None)
    password_hash = Varchar(length=100)
    full_name = Varchar(length=200)
    role = Varchar(length=16, default="citizen", index=True)
    # Personal data, encrypted by the application (ciphertext only).
    nik_encrypted = Text(null=True, default=None)
    # Keyed hash of the NIK (blind index): one account per NIK without storing it.
    nik_index = Varchar(length=64, null=True, default=None, unique=True)
    phone_encrypted = Text(null=True, default=None)
    address_encrypted = Text(null=True, default=None)
    nip = Varchar(length=32, null=True, default=None, unique=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=True, index=True)
    language = Varchar(length=5, default="id")
    is_active = Boolean(default=True, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)
    # Changes with every new password: reset links made before it stop working.
    password_changed_at = Timestamptz(null=True, default=None)
    # A contact-only reporter (accounts.contacts: complained by mail or phone without an
    # account): the keyed hash of that address; such a user cannot log in.
    contact_key = Varchar(length=64, null=True, default=None, unique=True)


class Session(Table, tablename="sessions", db=ENGINE):
    # SHA-256 of the session id; the id itself only lives in the signed cookie.
    id_hash = Varchar(length=64, unique=True)
    user = ForeignKey(references=User, on_delete=OnDelete.cascade, null=True, index=True)
    data = JSONB(default="{}")
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz(index=True)
    ip = Varchar(length=45, default="")
    user_agent = Varchar(length=300, default="")


class LoginThrottle(Table, tablename="login_throttles", db=ENGINE):
    """Login attempts per account and per client address, registration and reset requests per
    client address (accounts/throttle.py), shared by every worker."""

    # "user:<id>", "account:<unknown name typed>", "ip:<address>", "register:<address>" or
    # "reset:<address>" or "reset_code:<address>" (for the last three, last_failure_at is
    # when the hour's window began)
    key = Varchar(length=300, unique=True)
    failures = Integer(default=0)
    last_failure_at = Timestamptz()
    locked_until = Timestamptz(null=True, default=None)


class PasswordResetCode(Table, tablename="password_reset_codes", db=ENGINE):
    """A one-time code that lets someone without email set a new password: sent by SMS or
    handed over at the service desk (accounts/reset_codes.py). Only a keyed hash is kept."""

    user = ForeignKey(references=User, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64)
    channel = Varchar(length=8)  # sms | desk
    # Wrong codes typed against it; at MAX_ATTEMPTS it is spent.
    attempts = Integer(default=0)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    # The officer or admin who handed it over (desk codes).
    issued_by = ForeignKey(references=User, on_delete=OnDelete.set_null, null=True)
