"""How audit entries read: a translated phrase for each action code and the entry's data as
labelled values (names instead of ids, translated statuses, roles and priorities).

The log stores codes and JSON so that it can be filtered and kept for years; people read this.
A code or a key nobody described here (a new one, or one an old version wrote) is shown as it
is stored, never dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pengaduan.i18n import _
from pengaduan.web.labels import priority_label, role_label, status_label

# Looked-up names: ("user" | "unit" | "category", id) -> name.
Names = Mapping[tuple[str, int], str]


def _actions() -> dict[str, str]:
    return {
        "account.register": _("Registered an account"),
        "backup.failed": _("A scheduled backup failed"),
        "api_key.issue": _("Issued an API key"),
        "api_key.revoke": _("Revoked an API key"),
        "account.login": _("Logged in"),
        "account.email_confirmed": _("Confirmed the email address"),
        "account.reset_requested": _("Asked for a password reset link"),
        "account.password_reset": _("Set a new password with a reset link"),
        "account.password_invite": _("Set a password with an invitation link"),
        "account.password_changed": _("Changed the password"),
        "account.profile_updated": _("Updated the profile"),
        "user.create": _("Created a user"),
        "user.role_changed": _("Changed a user's role"),
        "user.deactivated": _("Deactivated a user"),
        "user.reactivated": _("Reactivated a user"),
        "user.reset_link_sent": _("Sent a user a password reset link"),
        "unit.create": _("Created a unit"),
        "unit.update": _("Edited a unit"),
        "unit.deactivated": _("Deactivated a unit"),
        "unit.reactivated": _("Reactivated a unit"),
        "category.create": _("Created a category"),
        "category.update": _("Edited a category"),
        "category.deactivated": _("Deactivated a category"),
        "category.reactivated": _("Reactivated a category"),
        "category.delete": _("Deleted a category"),
        "response_template.create": _("Created a response template"),
        "response_template.update": _("Edited a response template"),
        "response_template.deactivated": _("Deactivated a response template"),
        "response_template.reactivated": _("Reactivated a response template"),
        "complaint.submit": _("Submitted a complaint"),
        "complaint.edit": _("Edited a complaint"),
        "complaint.withdraw": _("Withdrew a complaint"),
        "complaint.rate": _("Rated the handling of a complaint"),
        "complaint.verify": _("Verified a complaint"),
        "complaint.reject": _("Rejected a complaint"),
        "complaint.start": _("Started handling a complaint"),
        "complaint.resolve": _("Resolved a complaint"),
        "complaint.hand_over": _("Handed a complaint over to an outside agency"),
        "complaint.decline": _("An outside agency declined a complaint"),
        "outside_agency.create": _("Registered an outside agency"),
        "outside_agency.update": _("Edited an outside agency"),
        "outside_agency.deactivated": _("Deactivated an outside agency"),
        "outside_agency.reactivated": _("Reactivated an outside agency"),
        "outside_agency.secret_rotated": _("Replaced an outside agency's shared secret"),
        "complaint.reopen": _("Reopened a complaint"),
        "complaint.close": _("Closed a complaint"),
        "complaint.claim": _("Took a complaint"),
        "complaint.assign": _("Assigned a complaint to an officer"),
        "complaint.forward": _("Forwarded a complaint to another unit"),
        "complaint.reply": _("Replied to the reporter"),
        "complaint.note": _("Wrote an internal note"),
        "complaint.overdue_escalated": _("Told the unit's admins about an overdue complaint"),
        "export.statistics": _("Downloaded the statistics"),
        "export.complaints": _("Downloaded the complaint list"),
        "outbox.retry": _("Sent an undelivered message again"),
    }


def action_label(code: str) -> str | None:
    """The phrase for an action code in the current language; None for an unknown code."""
    return _actions().get(code)


def _keys() -> dict[str, str]:
    """Labels of the data's keys (also the fields named in "fields" and "changes")."""
    return {
        "from": _("Before"),
        "to": _("After"),
        "officer": _("Officer"),
        "unit": _("Unit"),
        "default_unit": _("Default unit"),
        "category": _("Category"),
        "category_suggested": _("Category suggested"),
        "priority": _("Priority"),
        "due_at": _("Deadline"),
        "assigned_at": _("Assigned at"),
        "batch": _("Complaints at once"),
        "notified": _("Told"),
        "fields": _("Changed"),
        "score": _("Rating"),
        "number": _("Complaint number"),
        "email_changed": _("New email address"),
        "role": _("Role"),
        "username": _("Username"),
        "name": _("Name"),
        "description": _("Description"),
        "icon": _("Icon"),
        "auto_assign": _("Automatic assignment"),
        "deadline_days": _("Deadline in days"),
        "title": _("Title"),
        "body": _("Text"),
        "location_text": _("Location"),
        "latitude": _("Latitude"),
        "longitude": _("Longitude"),
        "citizen_urgency": _("Urgency"),
        "is_anonymous": _("Anonymous"),
        "is_public": _("Public"),
        "format": _("Format"),
        "query": _("Filters"),
        "rows": _("Rows"),
        "channel": _("Channel"),
        "via": _("Filed by (API key)"),
        "scopes": _("Scopes"),
        "last_error": _("Last error"),
    }


