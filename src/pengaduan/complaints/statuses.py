"""Every status a complaint can be in, said once: its code, whether the complaint is still open,
its label and its badge. The lifecycle (complaints/lifecycle.py) says how a complaint moves
between them; everything else that needs to know a status (queries, labels, templates,
statistics, the demo generator) reads it here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from pengaduan.i18n import _


@dataclass(frozen=True)
class Status:
    code: str
    is_open: bool  # still waiting for the agency (counts towards workload and deadlines)
    accepts_messages: bool  # reporter and officer can still write to each other
    badge: str  # the CSS class of its badge


_ALL = (
    Status("pending", is_open=True, accepts_messages=True, badge="status-pending"),
    Status("verified", is_open=True, accepts_messages=True, badge="status-verified"),
    Status("in_progress", is_open=True, accepts_messages=True, badge="status-in_progress"),
    Status("resolved", is_open=False, accepts_messages=True, badge="status-resolved"),
    Status("rejected", is_open=False, accepts_messages=False, badge="status-rejected"),
    Status("closed", is_open=False, accepts_messages=False, badge="status-closed"),
    Status("withdrawn", is_open=False, accepts_messages=False, badge="status-withdrawn"),
)
BY_CODE: dict[str, Status] = {s.code: s for s in _ALL}

# Codes in lifecycle order (forms, tables, statistics list them so).
STATUSES: tuple[str, ...] = tuple(s.code for s in _ALL)
OPEN_STATUSES: tuple[str, ...] = tuple(s.code for s in _ALL if s.is_open)
CLOSED_STATUSES: tuple[str, ...] = tuple(s.code for s in _ALL if not s.is_open)
MESSAGES_CLOSED: tuple[str, ...] = tuple(s.code for s in _ALL if not s.accepts_messages)

# For SQL: `status IN ({OPEN_SQL})`. Literal codes rather than a parameter, so PostgreSQL can
# match the partial indexes whose predicate is this same list.
OPEN_SQL = ", ".join(f"'{code}'" for code in OPEN_STATUSES)

# How long after its resolution the reporter may reopen a complaint, and after which it is
# closed by the scheduler.
REOPEN_WINDOW = timedelta(days=14)
CLOSE_AFTER = timedelta(days=14)
REOPEN_DAYS = REOPEN_WINDOW.days  # for texts: "within %(days)s days"


def is_open(code: str) -> bool:
    return code in OPEN_STATUSES


def label(code: str) -> str:
    """The status's name in the current language (the code itself if unknown)."""
    # Only the asked status is translated: pages call this for every badge and menu entry.
    return _LABELS.get(code, _unknown)(code)


def _unknown(code: str) -> str:
    return code


_LABELS: dict[str, Callable[[str], str]] = {
    "pending": lambda _code: _("Pending"),
    "verified": lambda _code: _("Verified"),
    "in_progress": lambda _code: _("In progress"),
    "resolved": lambda _code: _("Resolved"),
    "rejected": lambda _code: _("Rejected"),
    "closed": lambda _code: _("Closed"),
    "withdrawn": lambda _code: _("Withdrawn"),
}


def badge(code: str) -> str:
    """The CSS classes of the status's badge."""
    status = BY_CODE.get(code)
    return f"badge {status.badge}" if status else "badge"
