"""Constant texts translated when a template is compiled (web.folding): each language gets
its own compiled template, so a page shows the language of its request, and what is left as a
call (variables, plurals, broken formats, a template with its own `_`) works as before."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader

from pengaduan import i18n
from pengaduan.web.templating import build_environment

PAGES = {
    "page.html": (
        '<p>{{ _("Log in") }}</p>{% include "part.html" %}'
        '{% from "macros.html" import closing %}{{ closing() }}'
    ),
    "part.html": "<i>{% trans %}My account{% endtrans %}</i>",
    "macros.html": '{% macro closing() %}<b>{{ gettext("Close") }}</b>{% endmacro %}',
    "args.html": '{{ _("%(name)s & co", name="<x>") }}|{{ _("Save") ~ "<" }}',
    "broken.html": '{{ _("Hello %(name)s") }}',
    "own.html": '{% set _ = "x".upper %}{{ _() }}',
    "mail.txt": '{{ _("Save") }} & {{ "<" }}',
}


@pytest.fixture
def env():
    environment = build_environment()
    environment.loader = DictLoader(PAGES)
    yield environment
    i18n.set_locale(i18n.DEFAULT_LOCALE)


def _render(env, name: str, locale: str, **context) -> str:
    i18n.set_locale(locale)
    return env.get_template(name).render(**context)


def test_a_page_follows_the_language_of_each_request(env) -> None:
    indonesian = "<p>Masuk</p><i>Akun saya</i><b>Tutup</b>"
    english = "<p>Log in</p><i>My account</i><b>Close</b>"
    assert _render(env, "page.html", "id") == indonesian
    assert _render(env, "page.html", "en") == english
    assert _render(env, "page.html", "id") == indonesian
    assert env.get_template("page.html") is env.get_template("page.html")  # kept, per language


def test_constant_texts_are_no_longer_calls(env) -> None:
    i18n.set_locale("id")
    code = env.compile(PAGES["page.html"], "page.html", raw=True)
    assert "Masuk" in code and "Log in" not in code


def test_texts_with_variables_are_still_formatted_and_escaped(env) -> None:
    assert _render(env, "args.html", "en") == "&lt;x&gt; & co|Save&lt;"
    assert _render(env, "args.html", "id").endswith("|Simpan&lt;")


def test_a_broken_format_still_fails_when_rendered_not_when_loaded(env) -> None:
    i18n.set_locale("en")
    template = env.get_template("broken.html")
    with pytest.raises(KeyError):
        template.render()


def test_a_template_with_its_own_underscore_keeps_it(env) -> None:
    assert _render(env, "own.html", "en") == "X"


def test_a_template_from_a_string_translates_when_rendered(env) -> None:
    i18n.set_locale("en")
    template = env.from_string('{{ _("Log in") }}')
    i18n.set_locale("id")
    assert template.render() == "Masuk"


def test_without_autoescaping_the_text_is_plain(env) -> None:
    plain = env.overlay(autoescape=False)
    i18n.set_locale("id")
    rendered = plain.get_template("mail.txt").render()
    assert rendered == "Simpan & <"
