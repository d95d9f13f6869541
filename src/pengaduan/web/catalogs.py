"""Maintaining the translation catalogs: extract marked strings, update, check and compile.

    python -m pengaduan.web.catalogs update   # extract, merge into each .po, fill English
    python -m pengaduan.web.catalogs compile  # write the .mo files the app loads
    python -m pengaduan.web.catalogs check    # list what is missing (exit 1 if anything)

Message ids are English. The English catalog therefore translates each id to itself; the
Indonesian one is written by people. `check` is what the test suite runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from pengaduan.i18n import LOCALE_DIR, LOCALES
from pengaduan.settings import project_root

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy": None}
SOURCES = [
    ("src/pengaduan", [("**.py", "python")]),
    ("templates", [("**.html", "jinja2"), ("**.txt", "jinja2")]),
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"


def mo_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo"


def extract() -> Catalog:
    """Every marked string in the Python sources and the templates."""
    catalog = Catalog(project="pengaduan", charset="utf-8")
    root = project_root()
    for folder, method_map in SOURCES:
        options = {pattern: JINJA_OPTIONS for pattern, method in method_map if method == "jinja2"}
        for filename, lineno, message, comments, context in extract_from_dir(
            str(root / folder),
            method_map=method_map,
            options_map=options,
            keywords=KEYWORDS,
            strip_comment_tags=True,
        ):
            if folder == "src/pengaduan" and filename.startswith("web/catalogs"):
                continue
            catalog.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def read_catalog(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="pengaduan", charset="utf-8")
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _translated(message) -> bool:
    if message.fuzzy:
        return False
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


def missing(locale: str, template: Catalog | None = None) -> list[str]:
    """Marked strings that `locale` does not translate (absent, empty or fuzzy)."""
    template = template or extract()
    catalog = read_catalog(locale)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or not _translated(found):
            problems.append(message.id if isinstance(message.id, str) else message.id[0])
    return problems


def _strings(value: object) -> tuple:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def stale_mo(locale: str) -> bool:
    """True when the compiled catalog does not match its .po file."""
    if not mo_path(locale).exists():
        return True
    with mo_path(locale).open("rb") as f:
        compiled = read_mo(f)
    source = read_catalog(locale)
    for message in source:
        if not message.id or not _translated(message):
            continue
        other = compiled.get(message.id, context=message.context)
        if other is None or _strings(other.string) != _strings(message.string):
            return True
    return False


def update() -> None:
    template = extract()
    for locale in LOCALES:
        catalog = read_catalog(locale)
        catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            for message in catalog:
                if message.id and not _translated(message):
                    message.string = message.id
                    message.flags.discard("fuzzy")
        po_path(locale).parent.mkdir(parents=True, exist_ok=True)
        with po_path(locale).open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True)


def compile_all() -> None:
    for locale in LOCALES:
        with mo_path(locale).open("wb") as f:
            write_mo(f, read_catalog(locale), use_fuzzy=False)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
        command = "check"
    if command == "compile":
        compile_all()
        return 0
    template = extract()
    status = 0
    for locale in LOCALES:
        gaps = missing(locale, template)
        for gap in gaps:
            print(f"{locale}: untranslated: {gap!r}")
        if stale_mo(locale):
            print(f"{locale}: messages.mo is out of date; run `compile`")
            status = 1
        status = status or (1 if gaps else 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
