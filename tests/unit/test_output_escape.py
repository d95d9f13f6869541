"""`{{ value }}` in a page writes what markupsafe's escape wrote (web.output_escape), without
a Markup per value."""

from __future__ import annotations

import enum

import pytest
from jinja2 import StrictUndefined, UndefinedError
from markupsafe import Markup, escape

from pengaduan.web.output_escape import escape_output
from pengaduan.web.templating import build_environment


class _Html:
    def __html__(self) -> str:
        return "<em>own</em>"


class _Status(enum.StrEnum):
    NEW = "<new>"


class _Safe(Markup):
    pass


VALUES = [
    "",
    "plain",
    "\"><script>alert('x')</script>&amp;",
    "Émile & Zoë <ok>",
    Markup("<b>kept</b>"),
    _Safe("<i>sub</i>"),
    0,
    -42,
    True,
    None,
    3.5,
    _Status.NEW,
    _Html(),
    ["<a>", 1],
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_same_text_as_markupsafe(value) -> None:
    assert str(escape_output(value)) == str(escape(value))


def test_pages_write_through_it() -> None:
    env = build_environment()
    code = env.compile("{{ a }}{{ b }}", raw=True)
    assert "environment.escape_output(" in code and "escape(" not in code.replace(
        "escape_output(", ""
    )
    html = env.from_string("{{ a }}|{{ b }}|{{ c }}").render(
        a="<x>", b=Markup("<i>"), c=_Status.NEW
    )
    assert html == "&lt;x&gt;|<i>|" + str(escape(_Status.NEW))


def test_without_autoescaping_nothing_is_escaped() -> None:
    env = build_environment().overlay(autoescape=False)
    assert env.from_string("{{ a }}").render(a="<x>") == "<x>"


def test_undefined_still_fails() -> None:
    env = build_environment()
    assert env.undefined is StrictUndefined
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
