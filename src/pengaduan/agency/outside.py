"""Outside agencies (instansi luar) that complaints can be handed over to: the admin's list and
changes, and the agency's shared secret (typed or generated, shown once, stored encrypted with
the personal-data cipher, rotatable).

Every change is audited in the transaction that makes it; the audit row never carries the
secret (only that it was set or rotated)."""

from __future__ import annotations

import ipaddress
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from pengaduan import db
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.agency import changes
from pengaduan.agency.tables import OutsideAgency
from pengaduan.audit import services as audit
from pengaduan.errors import INVALID, NOT_FOUND, Checked, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings

URL_MAX = 500
SECRET_MIN, SECRET_MAX = 32, 200
# Printable ASCII without spaces: the agency types it into its own configuration.
_SECRET_SHAPE = re.compile(r"[!-~]+")


def new_secret() -> str:
    """A fresh shared secret: 256 random bits, URL-safe text (43 characters)."""
    return secrets.token_urlsafe(32)


async def active_agencies() -> list[dict[str, Any]]:
    """Active outside agencies (id, name) by name, for choosing one."""
    return (
        await OutsideAgency.select(OutsideAgency.id, OutsideAgency.name)
        .where(OutsideAgency.is_active.eq(True))
        .order_by(OutsideAgency.name)
    )


_LIST_SQL = """
SELECT a.id, a.name, a.endpoint_url, a.is_active,
       (SELECT count(*) FROM complaints c WHERE c.handed_to = a.id) AS complaints
FROM outside_agencies a
ORDER BY a.is_active DESC, a.name
"""


async def list_agencies() -> list[dict[str, Any]]:
    """Every outside agency with how many complaints were handed over to it."""
    return [dict(row) for row in await db.fetch(_LIST_SQL)]


async def agency_detail(agency_id: int) -> dict[str, Any] | None:
    return (
        await OutsideAgency.select(
            OutsideAgency.id,
            OutsideAgency.name,
            OutsideAgency.endpoint_url,
            OutsideAgency.is_active,
            OutsideAgency.created_at,
        )
        .where(OutsideAgency.id == agency_id)
        .first()
    )


def agency_form_values(agency: dict[str, Any]) -> dict[str, str]:
    return {"name": agency["name"], "endpoint_url": agency["endpoint_url"]}


def _name_exists() -> str:
    return _("An outside agency with this name exists already.")


def endpoint_problem(url: str, settings: Settings) -> str | None:
    """What is wrong with an endpoint address: https (plain http only to this machine or in
    development, where a test agency listens), a host, no credentials in it."""
    if not url:
        return _("Enter the address the agency receives complaints at.")
    if len(url) > URL_MAX:
        return _("The address is too long (at most %(max)d characters).", max=URL_MAX)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        parts, host = None, ""
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return _("Enter a whole web address, such as https://agency.example/complaints.")
    if parts.username or parts.password:
        return _("The address must not contain a user name or password.")
    if parts.scheme == "http" and settings.mode != "development" and not _loopback(host):
        return _("The address must start with https:// (the document carries personal data).")
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret_problem(secret: str) -> str | None:
    if not (SECRET_MIN <= len(secret) <= SECRET_MAX) or not _SECRET_SHAPE.fullmatch(secret):
        return _(
            "The shared secret must be %(min)d to %(max)d characters without spaces; leave it "
            "empty to have one made.",
            min=SECRET_MIN,
            max=SECRET_MAX,
        )
    return None


async def _clean(
    data: dict[str, str], agency_id: int | None, settings: Settings, *, with_secret: bool
) -> Checked[None]:
    values = {
        "name": changes.one_line(data.get("name", "")),
        "endpoint_url": data.get("endpoint_url", "").strip(),
    }
    result: Checked[None] = Checked(values=values)
    if problem := changes.name_problem(values["name"]):
        result.error("name", problem)
    if problem := endpoint_problem(values["endpoint_url"], settings):
        result.error("endpoint_url", problem)
    if with_secret:
        # Never shown again in the form: kept out of `values` unless it must be retyped.
        typed = data.get("secret", "").strip()
        if typed and (problem := secret_problem(typed)):
            result.error("secret", problem)
        values["secret"] = typed
    if "name" not in result.errors and await changes.name_taken(
        "outside_agencies", values["name"], agency_id
    ):
        result.error("name", _name_exists())
    return result


