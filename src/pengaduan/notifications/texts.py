"""What a notification says: its kind and parameters made into words, in the current language.

A notification is stored as a kind and parameters (the complaint number, a status code, the
words a person wrote); the words around them are chosen when someone reads it — the in-app
centre in the reader's language of that request, mail and SMS in the recipient's language
when they are sent. Codes in the parameters (a status) are translated here, never stored
translated. Rows from before this (no parameters) keep the text they were written with.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pengaduan import i18n
from pengaduan.complaints.statuses import STATUSES
from pengaduan.i18n import _
from pengaduan.notifications import sms
from pengaduan.notifications.mail import RenderedMail, render_mail, render_subject
from pengaduan.web.labels import status_label

# The kinds of notification, in the order the preferences page lists them, with who gets
# them: the reporter hears about their complaint, the handling side about its work.
CITIZEN_KINDS = (
    "submitted",
    "verified",
    "rejected",
    "in_progress",
    "reply",
    "resolved",
    "closed",
)
STAFF_KINDS = ("assigned", "reopened", "overdue")
# A status change tells the reporter the new status: the kind is the status code (any but
# the first, which is told as "submitted").
STATUS_KINDS = tuple(status for status in STATUSES if status != "pending")


@contextlib.contextmanager
def in_language(language: str) -> Iterator[None]:
    """Translate for someone else (the recipient) for a while."""
    previous = i18n.get_locale()
    i18n.set_locale(language)
    try:
        yield
    finally:
        i18n.set_locale(previous)


def kind_label(kind: str) -> str:
    """What the preferences page and the SMS call a kind (translated)."""
    labels = {
        "submitted": _("Complaint received"),
        "reply": _("New reply"),
        "assigned": _("Assigned to you"),
        "reopened": _("Reopened by the reporter"),
        "overdue": _("Overdue"),
    }
    return labels.get(kind) or status_label(kind)


def title(kind: str, params: Mapping[str, Any]) -> str | None:
    """The one-line title of a notification of `kind`; None for a kind this code does not know."""
    number = str(params.get("number", ""))
    titles = {
        "submitted": lambda: _("Complaint %(number)s received", number=number),
        "verified": lambda: _("Your complaint %(number)s has been verified", number=number),
        "rejected": lambda: _("Your complaint %(number)s was rejected", number=number),
        "in_progress": lambda: _("Your complaint %(number)s is being handled", number=number),
        "resolved": lambda: _("Your complaint %(number)s has been resolved", number=number),
        "closed": lambda: _("Your complaint %(number)s is closed", number=number),
        "withdrawn": lambda: _("You withdrew complaint %(number)s", number=number),
        "reply": lambda: _("New reply on your complaint %(number)s", number=number),
        "message": lambda: _("New message from the reporter of %(number)s", number=number),
        "assigned": lambda: _("Complaint %(number)s is assigned to you", number=number),
        "reopened": lambda: _("Complaint %(number)s was reopened by the reporter", number=number),
        "overdue": lambda: _("Complaint %(number)s is overdue", number=number),
    }
    make = titles.get(kind)
    return make() if make else None


def body(kind: str, params: Mapping[str, Any]) -> str:
    """The line under the title: what someone wrote (a reason, a reply, a message), else the
    new status, the overdue complaint's title and unit, or the complaint's title."""
    if params.get("text"):
        return str(params["text"])
    if kind == "overdue":
        return _(
            "%(title)s (%(unit)s) was due and is still open.",
            title=params.get("title", ""),
            unit=params.get("unit", ""),
        )
    if kind in STATUS_KINDS and params.get("status"):
        return status_label(str(params["status"]))
    return str(params.get("title", ""))


def title_and_body(
    kind: str, params: Mapping[str, Any] | None, stored_title: str = "", stored_body: str = ""
) -> tuple[str, str]:
    """Title and body in the current language; the stored text when there are no parameters
    (a row from before) or the kind is unknown to this code."""
    if params is None:
        return stored_title, stored_body
    made = title(kind, params)
    if made is None:
        return stored_title, stored_body
    return made[:200], body(kind, params)


def for_reader(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored notification row (kind, params, title, body, ...) as its reader sees it now."""
    item = dict(row)
    item["title"], item["body"] = title_and_body(
        item["kind"], _params(item.get("params")), item.get("title", ""), item.get("body", "")
    )
    return item


