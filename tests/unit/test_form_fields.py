"""The form fields of templates/_forms.html (web/forms.py, Python since the macros cost more
than what they wrote) give exactly what the Jinja macros gave, hostile values escaped the same
way, for every combination of their options."""

from __future__ import annotations

import itertools
import re

import pytest
from markupsafe import Markup

from pengaduan.web.templating import build_environment

# The macros as they were (templates/_forms.html before web/forms.py): the reference.
MACROS = """\
{% macro field(name, label, values, errors, type="text", hint="", autocomplete="", required=false, inputmode="", maxlength=0) %}
<div class="field">
  <label for="f-{{ name }}">{{ label }}{% if hint %} <span class="hint" id="h-{{ name }}">{{ hint }}</span>{% endif %}</label>
  <input id="f-{{ name }}" name="{{ name }}" type="{{ type }}"{% if type != "password" %} value="{{ values.get(name) or '' }}"{% endif %}{% if autocomplete %} autocomplete="{{ autocomplete }}"{% endif %}{% if inputmode %} inputmode="{{ inputmode }}"{% endif %}{% if maxlength %} maxlength="{{ maxlength }}"{% endif %}{% if required %} required{% endif %}{% if errors.get(name) %} aria-invalid="true" aria-describedby="e-{{ name }}"{% elif hint %} aria-describedby="h-{{ name }}"{% endif %}>
  {% if errors.get(name) %}<p class="error" id="e-{{ name }}">{{ errors[name] }}</p>{% endif %}
</div>
{% endmacro %}

{% macro textarea(name, label, values, errors, hint="", required=false, rows=3) %}
<div class="field">
  <label for="f-{{ name }}">{{ label }}{% if hint %} <span class="hint">{{ hint }}</span>{% endif %}</label>
  <textarea id="f-{{ name }}" name="{{ name }}" rows="{{ rows }}"{% if required %} required{% endif %}{% if errors.get(name) %} aria-invalid="true" aria-describedby="e-{{ name }}"{% endif %}>{{ values.get(name) or '' }}</textarea>
  {% if errors.get(name) %}<p class="error" id="e-{{ name }}">{{ errors[name] }}</p>{% endif %}
</div>
{% endmacro %}

{% macro select(name, label, values, errors, options, blank="") %}
<div class="field">
  <label for="f-{{ name }}">{{ label }}</label>
  <select id="f-{{ name }}" name="{{ name }}"{% if errors.get(name) %} aria-invalid="true" aria-describedby="e-{{ name }}"{% endif %}>
    {% if blank %}<option value="">{{ blank }}</option>{% endif %}
    {% for value, text in options %}
    <option value="{{ value }}"{% if (values.get(name) or '') | string == value | string %} selected{% endif %}>{{ text }}</option>
    {% endfor %}
  </select>
  {% if errors.get(name) %}<p class="error" id="e-{{ name }}">{{ errors[name] }}</p>{% endif %}
</div>
{% endmacro %}

{% macro form_error(errors) %}
{% if errors.get("form") %}<p class="alert bad" role="alert" id="form-error">{{ errors["form"] }}</p>{% endif %}
{% endmacro %}

{% macro form_key() %}<input type="hidden" name="idempotency_key" value="{{ new_form_key() }}">{% endmacro %}
"""

HOSTILE = "\"><script>alert('x')</script>&amp;"
NAMES = ["full_name", 'a"b<c>']
LABELS = ["Name", Markup("<b>Bold</b> label"), HOSTILE]
VALUES = [{}, {"full_name": HOSTILE, 'a"b<c>': "x"}, {"full_name": 0}, {"full_name": 42}]
ERRORS = [{}, {"full_name": HOSTILE, 'a"b<c>': Markup("<i>ok</i>")}, {"full_name": ""}]


@pytest.fixture(scope="module")
def env():
    return build_environment()


@pytest.fixture(scope="module")
def old(env):
    return env.from_string(MACROS).module


@pytest.fixture(scope="module")
def new(env):
    """What templates get from `{% from "_forms.html" import ... %}`."""
    return env.get_template("_forms.html").module


def _same(old_html, new_html) -> None:
    assert isinstance(new_html, Markup)
    assert str(new_html) == str(old_html)


def test_field_is_the_macro(old, new) -> None:
    options = itertools.product(
        ["text", "password", "email"], ["", "a hint", HOSTILE], ["", "name"], [False, True]
    )
    for kind, hint, autocomplete, required in options:
        for name, label, values, errors in itertools.product(NAMES, LABELS, VALUES, ERRORS):
            for extra in ({}, {"inputmode": "numeric", "maxlength": 16}, {"maxlength": HOSTILE}):
                args = (name, label, values, errors)
                kwargs = dict(
                    type=kind, hint=hint, autocomplete=autocomplete, required=required, **extra
                )
                _same(old.field(*args, **kwargs), new.field(*args, **kwargs))


def test_textarea_is_the_macro(old, new) -> None:
    for name, label, values, errors in itertools.product(NAMES, LABELS, VALUES, ERRORS):
        for kwargs in ({}, {"hint": HOSTILE, "required": True, "rows": 8}, {"rows": HOSTILE}):
            _same(
                old.textarea(name, label, values, errors, **kwargs),
                new.textarea(name, label, values, errors, **kwargs),
            )


def test_select_is_the_macro(old, new) -> None:
    option_lists = [[], [(1, "one"), (2, HOSTILE)], [("a", "A"), (HOSTILE, Markup("<em>M</em>"))]]
    chosen = [{}, {"full_name": 2}, {"full_name": "2"}, {"full_name": HOSTILE}, {"full_name": 0}]
    for name, label, values, errors, options, blank in itertools.product(
        NAMES, LABELS, chosen, ERRORS, option_lists, ["", HOSTILE]
    ):
        _same(
            old.select(name, label, values, errors, options, blank=blank),
            new.select(name, label, values, errors, options, blank=blank),
        )


def test_form_error_is_the_macro(old, new) -> None:
    for errors in ({}, {"form": ""}, {"form": HOSTILE}, {"form": Markup("<b>x</b>")}):
        _same(old.form_error(errors), new.form_error(errors))


def test_form_key_is_fresh_each_time(env) -> None:
    page = env.from_string('{% from "_forms.html" import form_key %}{{ form_key() }}')
    keys = [page.render() for _ in range(2)]
    pattern = re.compile(r'<input type="hidden" name="idempotency_key" value="[\w-]{32}">')
    assert all(pattern.fullmatch(key) for key in keys)
    assert keys[0] != keys[1]


def test_form_key_takes_the_key_a_render_gives_as_the_macro_did(env) -> None:
    """handling.action_region renders its region once with a placeholder key, imported
    `with context`, and puts a fresh key in per request."""
    source = '{% from "_forms.html" import form_key with context %}{{ form_key() }}'
    reference = env.from_string(MACROS + "{{ form_key() }}")
    given = {"new_form_key": lambda: '"<placeholder>"'}
    expected = reference.render(**given).strip()
    assert env.from_string(source).render(**given) == expected
    assert "&#34;&lt;placeholder&gt;&#34;" in expected


def test_called_by_keyword_as_templates_do(env) -> None:
    html = env.from_string(
        '{% from "_forms.html" import field %}'
        '{{ field(name="n", label="<L>", values={"n": "<v>"}, errors={}, required=true) }}'
    ).render()
    assert 'value="&lt;v&gt;"' in html and "&lt;L&gt;" in html and " required>" in html
