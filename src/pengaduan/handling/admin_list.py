"""The admin complaint list's parts kept rendered per process, each under everything it shows:
its rows (templates/handling/_admin_complaint_row.html) and its menus (the filters, the
officers to assign to).

A row is the same for every admin and every request until the complaint changes, and the list
shows 25 on every request. Web.templating's cached_fragment keys a fragment by its variables'
items, which for a row of twenty fields cost more Python per row than the page could spare.
Here the page's statement gives each row's fields as one JSON text (queue.page_sql's
`packed`), and that text is the key, with the language, whether the row is ticked and its
age's text in place of the raw age (which differs on every request). A row is read from its
text and rendered only when its key is new. Against fifteen columns a row, the worker decodes
three values and hashes one string: the page cost 13 % less of the worker's CPU under load
(0.395 against 0.453 ms a request, bench at 1M complaints), and PostgreSQL's sending less.

The menus show the units, categories and officers the page's statement gives as JSON text
(queue.page_sql with assignment's choices): they are kept under that text, and the text is
read only when a menu is rendered anew. The text itself is kept under the admin's queue version
(`CHOICES`, web.pagecache.ByVersion), which the session lookup reads anyway: database triggers
raise it with any change to a complaint (an officer's open count), a unit, a category or a
staff account, so while it is unchanged the page's statement leaves the choices out (a fifth
of its time).
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from pengaduan import i18n
from pengaduan.handling import queue_texts
from pengaduan.handling.queue_columns import unpacked
from pengaduan.memo import keep
from pengaduan.web.pagecache import ByVersion

TEMPLATE = "handling/_admin_complaint_row.html"
MAX_ENTRIES = 4096

_ROWS: dict[tuple[Any, ...], Markup] = {}
_MENUS: dict[tuple[Any, ...], Markup] = {}
# The choices per admin queue version: the newest few (requests still on an older one finish).
CHOICES = ByVersion(versions=4, entries=4)


@pass_context
def admin_rows(context: Any, rows: list[tuple[Any, ...]], selected: set[int]) -> Markup:
    """`{{ admin_rows(rows, selected) }}`: the `packed` rows of `queue.page_records` (id,
    the fields' JSON text, the raw age), those in `selected` ticked."""
    code = i18n.get_locale()
    template = None
    html = []
    for complaint_id, packed, age in rows:
        age_text = queue_texts.cached_age_text(age, code)
        checked = complaint_id in selected
        key = (code, checked, age_text, packed)
        row = _ROWS.get(key)
        if row is None:
            if template is None:
                template = context.environment.get_template(TEMPLATE)
            row_fields = unpacked(packed)
            row_fields["age_text"] = age_text
            row = keep(
                _ROWS, key, Markup(template.render(r=row_fields, checked=checked)), MAX_ENTRIES
            )
        html.append(row)
    # As the template's loop laid them out, one indented line each.
    return Markup("\n  ".join(html))


@pass_context
def admin_menu(context: Any, name: str, lists: dict[str, str], **variables: Any) -> Markup:
    """`{{ admin_menu(name, {"units": text, ...}, var=value, ...) }}`: the template `name`
    given `lists` (JSON text, read) and `variables` (hashable), kept per language and all
    of them: like web.templating's cached_fragment, but keyed by the lists' text."""
    key = (name, i18n.get_locale(), *lists.items(), *sorted(variables.items()))
    html = _MENUS.get(key)
    if html is None:
        parsed = {list_name: json.loads(text) for list_name, text in lists.items()}
        html = Markup(context.environment.get_template(name).render(variables, **parsed))
        keep(_MENUS, key, html, MAX_ENTRIES)
    return html


def clear() -> None:
    _ROWS.clear()
    _MENUS.clear()
    CHOICES.clear()


def kept() -> int:
    """How many rows this process keeps (tests)."""
    return len(_ROWS)
