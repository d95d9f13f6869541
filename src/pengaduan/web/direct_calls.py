"""Template calls of the environment's plain functions compiled as direct Python calls.

Jinja compiles every call in a template, `{{ status_label(c.status) }}` as much as a macro,
to `context.call(f, ...)`, which asks at run time whether `f` wants the context, the eval
context or the environment passed first, and inside a loop or block also builds and unpacks
keyword arguments for that: measured about 1.5 µs per call, and a list page makes dozens.
For a global function of the environment that is known when the template is compiled, the
answer is known then too:

- one that takes nothing extra (no `jinja_pass_arg`, on itself or on its `__call__`) is
  called directly, `f(...)`;
- one that takes the environment (`@pass_environment`) is called as `f(environment, ...)`;
- one that takes the context and is marked `reads_render_context` (it reads only what the
  template was rendered with, such as `request`, never a loop's or block's own variables, for
  which `context.call` derives a new context) is called as `f(context, ...)`;
- everything else (other `@pass_context` functions, macros, methods, anything the template
  names itself) stays a `context.call`.

A template that binds the name itself (`set`, `for`, a macro or its parameter, an import)
keeps `context.call` for it. Not covered: a render context that passes a variable under a
global's name with another calling convention (nothing does); and a plain function raising
StopIteration, which `context.call` turned into an undefined value, now raises as it is.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.utils import _PassArg


def reads_render_context(function: Any) -> Any:
    """Marks a `@pass_context` global that reads only the variables the template was rendered
    with (see the module's docstring)."""
    function.reads_render_context = True
    return function


def _convention(obj: Any) -> str | None:
    """The calling convention for a direct call: "plain", "environment", "context", or None
    (leave it to context.call)."""
    if not callable(obj) or isinstance(obj, type):
        return None
    # context.call looks at a callable object's __call__ too.
    if _PassArg.from_obj(type(obj).__call__) is not None:
        return None
    passed = _PassArg.from_obj(obj)
    if passed is None:
        return "plain"
    if passed is _PassArg.environment:
        return "environment"
    if passed is _PassArg.context and getattr(obj, "reads_render_context", False):
        return "context"
    return None


def _bound_names(tree: nodes.Template) -> set[str]:
    """Every name the template gives a value of its own."""
    names = {n.name for n in tree.find_all(nodes.Name) if n.ctx != "load"}
    names.update(m.name for m in tree.find_all(nodes.Macro))
    for imported in tree.find_all(nodes.FromImport):
        for entry in imported.names:
            names.add(entry[1] if isinstance(entry, tuple) else entry)
    names.update(i.target for i in tree.find_all(nodes.Import))
    return names


class DirectCallGenerator(CodeGenerator):
    _bound: set[str] = set()

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self._bound = _bound_names(node)
        super().visit_Template(node, frame)

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        callee = node.node
        convention = None
        if (
            not forward_caller
            and not self.environment.is_async
            and not self.environment.sandboxed
            and isinstance(callee, nodes.Name)
            and callee.name not in self._bound
            and callee.name in self.environment.globals
        ):
            convention = _convention(self.environment.globals[callee.name])
        if convention is None:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self.visit(callee, frame)
        # `signature` writes each argument after a comma: "f(*()", "f(environment" or
        # "f(context" first.
        self.write("(*()" if convention == "plain" else f"({convention}")
        self.signature(node, frame)
        self.write(")")