# What a key's value is, where that does not depend on the action.
_KINDS = {
    "officer": "user",
    "notified": "user",
    "unit": "unit",
    "default_unit": "unit",
    "category": "category",
    "priority": "priority",
    "role": "role",
    "due_at": "moment",
    "assigned_at": "moment",
    "auto_assign": "bool",
    "email_changed": "bool",
    "is_anonymous": "bool",
    "is_public": "bool",
    "fields": "field",
}
# "from" and "to" are statuses on complaint entries, except in these.
_FROM_TO = {"complaint.forward": "unit", "complaint.assign": "user", "user.role_changed": "role"}


def _kind(action: str, key: str) -> str:
    if key in ("from", "to"):
        return _FROM_TO.get(action, "status" if action.startswith("complaint.") else "")
    return _KINDS.get(key, "")


@dataclass(frozen=True)
class Detail:
    """One labelled value; `moment` is a time the template formats in the reader's zone."""

    label: str
    value: str = ""
    moment: datetime | None = None


def _data(raw: Any) -> dict[str, Any]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else ({"data": value} if value else {})


def _ids(value: Any) -> list[int]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def referenced(entries: Iterable[Mapping[str, Any]]) -> dict[str, set[int]]:
    """The user, unit and category ids the entries' data name (to look up their names)."""
    wanted: dict[str, set[int]] = {"user": set(), "unit": set(), "category": set()}
    for entry in entries:
        action = entry["action"]
        data = _data(entry["data"])
        pairs = list(data.items())
        changes = data.get("changes")
        if isinstance(changes, dict):
            pairs += [(k, v) for k, v in changes.items()]
        for key, value in pairs:
            kind = _kind(action, key)
            if kind in wanted:
                wanted[kind].update(_ids(value))
    return wanted


def _scalar(kind: str, value: Any, names: Names) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if kind in ("user", "unit", "category"):
        if isinstance(value, list):
            return ", ".join(_scalar(kind, v, names) for v in value)
        if isinstance(value, int) and not isinstance(value, bool):
            return names.get((kind, value), f"#{value}")
    if kind == "bool" and isinstance(value, bool):
        return _("Yes") if value else _("No")
    labelled: dict[str, Callable[[str], str]] = {
        "status": status_label,
        "priority": priority_label,
        "role": role_label,
    }
    if kind in labelled and isinstance(value, str):
        return labelled[kind](value)
    if kind == "field" and isinstance(value, list):
        keys = _keys()
        return ", ".join(keys.get(str(v), str(v)) for v in value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _detail(action: str, key: str, value: Any, names: Names, label: str) -> Detail:
    kind = _kind(action, key)
    if kind == "moment" and (moment := _moment(value)) is not None:
        return Detail(label, moment=moment)
    return Detail(label, _scalar(kind, value, names))


def details(action: str, raw: Any, names: Names) -> list[Detail]:
    """The entry's data as labelled values: before and after first, then the keys in the
    order of `_keys`, then keys it does not know, by name (jsonb keeps no order)."""
    keys = _keys()
    order = {key: n for n, key in enumerate(keys)}

    def ordered(mapping: dict[str, Any]) -> list[tuple[str, Any]]:
        return sorted(mapping.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))

    found: list[Detail] = []
    for key, value in ordered(_data(raw)):
        if key == "changes" and isinstance(value, dict):
            for field, change in ordered(value):
                label = keys.get(field, field)
                pair = isinstance(change, list) and len(change) == 2
                if pair and action == "response_template.update" and field == "body":
                    # The log keeps the text's lengths, not the text.
                    text = _("%(old)s → %(new)s characters", old=change[0], new=change[1])
                    found.append(Detail(label, text))
                elif pair:
                    old, new = (_detail(action, field, v, names, label) for v in change)
                    found.append(
                        Detail(label, f"{old.value or old.moment} → {new.value or new.moment}")
                    )
                else:
                    found.append(_detail(action, field, change, names, label))
            continue
        found.append(_detail(action, key, value, names, keys.get(key, key)))
    return found
