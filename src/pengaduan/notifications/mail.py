"""Mail content: rendering templates/mail/<name>.{subject.txt,txt,html} in a given language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment

from pengaduan import i18n
from pengaduan.web.templating import build_environment

MAIL_FOLDER = "mail"


@dataclass(frozen=True)
class RenderedMail:
    """One message, ready for the outbox: a one-line subject and two equivalent bodies."""

    subject: str
    text: str
    html: str


def _autoescape(template_name: str | None) -> bool:
    # Only the HTML variant is markup; escaping the plain text and the subject would
    # put "&amp;" into links and names.
    return template_name is not None and template_name.endswith((".html", ".htm"))


@cache
def mail_environment() -> Environment:
    """The app's Jinja environment (same loader, gettext and filters), built once, with
    escaping limited to the .html templates."""
    return build_environment().overlay(autoescape=_autoescape)


def render_mail(name: str, context: dict[str, Any], language: str) -> RenderedMail:
    """Render mail `name` in `language` ("id" or "en"; anything else falls back to the
    default), restoring the caller's locale afterwards."""
    env = mail_environment()
    previous = i18n.get_locale()
    i18n.set_locale(language)
    try:
        subject = env.get_template(f"{MAIL_FOLDER}/{name}.subject.txt").render(context)
        text = env.get_template(f"{MAIL_FOLDER}/{name}.txt").render(context)
        html = env.get_template(f"{MAIL_FOLDER}/{name}.html").render(context)
    finally:
        i18n.set_locale(previous)
    return RenderedMail(subject=_one_line(subject), text=text.strip() + "\n", html=html)


def render_subject(name: str, context: dict[str, Any], language: str) -> str:
    """Only the subject of mail `name` in `language` (what a queued mail shows in lists)."""
    previous = i18n.get_locale()
    i18n.set_locale(language)
    try:
        template = mail_environment().get_template(f"{MAIL_FOLDER}/{name}.subject.txt")
        return _one_line(template.render(context))
    finally:
        i18n.set_locale(previous)


def _one_line(subject: str) -> str:
    # A header is one line: collapse whatever the template or a translation left in it.
    return " ".join(subject.split())
