"""What the WhatsApp/SMS intake answers, in the current language (the caller chooses the
sender's), each one SMS by the length rules of outgoing SMS (notifications.sms): the
complaint number, tracking code and link are never cut, the words around them may be."""

from __future__ import annotations

from pengaduan.complaints.forms import BODY_MIN
from pengaduan.i18n import _, ngettext
from pengaduan.notifications import sms
from pengaduan.notifications.texts import tracking_link
from pengaduan.web.labels import status_label


def filed(number: str, code: str, *, photos_left_out: int, base_url: str) -> str:
    """A complaint was filed: its number, tracking code and the page that shows it; and how
    many photos could not be used (the complaint was filed without them)."""
    phrase = _("Complaint received.")
    if photos_left_out:
        phrase += " " + ngettext(
            "%(num)d photo could not be used.", "%(num)d photos could not be used.", photos_left_out
        )
    tail = (
        _("Tracking code %(code)s", code=code)
        + " "
        + tracking_link(number, code, base_url=base_url)
    )
    return sms.compose(number, phrase, tail)


def status(number: str, code: str, status_code: str, *, base_url: str) -> str:
    """The status of a complaint asked for with its number and tracking code."""
    phrase = _("Status: %(status)s.", status=status_label(status_code))
    return sms.compose(number, phrase, tracking_link(number, code, base_url=base_url))


def no_match() -> str:
    # The words of the tracking page: the same whichever part is wrong (no oracle).
    return sms.shorten(
        _("No complaint matches this number and tracking code. Check both and try again.")
    )


def check_usage() -> str:
    return sms.shorten(_("To see a complaint's status send: CEK <number> <tracking code>"))


def file_usage() -> str:
    return sms.shorten(
        _(
            "Write your complaint after the word ADUAN, e.g.: ADUAN Broken street light on Jl. Merdeka 5"
        )
    )


def help_text() -> str:
    return sms.shorten(
        _(
            "To file a complaint send: ADUAN <what happened and where> (a photo may be "
            "attached). For its status: CEK <number> <tracking code>"
        )
    )


def switched(*, on: bool) -> str:
    if on:
        return sms.shorten(
            _("You will get a message when your complaints change. Send BERHENTI to stop.")
        )
    return sms.shorten(
        _("You will no longer get messages when your complaints change. Send MULAI to restart.")
    )


def refused(message: str) -> str:
    """A complaint that could not be filed: why (a service's message), as one SMS."""
    return sms.shorten(_("Complaint not filed: %(reason)s", reason=message))


def too_short() -> str:
    # The web form's words for a description too short.
    return _("Describe the problem in at least %(min)d characters.", min=BODY_MIN)


def too_many(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return sms.shorten(
        ngettext(
            "Too many messages from your number. Try again in %(num)d minute.",
            "Too many messages from your number. Try again in %(num)d minutes.",
            minutes,
        )
    )


def too_many_complaints(seconds: int) -> str:
    hours = max(1, (seconds + 3599) // 3600)
    return sms.shorten(
        ngettext(
            "You have filed many complaints today. Try again in %(num)d hour.",
            "You have filed many complaints today. Try again in %(num)d hours.",
            hours,
        )
    )
