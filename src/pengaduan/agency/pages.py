"""What the admin pages for units, categories and response templates share: who acts, saving a
form (shown again with its errors, or Post/Redirect/Get) and running a change of state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from litestar.response import Template

from pengaduan.audit import services as audit
from pengaduan.errors import NOT_FOUND, Checked, Refused
from pengaduan.web.input import FormInput, read_form
from pengaduan.web.kit import client_ip, redirect
from pengaduan.web.templating import render

ADMIN = {"access": "admin"}


def who(request: Request) -> dict[str, Any]:
    """The acting admin, as the services take it."""
    return {"admin_id": request.user.id, "ip": client_ip(request)}


def path(request: Request, name: str, **params: Any) -> str:
    """The path of the route called `name` (a path, not a URL: Location stays relative)."""
    return request.app.route_reverse(name, **params)


async def form_page(
    request: Request,
    page: str,
    *,
    subject: str,
    row: dict[str, Any] | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A new or edit form: the `row` edited (under the key `subject`, with its audit history
    when there is one), the values to show and what is wrong with them."""
    if row is not None:
        target_type = "response_template" if subject == "template" else subject
        context["audit"] = await audit.entries_for_target(target_type, row["id"])
    return render(
        request,
        page,
        {subject: row, "values": values, "errors": errors, **context},
        status_code=status_code,
    )


async def save(
    request: Request,
    data: Any,
    run: Callable[[dict[str, str]], Awaitable[Checked[Any]]],
    *,
    again: Callable[[Checked[Any] | FormInput], Awaitable[Template]],
    back: str,
    done: Callable[[dict[str, str]], str],
) -> Response:
    """Save a form with `run`: what cannot be saved is shown `again` (422), what was saved
    goes `back` with the message `done` says. Something no longer there is a 404."""
    form = read_form(data)
    try:
        result = form.refused() or await run(form.values)
    except Refused as refused:
        if refused.reason == NOT_FOUND:
            raise NotFoundException() from None
        raise
    if not result.ok:
        return await again(result)
    return redirect(request, back, done(result.values))


async def act(
    request: Request, back: str, action: Callable[[], Awaitable[Any]], done: str
) -> Response:
    """Run a change of state; success goes `back` with the message `done`, a refusal is the
    error page (a toast for htmx) with its status, something no longer there a 404."""
    try:
        await action()
    except Refused as refused:
        if refused.reason == NOT_FOUND:
            raise NotFoundException() from None
        raise
    return redirect(request, back, done)
