"""The account as its owner sees and edits it: profile (personal data decrypted), the live
sessions shown beside it, name, contact and address changes, the chosen language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pengaduan import db
from pengaduan.accounts import fields, tokens
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.accounts.tables import User
from pengaduan.audit import services as audit
from pengaduan.db import ENGINE
from pengaduan.errors import Checked
from pengaduan.i18n import _
from pengaduan.settings import Settings


def mask_nik(nik: str | None) -> str:
    if not nik:
        return ""
    return nik[:4] + "•" * 8 + nik[-4:]


_PROFILE_SQL = """
SELECT u.id, u.username, u.full_name, u.email, u.email_confirmed_at, u.role, u.nip,
       u.language, u.nik_encrypted, u.phone_encrypted, u.address_encrypted,
       un.name AS unit_name, u.created_at
FROM users u LEFT JOIN units un ON un.id = u.unit
WHERE u.id = $1
"""
# The account page: the account, how many live sessions it has, and the ones shown (the one
# asking first, then newest activity first; at most SESSIONS_SHOWN) in one round trip and one
# row, each of the shown sessions' fields an array (empty when there are none). A session idle
# past the idle timeout lets nobody in any more: not shown (an app token has no idle limit).
# The sessions are counted apart and only the shown ones sorted: an account with a hundred
# sessions (browsers on many devices, app tokens that last for weeks) costs about what one
# with a few does (sorting them all with the account's columns took a third longer: 0.30
# against 0.245 ms for 101 sessions, 0.22 ms for 6).
# One row, not one per session shown: the account's columns (its three ciphertexts, about
# 600 bytes) repeated on ten rows were sent, read and decoded ten times.
SESSIONS_SHOWN = 10
_LIVE = """s."user" = u.id AND s.expires_at > $2
            AND (s.last_seen_at > $3 OR s.data->>'kind' = 'app')"""
_SESSION_FIELDS = (
    "s.id, s.id_hash, s.created_at, s.last_seen_at, s.ip, s.user_agent, s.data->>'kind'"
)
_SESSION_COLUMNS = ("id", "id_hash", "created_at", "last_seen_at", "ip", "user_agent", "kind")
# Each shown session's field, an array in the order shown.
_SHOWN_ARRAYS = ",\n           ".join(
    f"coalesce(array_agg(s.{name} ORDER BY s.place, s.last_seen_at DESC), '{{}}') AS s_{name}"
    for name in _SESSION_COLUMNS
)
_PROFILE_AND_SESSIONS_SQL = f"""
SELECT u.id, u.username, u.full_name, u.email, u.email_confirmed_at, u.role, u.nip,
       u.language, u.nik_encrypted, u.phone_encrypted, u.address_encrypted,
       un.name AS unit_name, u.created_at, n.sessions,
       {", ".join(f"shown.s_{name}" for name in _SESSION_COLUMNS)}
