"""The actions region of the staff complaint page (templates/handling/_detail_actions.html: claim,
verify, start, resolve, reply, note, assign, forward, reject) kept rendered per process, once
per *shape*, as web.layout keeps the page header.

The forms were half of the page's template time, and what they show is the same for every
complaint of the same shape:

- which actions are available, whether the visitor may reassign, whether they are an admin,
  and the language;
- what the forms select: the complaint's category and priority (verify), officer (assign),
  unit and whether an outside agency may take it (forward), and the category's reply
  templates: a key part only where a form that shows it is offered;
- the lists the menus offer, by the JSON text the page's read gave them (a renamed unit is a
  new text, so a new entry).

Never in an entry: the complaint's path, its version, the visitor's CSRF input and the forms'
fresh idempotency keys. The region is rendered with a placeholder for each, and they are put
in per request (each form key a new one). A region with typed values or errors (a refused
form given back) is rendered as it is, never kept. Entries beyond `MAX_ENTRIES` push out the
least recently used.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

from jinja2 import pass_context
from markupsafe import Markup, escape

from pengaduan import i18n

TEMPLATE = "handling/_detail_actions.html"
# A region is about 6 KB: at most ~6 MB per process.
MAX_ENTRIES = 1024
# The lists a region's menus may show, as the page's read gives them (JSON text).
LISTS = ("templates", "categories", "units", "officers", "outside_agencies")

# Placeholders: NUL survives autoescaping, and no text from PostgreSQL can hold one.
_BASE, _VERSION, _CSRF, _FORM_KEY = "\x00base\x00", "\x00version\x00", "\x00csrf\x00", "\x00key\x00"
_MARK = re.compile(r"\x00(base|version|csrf|key)\x00")

# Each kept region as its text split at the placeholders: literal, mark name, literal, ...
_REGIONS: OrderedDict[tuple[Any, ...], tuple[str, ...]] = OrderedDict()


def _shape(context: Any) -> tuple[Any, ...]:
    """Everything the region shows but the per-request values (see the module's docstring)."""
    available = context["available"]
    c = context["c"]
    lists = context["lists"]
    reassign = available["reassign"]
    can_reassign = context["can_reassign"]
    forward = available["forward"]
    return (
        i18n.get_locale(),
        context["is_admin"],
        tuple(available.values()),
        (c["category_id"], c["priority"], lists["categories"]) if available["verify"] else None,
        # The admin's link to the category's templates names the category.
        (lists["templates"], c["category_id"] if context["is_admin"] else None)
        if available["reply"]
        else None,
        (can_reassign, c["officer_id"], lists["officers"])
        if reassign and can_reassign
        else (c["officer_name"] if reassign else None),
        (
            c["unit_id"],
            c["status"] in ("verified", "in_progress"),
            lists["units"],
            lists["categories"],
            lists["outside_agencies"],
        )
        if forward
        else None,
    )


def _variables(context: Any, base: str) -> dict[str, Any]:
    """What the region template is given: only the complaint's fields it may show, so that
    nothing of one complaint can slip into a region kept for its shape."""
    c = context["c"]
    variables = {name: json.loads(context["lists"][name]) for name in LISTS}
    variables.update(
        request=context["request"],
        base=base,
        version=context["version"],
        csrf_input=context["csrf_input"],
        c={
            key: c[key]
            for key in (
                "category_id",
                "priority",
                "status",
                "unit_id",
                "officer_id",
                "officer_name",
            )
        },
        available=context["available"],
        can_reassign=context["can_reassign"],
        is_admin=context["is_admin"],
        values=context["values"],
        errors=context["errors"],
        typed_form=context["typed_form"],
    )
    return variables


@pass_context
def actions_region(context: Any, base: str) -> Markup:
    """`{{ actions_region(base) }}`: the region for the page's context, `base` the complaint's
    path; kept per shape unless a form was given back with what was typed."""
    env = context.environment
    template = env.get_template(TEMPLATE)
    if context["values"] or context["errors"] or context["typed_form"]:
        return Markup(template.render(_variables(context, base)))
    key = _shape(context)
    parts = _REGIONS.get(key)
    if parts is None:
        variables = _variables(context, base)
        variables.update(
            base=_BASE,
            version=_VERSION,
            csrf_input=Markup(_CSRF),
            new_form_key=lambda: _FORM_KEY,
        )
        parts = tuple(_MARK.split(template.render(variables)))
        _REGIONS[key] = parts
        while len(_REGIONS) > MAX_ENTRIES:
            _REGIONS.popitem(last=False)
    else:
        _REGIONS.move_to_end(key)
    new_key = env.globals["new_form_key"]
    values = {
        "base": str(escape(base)),
        "version": str(escape(context["version"])),
        "csrf": str(context["csrf_input"]),
    }
    out = list(parts)
    for i in range(1, len(out), 2):
        out[i] = new_key() if out[i] == "key" else values[out[i]]
    return Markup("".join(out))


def clear() -> None:
    _REGIONS.clear()


def kept() -> int:
    """How many regions this process keeps (tests)."""
    return len(_REGIONS)
