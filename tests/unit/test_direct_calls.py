"""Template calls of the environment's plain functions are compiled as direct calls
(web.direct_calls); everything that needs what `context.call` passes still gets it."""

from __future__ import annotations

import types

import pytest
from jinja2 import pass_context, pass_environment
from markupsafe import Markup

from pengaduan.web import templating
from pengaduan.web.templating import build_environment


class _WantsContext:
    @pass_context
    def __call__(self, context, name):
        return context.get(name)


@pytest.fixture
def env():
    environment = build_environment()
    environment.globals.update(
        plain=lambda value="": f"<{value}>",
        with_env=pass_environment(lambda environment, value: environment is not None and value),
        with_context=pass_context(lambda context, name: context.get(name)),
        wants_context=_WantsContext(),
    )
    return environment


def test_plain_globals_are_called_directly(env) -> None:
    source = "{{ plain(1) }}{{ with_env(2) }}{{ with_context('x') }}{{ status_label('new') }}"
    code = env.compile(source, raw=True)
    assert "context.call(" in code  # with_context only
    assert code.count("context.call(") == 1
    assert "(*(), 1)" in code and "(environment, 2)" in code


def test_what_they_render_is_unchanged(env) -> None:
    source = (
        "{% for i in [1, 2] %}{% set y = i * 10 %}{{ plain(i) }}{{ plain(value=i) }}"
        "{{ with_env(i) }}{{ with_context('y') }}{{ wants_context('y') }}{% endfor %}"
        "{{ plain(*[3]) }}{{ plain(**{'value': 4}) }}"
    )
    html = env.from_string(source).render()
    assert html == ("&lt;1&gt;&lt;1&gt;11010&lt;2&gt;&lt;2&gt;22020&lt;3&gt;&lt;4&gt;")


def test_a_name_the_template_binds_is_its_own(env) -> None:
    source = (
        "{% macro plain(v) %}[{{ v }}]{% endmacro %}{{ plain(1) }}"
        "{% set status_label = with_context %}{{ status_label('x') }}"
    )
    code = env.compile(source, raw=True)
    assert code.count("context.call(") == 2
    assert env.from_string(source).render(x="own") == "[1]own"


def test_form_fields_and_labels_in_a_real_page_escape_as_before(env) -> None:
    page = env.from_string(
        '{% from "_forms.html" import field %}'
        '{{ field("n", _("Full name"), {"n": "<b>"}, {}) }}{{ role_label("citizen") }}'
    ).render()
    assert 'value="&lt;b&gt;"' in page
    assert isinstance(env.globals["form_field"]("n", "l", {}, {}), Markup)


def test_url_for_and_gettext_get_the_context_without_a_derived_one(env) -> None:
    env.globals["url_for"] = templating.url_for  # as app.create_app registers it
    source = "{{ url_for('x') }}{% for i in [1] %}{% set y = i %}{{ _('%(n)s!', n=y) }}{% endfor %}"
    code = env.compile(source, raw=True)
    assert "context.call(" not in code and "(context, '%(n)s!'" in code and "(context, 'x')" in code
    request = types.SimpleNamespace(app=types.SimpleNamespace(route_reverse=lambda n: f"/{n}"))
    assert env.from_string(source).render(request=request) == "/x1!"