FROM users u
LEFT JOIN units un ON un.id = u.unit
CROSS JOIN LATERAL (SELECT count(*) AS sessions FROM sessions s WHERE {_LIVE}) n
CROSS JOIN LATERAL (
    SELECT {_SHOWN_ARRAYS}
    FROM (
        (SELECT {_SESSION_FIELDS} AS kind, 0 AS place
         FROM sessions s WHERE s.id_hash = $4 AND {_LIVE})
        UNION ALL
        (SELECT {_SESSION_FIELDS}, 1
         FROM sessions s WHERE {_LIVE} AND s.id_hash <> $4
         ORDER BY s.last_seen_at DESC LIMIT {SESSIONS_SHOWN} - 1)
    ) s
) shown
WHERE u.id = $1
"""
_PROFILE_COLUMNS = (
    "id",
    "username",
    "full_name",
    "email",
    "email_confirmed_at",
    "role",
    "nip",
    "language",
    "unit_name",
    "created_at",
)


def _account(settings: Settings, row: Any) -> dict[str, Any]:
    account = {name: row[name] for name in _PROFILE_COLUMNS}
    cipher = cipher_for(settings)
    account["nik_masked"] = mask_nik(cipher.decrypt(row["nik_encrypted"]))
    account["phone"] = cipher.decrypt(row["phone_encrypted"]) or ""
    account["address"] = cipher.decrypt(row["address_encrypted"]) or ""
    # What a citizen's stored profile lacks (accounts written before phone and address were
    # asked, or by hand): the edit form needs both, so the page says so before the first save.
    account["missing"] = (
        [name for name in ("phone", "address") if not account[name]]
        if account["role"] == "citizen"
        else []
    )
    return account


async def profile(settings: Settings, user_id: int) -> dict[str, Any]:
    """The account as its owner sees it (personal data decrypted)."""
    # Straight through asyncpg (see db.fetch): the account page asks it every time.
    rows = await db.fetch(_PROFILE_SQL, user_id)
    return _account(settings, rows[0])


async def profile_and_sessions(
    settings: Settings, user_id: int, current: str
) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """`profile`, the account's live sessions and app tokens (id, id_hash, created_at,
    last_seen_at, ip, user_agent, kind: None or "app"), the `current` one (its id hash) first,
    then the most recently active, at most SESSIONS_SHOWN of them, and how many there are, in
    one query: what the account page shows."""
    now = datetime.now(UTC)
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    # Every visit to the account page: read with other requests' (see db.fetch_together).
    (row,) = await db.fetch_together(_PROFILE_AND_SESSIONS_SQL, user_id, now, idle_since, current)
    shown = [row["s_" + name] for name in _SESSION_COLUMNS]
    found = [
        dict(zip(_SESSION_COLUMNS, values, strict=True)) for values in zip(*shown, strict=True)
    ]
    return _account(settings, row), found, row["sessions"]


async def update_profile(
    settings: Settings, user_id: int, data: dict[str, str], *, ip: str
) -> Checked[None]:
    """Edit name, contact and address; a new email address must be confirmed again."""
    current = await profile(settings, user_id)
    values = {
        "full_name": fields.normalise_name(data.get("full_name", "")),
        "email": fields.normalise_email(data.get("email", "")),
        "phone": data.get("phone", "").strip(),
        "address": data.get("address", "").strip(),
    }
    citizen = current["role"] == "citizen"
    checks = {
        "full_name": fields.full_name_problem(values["full_name"]),
        "email": fields.email_problem(values["email"], required=not citizen),
    }
    if citizen:
        checks["phone"] = fields.phone_problem(fields.normalise_phone(values["phone"]))
        checks["address"] = fields.address_problem(values["address"])
        # Left empty because there was nothing stored to keep: say what the profile lacks,
        # not merely that a field is required.
        if "phone" in current["missing"] and not values["phone"]:
            checks["phone"] = _("Your profile has no phone number yet: enter one to save.")
        if "address" in current["missing"] and not values["address"]:
            checks["address"] = _("Your profile has no address yet: enter it to save.")
    result: Checked[None] = Checked(values=values, errors={k: v for k, v in checks.items() if v})
    if not result.ok:
        return result
    if values["email"] and values["email"] != current["email"]:
        taken = await User.exists().where((User.email == values["email"]) & (User.id != user_id))
        if taken:
            result.error("email", fields.email_taken())
            return result
    cipher = cipher_for(settings)
    changes: dict[Any, Any] = {
        User.full_name: values["full_name"],
        User.email: values["email"] or None,
        User.updated_at: datetime.now(UTC),
    }
    if citizen:
        changes[User.phone_encrypted] = cipher.encrypt(fields.normalise_phone(values["phone"]))
        changes[User.address_encrypted] = cipher.encrypt(values["address"])
    email_changed = (values["email"] or None) != current["email"]
    if email_changed:
        changes[User.email_confirmed_at] = None
    async with ENGINE.transaction():
        await User.update(changes).where(User.id == user_id)
        await audit.record(
            actor_id=user_id,
            action="account.profile_updated",
            target_type="user",
            target_id=user_id,
            ip=ip,
            data={"email_changed": email_changed},
        )
        if email_changed and values["email"]:
            await tokens.send_confirmation(settings, user_id, values["email"], current["language"])
    result.values["email_changed"] = "1" if email_changed and values["email"] else ""
    return result


async def set_language(user_id: int, language: str) -> None:
    await User.update({User.language: language}).where(User.id == user_id)
