"""Constant texts of templates translated when a template is compiled, once per language.

A page asks `_()` for dozens of constant texts (`{{ _("Save") }}`, `{% trans %}Menu{% endtrans
%}`), each the same on every request in the same language; as a call each cost a context
call and a lookup per request. The environment (web.templating) therefore compiles every
template once per language, and `fold` replaces each `_("constant")` / `gettext("constant")`
without variables by its translation in that language, marked safe where the template
autoescapes, exactly what `_gettext` returned for it at run time (`Markup(text) % {}`). A
template rendered in a language is always one compiled for it: the environment's template
cache is keyed by the language too.

Left as calls, translated per request as before: texts with variables (`_("... %(n)s", n=...)`),
plurals, anything but a constant string, a text whose `%` formatting fails (it fails at run
time, as it did), and every call in a template that binds `_` or `gettext` itself.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from pengaduan import i18n

FOLDED = frozenset({"_", "gettext"})


def _shadows(tree: nodes.Template) -> bool:
    """Whether the template gives `_` or `gettext` a meaning of its own."""
    for name in tree.find_all(nodes.Name):
        if name.name in FOLDED and name.ctx != "load":
            return True
    for imported in tree.find_all(nodes.FromImport):
        for entry in imported.names:
            alias = entry[1] if isinstance(entry, tuple) else entry
            if alias in FOLDED:
                return True
    return any(i.target in FOLDED for i in tree.find_all(nodes.Import))


class _Folder(NodeTransformer):
    def __init__(self, translations: Any) -> None:
        self.translations = translations

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        node = self.generic_visit(node)
        callee = node.node
        if not (
            isinstance(callee, nodes.Name)
            and callee.name in FOLDED
            and len(node.args) == 1
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
            and not node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return node
        try:
            text = self.translations.ugettext(node.args[0].value) % {}
        except (KeyError, ValueError, TypeError):
            return node  # raises when rendered, as before
        return nodes.MarkSafeIfAutoescape(nodes.Const(text), lineno=node.lineno)


def fold(tree: nodes.Template, environment: Any, locale: str) -> nodes.Template:
    """`tree` with its constant texts translated into `locale`."""
    if _shadows(tree):
        return tree
    folded = _Folder(i18n.translations(locale)).visit(tree)
    folded.set_environment(environment)
    return folded
