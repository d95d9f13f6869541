"""Templates: the Jinja environment, versioned static URLs, and page-or-fragment responses."""

from __future__ import annotations

import hashlib
import secrets
import weakref
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    pass_environment,
    select_autoescape,
)
from litestar import MediaType, Request
from litestar.response import Template
from markupsafe import Markup

from pengaduan import i18n
from pengaduan.clock import JAKARTA
from pengaduan.complaints import statuses
from pengaduan.memo import keep
from pengaduan.settings import project_root
from pengaduan.web import folding, forms, labels, layout
from pengaduan.web.direct_calls import DirectCallGenerator, reads_render_context
from pengaduan.web.output_escape import EscapingCodeGenerator, escape_output

HX_VARY = "HX-Request"


def templates_dir() -> Path:
    return project_root() / "templates"


def static_dir() -> Path:
    return project_root() / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """`/static/<path>?v=<content hash>`: safe to cache for a year."""
    file = static_dir() / path
    digest = hashlib.sha256(file.read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


def format_datetime(value: datetime | None, style: str = "medium") -> str:
    """A date and time in the visitor's language, in Western Indonesia Time."""
    if value is None:
        return ""
    return _formatted(value, style, i18n.get_locale())


def machine_datetime(value: datetime | None) -> str:
    """A moment as HTML's `<time datetime>` takes it: whole seconds with the offset (HTML has
    no room for Python's microseconds)."""
    if value is None:
        return ""
    return value.isoformat(timespec="seconds")


@lru_cache(maxsize=4096)
def _formatted(value: datetime, style: str, locale: str) -> str:
    # Babel's formatting is slow, and pages show the same moments again and again (a
    # complaint's history, a session's last activity): each is formatted once per process.
    return babel_format_datetime(value, style, tzinfo=JAKARTA, locale=_babel_locale(locale))


def format_number(value: Any) -> str:
    """A number as the visitor's language writes it (1.234 / 1,234): the `number` filter."""
    return _number(value, i18n.get_locale())


@lru_cache(maxsize=4096, typed=True)
def _number(value: Any, locale: str) -> str:
    # Babel finds the locale's pattern and symbols again on every call (about 30 us, measured
    # on the admin list and My complaints); lists show the same counts again and again.
    return format_decimal(value, locale=_babel_locale(locale))


@lru_cache(maxsize=8)
def _babel_locale(code: str) -> Locale:
    # Babel parses a locale code again on every call; a Locale object it takes as it is.
    return Locale.parse(code)


# Paths by route name and parameters: see `url_for`.
_PATHS: dict[tuple[Any, ...], str] = {}
_PATHS_MAX = 4096


@reads_render_context
@pass_context  # as Litestar's register_template_callable marks it
def url_for(context: Any, route_name: str, /, **path_parameters: Any) -> str:
    """Litestar's `url_for` template callable, kept per process by route name and parameters:
    its route_reverse sorts the route's paths again on every call, and a list page asks it for
    every row. The routes are fixed once the app is built, so a path never changes."""
    key = (route_name, *path_parameters.items())
    try:
        path = _PATHS.get(key)
    except TypeError:  # an unhashable parameter
        return str(context["request"].app.route_reverse(route_name, **path_parameters))
    if path is None:
        path = str(context["request"].app.route_reverse(route_name, **path_parameters))
        keep(_PATHS, key, path, _PATHS_MAX)
    return path


# Rendered fragments by template and every value they are given: see `cached_fragment`.
_FRAGMENTS: dict[tuple[Any, ...], Markup] = {}
_FRAGMENTS_MAX = 4096


def _frozen(value: Any) -> Any:
    # One level deep (a row, a list of rows): enough for what fragments are given, and cheap.
    if isinstance(value, dict):
        return tuple(value.items())
    if isinstance(value, list):
        return tuple(tuple(v.items()) if isinstance(v, dict) else v for v in value)
    return value


@pass_environment
def cached_fragment(env: Environment, name: str, **variables: Any) -> Markup:
    """The template `name` rendered with only `variables` (and the globals), kept per process
    under its name, the language and all the values, which determine it completely.

    For small fragments repeated across requests, such as a queue row (officers of a unit see
    the same rows): they must use nothing but their variables, the globals and the language.
    Values must be hashable (a dict counts by its items, a list by its items or their items);
    otherwise it renders every time. Give plain data: values that are equal but render
    differently (a str and a Markup of the same text) would share an entry.
    """
    key = (name, i18n.get_locale(), *((k, _frozen(v)) for k, v in sorted(variables.items())))
    try:
        html = _FRAGMENTS.get(key)
    except TypeError:  # an unhashable value
        return Markup(env.get_template(name).render(variables))
    if html is None:
        html = keep(
            _FRAGMENTS, key, Markup(env.get_template(name).render(variables)), _FRAGMENTS_MAX
        )
    return html


# Translated template texts by language, text and autoescaping: see `_gettext`.
_TRANSLATED: dict[tuple[str, str, bool], str] = {}
_TRANSLATED_MAX = 8192


@reads_render_context
@pass_context
def _gettext(context: Any, message: str, /, **variables: Any) -> str:
    """Jinja's new-style gettext (translate, escape-aware, always `%`-formatted), with what a
    text without variables comes to kept per process: a page asks for dozens of them, each
    the same on every request in the same language. The catalogs are loaded once
    (i18n.translations), so a kept text never goes stale. Also serves `_()`, which Jinja
    would otherwise send through one more indirection to `gettext`."""
    autoescape = context.eval_ctx.autoescape
    if variables:
        text = i18n.translations(i18n.get_locale()).ugettext(message)
        return (Markup(text) if autoescape else text) % variables
    key = (i18n.get_locale(), message, autoescape)
    text = _TRANSLATED.get(key)
    if text is None:
        text = i18n.translations(key[0]).ugettext(message)
        text = keep(_TRANSLATED, key, (Markup(text) if autoescape else text) % {}, _TRANSLATED_MAX)
    return text


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _CodeGenerator(EscapingCodeGenerator, DirectCallGenerator):
    """How our templates compile: web.output_escape, web.direct_calls."""


class _Environment(Environment):
    code_generator_class = _CodeGenerator
    escape_output = staticmethod(escape_output)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Pages show rows as dicts: `row.name` is an item. Jinja asks for an attribute first
        # and catches the AttributeError a dict raises for every field; this finds the item
        # straight away. A dict's own attributes (`.items`, `.get`, ...) still come first.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def _parse(self, source: str, name: str | None, filename: str | None) -> Any:
        # A template from a file is compiled per language (see _load_template) with its
        # constant texts translated (web.folding). One made from a string may be rendered
        # in any language: its texts stay calls.
        tree = super()._parse(source, name, filename)
        if name is None:
            return tree
        return folding.fold(tree, self, i18n.get_locale())

    def _load_template(self, name: str, globals: Any) -> Any:
        # Jinja's own, with the language in the cache key: a template compiled in one
        # language (web.folding) is only ever rendered in that language. Includes, imports
        # and `extends` come here too, during the render, in the page's language.
        if self.loader is None:
            raise TypeError("no loader for this environment specified")
        cache_key = (weakref.ref(self.loader), name, i18n.get_locale())
        if self.cache is not None:
            template = self.cache.get(cache_key)
            if template is not None and (not self.auto_reload or template.is_up_to_date):
                if globals:
                    template.globals.update(globals)
                return template
        template = self.loader.load(self, name, self.make_globals(globals))
        if self.cache is not None:
            self.cache[cache_key] = template
        return template

    def make_globals(self, d: Any) -> Any:
        # Jinja gives every template a ChainMap over the environment's globals; our templates
        # have no globals of their own, and a ChainMap's key operations are slow Python: each
        # `{% from ... import %}` compares the importer's keys with the imported template's
        # (tens of microseconds per import, several imports per page), and every render copies
        # them. The environment's own dict serves the same lookups. Nothing passes
        # per-template globals (get_template(..., globals=...) would write into the shared
        # dict): those still get their own ChainMap.
        if not d:
            return self.globals
        return super().make_globals(d)


def build_environment() -> Environment:
    env = _Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        # Every template is kept once per language (web.folding): room for all of them.
        cache_size=1000,
    )
    # Jinja's new-style gettext formats the %(name)s variables itself.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.get_locale()).ugettext(message),
        lambda singular, plural, n: i18n.translations(i18n.get_locale()).ungettext(
            singular, plural, n
        ),
        newstyle=True,
    )
    env.globals["gettext"] = env.globals["_"] = _gettext
    env.filters["number"] = format_number
    env.globals.update(
        role_label=labels.role_label,
        status_label=labels.status_label,
        status_badge_class=statuses.badge,
        priority_label=labels.priority_label,
        channel_label=labels.channel_label,
        format_datetime=format_datetime,
        machine_datetime=machine_datetime,
        static_url=static_url,
        get_locale=i18n.get_locale,
        cached_fragment=cached_fragment,
        page_header=layout.page_header,
        language_names=i18n.LANGUAGE_NAMES,
        # A fresh idempotency key per rendered form (complaints.repeats; _forms.html form_key).
        new_form_key=lambda: secrets.token_urlsafe(24),
    )
    env.globals.update(forms.GLOBALS)
    return env