async def create_agency(
    data: dict[str, str], settings: Settings, *, admin_id: int, ip: str
) -> Checked[None]:
    """A new, active outside agency. When it worked, `values["id"]` holds its id and
    `values["secret"]` the shared secret (the typed one, or one made here) to show once."""
    result = await _clean(data, None, settings, with_secret=True)
    if not result.ok:
        result.values["secret"] = ""
        return result
    secret = result.values["secret"] or new_secret()
    columns = {
        "name": result.values["name"],
        "endpoint_url": result.values["endpoint_url"],
        "secret_encrypted": cipher_for(settings).encrypt(secret),
        "created_at": changes.now(),
        "updated_at": changes.now(),
    }
    saved = await changes.save_new(
        result,
        OutsideAgency,
        columns,
        target_type="outside_agency",
        who={"admin_id": admin_id, "ip": ip},
        name_exists=_name_exists(),
        audit_data={"name": columns["name"], "endpoint_url": columns["endpoint_url"]},
    )
    saved.values["secret"] = secret if saved.ok else ""
    return saved


async def update_agency(
    agency_id: int, data: dict[str, str], settings: Settings, *, admin_id: int, ip: str
) -> Checked[None]:
    """Name and endpoint; the secret changes only by `rotate_secret`."""
    before = await agency_detail(agency_id)
    if before is None:
        raise Refused(_("This outside agency does not exist."), NOT_FOUND)
    result = await _clean(data, agency_id, settings, with_secret=False)
    if not result.ok:
        return result
    return await changes.save_changes(
        result,
        OutsideAgency,
        before,
        dict(result.values),
        target_type="outside_agency",
        who={"admin_id": admin_id, "ip": ip},
        name_exists=_name_exists(),
    )


async def set_agency_active(agency_id: int, active: bool, *, admin_id: int, ip: str) -> None:
    """(De)activate an agency: an inactive one is not offered for hand-over and its updates
    are refused; what it was handed keeps its name."""
    async with db.ENGINE.transaction():
        row = await db.fetchrow(
            "SELECT is_active FROM outside_agencies WHERE id = $1 FOR UPDATE", agency_id
        )
        if row is None:
            raise Refused(_("This outside agency does not exist."), NOT_FOUND)
        if row["is_active"] != active:
            await changes.set_active_audited(
                OutsideAgency,
                agency_id,
                active,
                target_type="outside_agency",
                admin_id=admin_id,
                ip=ip,
            )


async def rotate_secret(
    agency_id: int, typed: str, settings: Settings, *, admin_id: int, ip: str
) -> str:
    """Replace the agency's shared secret with `typed` (checked) or a new one; returns it,
    to show once. The old one stops working at once (audited, without either secret)."""
    typed = typed.strip()
    if typed and (problem := secret_problem(typed)):
        raise Refused(problem, INVALID, field="secret")
    secret = typed or new_secret()
    async with db.ENGINE.transaction():
        updated = await db.fetchval(
            "UPDATE outside_agencies SET secret_encrypted = $2, updated_at = now()"
            " WHERE id = $1 RETURNING id",
            agency_id,
            cipher_for(settings).encrypt(secret),
        )
        if updated is None:
            raise Refused(_("This outside agency does not exist."), NOT_FOUND)
        await audit.record(
            actor_id=admin_id,
            action="outside_agency.secret_rotated",
            target_type="outside_agency",
            target_id=agency_id,
            data={"typed": bool(typed)},
            ip=ip,
        )
    return secret


async def secret_of(agency_id: int, settings: Settings) -> tuple[dict[str, Any], str] | None:
    """The agency (id, name, endpoint_url, is_active) and its shared secret in clear, for
    signing and verifying; None when there is no such agency."""
    row = await db.fetchrow(
        "SELECT id, name, endpoint_url, is_active, secret_encrypted FROM outside_agencies"
        " WHERE id = $1",
        agency_id,
    )
    if row is None:
        return None
    agency = dict(row)
    secret = cipher_for(settings).decrypt(agency.pop("secret_encrypted")) or ""
    return agency, secret
