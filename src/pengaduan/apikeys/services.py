"""API keys: issuing one (shown once), listing, revoking, and finding the key a client sent.

A key is `pgd_` and 43 random URL-safe characters (256 bits). Only its SHA-256 is stored: a key
that random needs no slow hash, and the lookup is one read of the unique index. The first
PREFIX_LENGTH characters are kept in the clear so that people recognise a key in the list.
Issuing and revoking are audited with the admin; uses that change something are audited by
the route that makes the change (with the key's name).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pengaduan import db
from pengaduan.apikeys.tables import ApiKey
from pengaduan.audit import services as audit
from pengaduan.errors import FORBIDDEN, NOT_FOUND, Checked, Refused
from pengaduan.i18n import _
from pengaduan.web.values import readable, whole_number

# read: list and read requests with the key counted (and limited) as this client;
# create: file requests (Open311 POST). Outside agencies have no key scope: they sign each
# call back to us with their own shared secret (handover), which also proves the body and
# its time; a key that only names them would be a second, weaker way in.
SCOPES = ("read", "create")
KEY_PREFIX = "pgd_"
PREFIX_LENGTH = 12
NAME_MAX = 100
DEFAULT_PER_MINUTE = 60
PER_MINUTE_MAX = 100_000


def scope_labels() -> dict[str, str]:
    return {
        "read": _("Read requests"),
        "create": _("File requests"),
    }


@dataclass(frozen=True)
class ClientKey:
    """The key a request came with, as the routes need it."""

    id: int
    name: str
    scopes: frozenset[str]
    requests_per_minute: int
    key_hash: str


def hash_of(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def check_key_form(values: dict[str, str], scopes: list[str]) -> Checked[dict[str, Any]]:
    """The new-key form: a name, at least one scope, a limit per minute."""
    checked: Checked[dict[str, Any]] = Checked(values=dict(values))
    name = " ".join(values.get("name", "").split())
    if not name:
        checked.error("name", _("Give the key a name (the client that will use it)."))
    elif len(name) > NAME_MAX or not readable(name):
        checked.error("name", _("Use at most %(n)s readable characters.", n=NAME_MAX))
    chosen = [s for s in SCOPES if s in scopes]
    if not chosen or len(chosen) != len(set(scopes)):
        checked.error("scopes", _("Choose what the key may do."))
    per_minute = whole_number(values.get("requests_per_minute", ""), low=1, high=PER_MINUTE_MAX)
    if per_minute is None:
        checked.error(
            "requests_per_minute",
            _("Enter a whole number from 1 to %(max)s.", max=PER_MINUTE_MAX),
        )
    if checked.ok:
        checked.cleaned = {"name": name, "scopes": chosen, "requests_per_minute": per_minute}
    return checked


async def issue_key(
    values: dict[str, str], scopes: list[str], *, admin_id: int, ip: str
) -> tuple[Checked[dict[str, Any]], str | None]:
    """A new key from the form, audited; the raw key is returned this once (None if refused)."""
    checked = check_key_form(values, scopes)
    if not checked.ok or checked.cleaned is None:
        return checked, None
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    fields = checked.cleaned
    async with db.ENGINE.transaction():
        rows = await ApiKey.insert(
            ApiKey(
                name=fields["name"],
                prefix=raw[:PREFIX_LENGTH],
                key_hash=hash_of(raw),
                scopes=",".join(fields["scopes"]),
                requests_per_minute=fields["requests_per_minute"],
                created_by=admin_id,
                created_at=datetime.now(UTC),
            )
        ).returning(ApiKey.id)
        key_id = rows[0]["id"]
        await audit.record(
            actor_id=admin_id,
            action="api_key.issue",
            target_type="api_key",
            target_id=key_id,
            data={"name": fields["name"], "scopes": ",".join(fields["scopes"])},
            ip=ip,
        )
    fields["id"] = key_id
    return checked, raw


async def list_keys() -> list[dict[str, Any]]:
    """Every key, active ones first, newest first (never the hash)."""
    rows = await db.fetch(
        """
        SELECT k.id, k.name, k.prefix, k.scopes, k.requests_per_minute, k.created_at,
               k.revoked_at, k.last_used_at, u.full_name AS created_by_name
        FROM api_keys k LEFT JOIN users u ON u.id = k.created_by
        ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC, k.id DESC
        """
    )
    return [{**dict(row), "scopes": row["scopes"].split(",")} for row in rows]


async def revoke_key(key_id: int, *, admin_id: int, ip: str) -> str:
    """Revoke a key (at once, for every worker: each request looks its key up); its name."""
    async with db.ENGINE.transaction():
        row = await db.fetchrow(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"
            " RETURNING name",
            key_id,
        )
        if row is None:
            exists = await db.fetchval("SELECT 1 FROM api_keys WHERE id = $1", key_id)
            if exists:
                raise Refused(_("This key was already revoked."))
            raise Refused(_("There is no such key."), NOT_FOUND)
        await audit.record(
            actor_id=admin_id,
            action="api_key.revoke",
            target_type="api_key",
            target_id=key_id,
            data={"name": row["name"]},
            ip=ip,
        )
    return row["name"]


async def key_for(raw: str | None, scope: str) -> ClientKey:
    """The active key `raw` with `scope`; Refused(FORBIDDEN) when it is missing, unknown,
    revoked or lacks the scope (the message says which, and never echoes the key)."""
    if not raw:
        raise Refused(_("api_key was not provided."), FORBIDDEN, field="api_key")
    row = None
    if len(raw) <= 200 and readable(raw):
        row = await db.fetchrow(
            "SELECT id, name, scopes, requests_per_minute, revoked_at FROM api_keys"
            " WHERE key_hash = $1",
            hash_of(raw),
        )
    if row is None or row["revoked_at"] is not None:
        raise Refused(_("api_key is not valid (unknown or revoked)."), FORBIDDEN, field="api_key")
    scopes = frozenset(row["scopes"].split(","))
    if scope not in scopes:
        raise Refused(
            _("This api_key may not do this (it lacks the %(scope)s scope).", scope=scope),
            FORBIDDEN,
            field="api_key",
        )
    return ClientKey(
        id=row["id"],
        name=row["name"],
        scopes=scopes,
        requests_per_minute=row["requests_per_minute"],
        key_hash=hash_of(raw),
    )
