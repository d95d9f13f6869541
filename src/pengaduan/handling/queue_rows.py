"""The officers' queue rows (templates/handling/_queue_row.html) kept rendered per process.

As the admin list's rows are (handling.admin_list): the page's statement gives each row's
fields as one JSON text (queue.page_sql's `packed`), and a row is kept under that text, the
language, its age's text and whether the unit shows; the text is read and the row rendered
only when that key is new. Rows as dicts keyed by their items (web.templating's
cached_fragment) cost the uncached queue page a fifth of its CPU."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

from pengaduan import i18n
from pengaduan.handling import queue_texts
from pengaduan.handling.queue_columns import unpacked
from pengaduan.memo import keep

TEMPLATE = "handling/_queue_row.html"
MAX_ENTRIES = 4096

_ROWS: dict[tuple[Any, ...], Markup] = {}


@pass_context
def queue_rows(context: Any, rows: list[tuple[Any, ...]], show_unit: bool) -> Markup:
    """`{{ queue_rows(rows, show_unit) }}`: the `packed` rows of `queue.page_records` (id, the
    fields' JSON text, the raw age)."""
    code = i18n.get_locale()
    labels = None
    html = []
    for _complaint_id, packed, age in rows:
        age_text = queue_texts.cached_age_text(age, code)
        key = (code, show_unit, age_text, packed)
        row = _ROWS.get(key)
        if row is None:
            if labels is None:
                labels = queue_texts.labels()
            fields = unpacked(packed)
            fields["age_text"] = age_text
            queue_texts.add_texts(fields, code, labels)
            template = context.environment.get_template(TEMPLATE)
            rendered = Markup(template.render(row=fields, show_unit=show_unit))
            row = keep(_ROWS, key, rendered, MAX_ENTRIES)
        html.append(row)
    return Markup("".join(html))


def clear() -> None:
    _ROWS.clear()


def kept() -> int:
    """How many rows this process keeps (tests)."""
    return len(_ROWS)
