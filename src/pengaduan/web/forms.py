"""Form fields with their label, hint and error (`field`, `textarea`, `select`, `form_error`,
`form_key`): what templates import from templates/_forms.html, written in Python.

They were Jinja macros, and a macro call costs several microseconds (argument binding, a new
context frame, a buffer joined at the end) before it writes anything: a form page calls them
up to a dozen times per request. These give the same HTML, character for character (the
whitespace the macros left included), escaping every value as `{{ ... }}` did: `escape()`
keeps a Markup as it is (a label from `_()`) and escapes anything else.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from markupsafe import Markup

# The text markupsafe's escape gives, without a Markup object per value (web.output_escape).
from pengaduan.web.output_escape import escape_output as escape


def _error(raw: str, errors: Any) -> tuple[Any, str]:
    """The field's error (falsy when none) and its paragraph."""
    error = errors.get(raw)
    if not error:
        return error, "\n"
    return error, f'\n<p class="error" id="e-{escape(raw)}">{escape(errors[raw])}</p>'


def field(
    name: str,
    label: Any,
    values: Any,
    errors: Any,
    type: str = "text",  # the macro's parameter name, given by keyword
    hint: Any = "",
    autocomplete: Any = "",
    required: Any = False,
    inputmode: Any = "",
    maxlength: Any = 0,
) -> Markup:
    raw, name = name, escape(name)
    error, error_html = _error(raw, errors)
    out = [f'<div class="field">\n  <label for="f-{name}">{escape(label)}']
    if hint:
        out.append(f' <span class="hint" id="h-{name}">{escape(hint)}</span>')
    out.append(f'</label>\n  <input id="f-{name}" name="{name}" type="{escape(type)}"')
    if type != "password":
        out.append(f' value="{escape(values.get(raw) or "")}"')
    if autocomplete:
        out.append(f' autocomplete="{escape(autocomplete)}"')
    if inputmode:
        out.append(f' inputmode="{escape(inputmode)}"')
    if maxlength:
        out.append(f' maxlength="{escape(maxlength)}"')
    if required:
        out.append(" required")
    if error:
        out.append(f' aria-invalid="true" aria-describedby="e-{name}"')
    elif hint:
        out.append(f' aria-describedby="h-{name}"')
    out.append(">")
    out.append(error_html)
    out.append("</div>\n")
    return Markup("".join(out))


def textarea(
    name: str,
    label: Any,
    values: Any,
    errors: Any,
    hint: Any = "",
    required: Any = False,
    rows: Any = 3,
) -> Markup:
    raw, name = name, escape(name)
    error, error_html = _error(raw, errors)
    out = [f'<div class="field">\n  <label for="f-{name}">{escape(label)}']
    if hint:
        out.append(f' <span class="hint">{escape(hint)}</span>')
    out.append(f'</label>\n  <textarea id="f-{name}" name="{name}" rows="{escape(rows)}"')
    if required:
        out.append(" required")
    if error:
        out.append(f' aria-invalid="true" aria-describedby="e-{name}"')
    out.append(f">{escape(values.get(raw) or '')}</textarea>")
    out.append(error_html)
    out.append("</div>\n")
    return Markup("".join(out))


def select(
    name: str, label: Any, values: Any, errors: Any, options: Any, blank: Any = ""
) -> Markup:
    raw, name = name, escape(name)
    error, error_html = _error(raw, errors)
    out = [
        f'<div class="field">\n  <label for="f-{name}">{escape(label)}</label>\n'
        f'  <select id="f-{name}" name="{name}"'
    ]
    if error:
        out.append(f' aria-invalid="true" aria-describedby="e-{name}"')
    out.append(">\n")
    if blank:
        out.append(f'<option value="">{escape(blank)}</option>')
    # Jinja's `| string` comparison: the chosen value and each option's as text.
    chosen = str(values.get(raw) or "")
    for value, text in options:
        selected = " selected" if chosen == str(value) else ""
        out.append(f'    <option value="{escape(value)}"{selected}>{escape(text)}</option>\n')
    out.append("  </select>")
    out.append(error_html)
    out.append("</div>\n")
    return Markup("".join(out))


def form_error(errors: Any) -> Markup:
    if errors.get("form"):
        return Markup(
            f'<p class="alert bad" role="alert" id="form-error">{escape(errors["form"])}</p>'
        )
    return Markup("")


@pass_context
def form_key(context: Any) -> Markup:
    """A fresh idempotency key: a form that creates something, sent twice, stores one
    (complaints.repeats). The key comes from `new_form_key` as the calling template sees it
    (the global; a render may give its own, as handling keeps a region with a placeholder)."""
    key = context.resolve("new_form_key")()
    return Markup(f'<input type="hidden" name="idempotency_key" value="{escape(key)}">')


# The template globals templates/_forms.html gives out under the macros' names.
GLOBALS = {
    "form_field": field,
    "form_textarea": textarea,
    "form_select": select,
    "form_error_box": form_error,
    "form_idempotency_key": form_key,
}