def _params(value: object) -> Mapping[str, Any] | None:
    # asyncpg hands JSONB over as text unless a codec is set on the connection.
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, Mapping) else None


# --- links --------------------------------------------------------------------------------------


def complaint_link(complaint_id: int, *, staff: bool) -> str:
    """The path of a complaint's page: the handling side's (`staff`) or the reporter's. Every
    notification, mail and SMS that points at a complaint builds its link here (services have
    no request to ask `url_for`; these are the paths of "handling:detail" and the reporter's
    complaint page)."""
    if staff:
        return f"/petugas/pengaduan/{complaint_id}"
    return f"/pengaduan/{complaint_id}"


# --- SMS ----------------------------------------------------------------------------------------


def sms_link(kind: str, number: str, complaint_id: int | None, *, base_url: str) -> str:
    """The reporter's tracking page for the complaint; the handling side's own page (on the
    site at `base_url`)."""
    if kind in STAFF_KINDS and complaint_id is not None:
        return base_url + complaint_link(complaint_id, staff=True)
    return f"{base_url}/lacak?nomor={quote(number)}"


def tracking_link(number: str, code: str, *, base_url: str) -> str:
    """The tracking page showing the complaint straight away, for whoever has its number and
    code (an answer to a complaint sent by WhatsApp/SMS: its reporter has no login)."""
    return f"{base_url}/lacak?nomor={quote(number)}&kode={quote(code)}"


def sms_text(kind: str, number: str, complaint_id: int | None = None, *, base_url: str) -> str:
    """One SMS (in the current language): the number, what happened, and the link."""
    link = sms_link(kind, number, complaint_id, base_url=base_url)
    return sms.compose(number, kind_label(kind), link)


# --- mail ---------------------------------------------------------------------------------------

# Values in a mail's context that are times: kept as ISO text in the outbox, times again here.
_TIMES = ("due_at",)


def mail_spec(
    template: str,
    context: Mapping[str, Any],
    *,
    user_id: int,
    notification: Mapping[str, Any] | None = None,
    language: str | None = None,
    full_name: str | None = None,
) -> dict[str, Any]:
    """What the outbox keeps to write a notification's mail when it is sent: the template,
    its context (codes, not words), the notification's kind and parameters, and the
    recipient's language and name when queued (used if the account is gone by then)."""
    plain = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in context.items()
    }
    spec = {"user": user_id, "template": template, "context": plain, "notification": notification}
    if language is not None and full_name is not None:
        spec.update(language=language, full_name=full_name)
    return spec


def render_notification_mail(
    spec: Mapping[str, Any], *, language: str, full_name: str
) -> RenderedMail:
    """The mail of `spec` (see mail_spec) in `language`, for the recipient `full_name`."""
    return render_mail(spec["template"], _mail_context(spec, language, full_name), language)


def notification_mail_subject(spec: Mapping[str, Any], *, language: str, full_name: str) -> str:
    """Only the subject of the mail of `spec`: what the outbox keeps of it when queued (the
    rest is written when it is sent, `render_notification_mail`)."""
    return render_subject(spec["template"], _mail_context(spec, language, full_name), language)


def _mail_context(spec: Mapping[str, Any], language: str, full_name: str) -> dict[str, Any]:
    context: dict[str, Any] = {"full_name": full_name, **spec["context"]}
    for key in _TIMES:
        if isinstance(context.get(key), str):
            context[key] = datetime.fromisoformat(context[key])
    note = spec.get("notification")
    if note:
        # The notification's own mail says its title and body (the words made here, in the
        # recipient's language like the template around them).
        with in_language(language):
            context["title"], context["text"] = title_and_body(note["kind"], note["params"])
    return context
