"""Languages: negotiation, and catalogs that translate every marked string."""

from __future__ import annotations

import pytest

from pengaduan import i18n
from pengaduan.web import catalogs


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "id"),
        ("", "id"),
        ("en-US,en;q=0.9", "en"),
        ("id-ID,id;q=0.9,en;q=0.8", "id"),
        ("fr-FR,fr;q=0.9,en;q=0.5", "en"),
        ("de", "id"),
        ("en;q=0.2,id;q=0.8", "id"),
        ("ms-MY", "id"),
        ("en;q=0", "id"),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str) -> None:
    assert i18n.negotiate(header) == expected


def test_remembered_choice_beats_the_browser() -> None:
    assert i18n.locale_for({"lang": "en"}, "id-ID", "id") == "en"
    assert i18n.locale_for({"lang": "xx"}, "en", "id") == "en"


def test_strings_are_extracted_from_python_and_templates() -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogs.extract() if m.id}
    assert "Page not found" in ids  # Python
    assert "Report a problem to the government" in ids  # template


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_catalog_translates_every_marked_string(locale: str) -> None:
    gaps = catalogs.missing(locale)
    assert gaps == [], f"run `python -m pengaduan.web.catalogs update` and translate: {gaps}"


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    assert not catalogs.stale_mo(locale), "run `python -m pengaduan.web.catalogs compile`"


def test_gettext_follows_the_request_locale() -> None:
    i18n.set_locale("en")
    assert i18n.gettext("Page not found") == "Page not found"
    i18n.set_locale("id")
    assert i18n.gettext("Page not found") == "Halaman tidak ditemukan"


def test_numbers_are_written_as_each_language_does_and_formatted_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from babel.numbers import format_decimal

    from pengaduan import i18n
    from pengaduan.web import templating

    calls = []

    def counted(value: object, locale: object) -> str:
        calls.append(value)
        return format_decimal(value, locale=locale)

    monkeypatch.setattr(templating, "format_decimal", counted)
    templating._number.cache_clear()
    for _ in range(3):
        i18n.set_locale("id")
        assert templating.format_number(1234567) == "1.234.567"
        assert templating.format_number(2.5) == "2,5"
        i18n.set_locale("en")
        assert templating.format_number(1234567) == "1,234,567"
    assert sorted(map(str, calls)) == ["1234567", "1234567", "2.5"]
    templating._number.cache_clear()
    i18n.set_locale(i18n.DEFAULT_LOCALE)