def _htmx_headers(request: Request) -> tuple[bool, bool, bool]:
    """Whether htmx sent the request, boosted it, and asks to restore history: read from the
    request's raw headers (names lowercased, as ASGI gives them). Litestar's `request.htmx`
    builds the whole header mapping for it, and every page rendered asks."""
    htmx = boosted = restore = False
    for name, value in request.scope["headers"]:
        if name[:3] == b"hx-":
            if name == b"hx-request":
                htmx = value == b"true"
            elif name == b"hx-boosted":
                boosted = value == b"true"
            elif name == b"hx-history-restore-request":
                restore = value == b"true"
    return htmx, boosted, restore


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request."""
    return _htmx_headers(request)[0]


def is_partial(request: Request) -> bool:
    """An htmx request that wants a fragment (not boosted, not a history restore)."""
    htmx, boosted, restore = _htmx_headers(request)
    return htmx and not boosted and not restore


def render(
    request: Request,
    page: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    """The whole page, or for an htmx request the fragment; either way `Vary: HX-Request`."""
    name = fragment if fragment and is_partial(request) else page
    all_headers = {"Vary": HX_VARY}
    if headers:
        all_headers.update(headers)
    return Template(
        template_name=name,
        context=context or {},
        status_code=status_code,
        headers=all_headers,
        # Said here: Litestar would guess it from the template's name on every response.
        media_type=MediaType.HTML,
    )
