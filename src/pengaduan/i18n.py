"""Languages: the Babel catalogs shipped in the package and the choice of language per request."""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
LANGUAGE_COOKIE = "lang"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}

_current: ContextVar[str] = ContextVar("pengaduan_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def gettext(message: str, **variables: Any) -> str:
    text = translations(get_locale()).ugettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext


def lazy(message: str) -> str:
    """Marks a string for extraction where it must be translated later, at use."""
    return message


def negotiate(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The best of our locales for an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return default
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _sep, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            choices.append((-quality, position, tag))
    for _q, _pos, tag in sorted(choices):
        primary = tag.split("-")[0]
        if primary in LOCALES:
            return primary
        if primary == "ms":  # Malay readers get Indonesian rather than English
            return "id"
    return default


def locale_for(cookies: dict[str, str], accept_language: str | None, default: str) -> str:
    """The remembered choice, else the browser's preference, else the default."""
    chosen = cookies.get(LANGUAGE_COOKIE)
    if chosen in LOCALES:
        return chosen
    return negotiate(accept_language, default)
