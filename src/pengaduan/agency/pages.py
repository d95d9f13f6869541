"""What the admin pages for units, categories and response templates share: who acts, and the
pages every one of them has (new, create, edit, save, deactivate, reactivate), made from a
`Subject` that says what differs. A refusal is the error page (a toast for htmx) with its
status; something no longer there is a 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.response import Template

from pengaduan.audit import services as audit
from pengaduan.errors import NOT_FOUND, Checked, Refused
from pengaduan.web.input import Form, read_form
from pengaduan.web.kit import client_ip, redirect
from pengaduan.web.templating import render

ADMIN = {"access": "admin"}


def who(request: Request) -> dict[str, Any]:
    """The acting admin, as the services take it."""
    return {"admin_id": request.user.id, "ip": client_ip(request)}


def path(request: Request, name: str, **params: Any) -> str:
    """The path of the route called `name` (a path, not a URL: Location stays relative)."""
    return request.app.route_reverse(name, **params)


async def _or_not_found(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except Refused as refused:
        if refused.reason == NOT_FOUND:
            raise NotFoundException() from None
        raise


@dataclass(frozen=True)
class Subject:
    """One kind of thing the admin edits, and what its pages need."""

    name: str  # routes are "agency:<name>", "agency:<name>.new", ...
    path: str  # of its list; "<path>/baru" is the new one, "<path>/{<param>:int}" each one
    param: str  # the path parameter of one
    key: str  # under which the form page finds the one edited
    target_type: str  # in the audit log
    page: str  # the form's template
    detail: Callable[[int], Awaitable[dict[str, Any] | None]]
    form_values: Callable[[dict[str, Any]], dict[str, str]]
    create: Callable[[Request, dict[str, str]], Awaitable[Checked[Any]]]
    update: Callable[[int, dict[str, str], dict[str, Any]], Awaitable[Checked[Any]]]
    set_active: Callable[..., Awaitable[None]]  # (id, active, admin_id=, ip=)
    created: Callable[[dict[str, str]], str]  # the messages, translated when shown
    saved: Callable[[dict[str, str]], str]
    deactivated: Callable[[], str]
    reactivated: Callable[[], str]
    # What else the form shows (choices), given the one edited (None: a new one).
    extra: Callable[[dict[str, Any] | None], Awaitable[dict[str, Any]]] | None = None
    # The values a new one starts with.
    new_values: Callable[[Request], dict[str, str]] = lambda request: {}

    def one(self, request: Request) -> str:
        """The path of the one the request is about."""
        return path(request, f"agency:{self.name}.detail", **{self.param: self._id(request)})

    def _id(self, request: Request) -> int:
        # Read from the path rather than declared: the handlers are made here for any subject,
        # so they cannot name its parameter (web.input's guard bounds it as every path integer).
        return int(request.path_params[self.param])

    async def existing(self, row_id: int) -> dict[str, Any]:
        row = await self.detail(row_id)
        if row is None:
            raise NotFoundException()
        return row

    async def form(
        self,
        request: Request,
        row: dict[str, Any] | None,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        """The new or edit form: the one edited (with its audit history), the values to show
        and what is wrong with them."""
        context = await self.extra(row) if self.extra else {}
        if row is not None:
            context["audit"] = await audit.entries_for_target(self.target_type, row["id"])
        context.update({self.key: row, "values": values, "errors": errors or {}})
        return render(request, self.page, context, status_code=status_code)

    async def save(
        self,
        request: Request,
        data: Any,
        run: Callable[[dict[str, str]], Awaitable[Checked[Any]]],
        done: Callable[[dict[str, str]], str],
    ) -> Response:
        """Save the form with `run`: what cannot be saved is shown again (422), what was
        saved goes to the list with the message `done` says."""
        form = read_form(data)
        result = form.refused() or await _or_not_found(run(form.values))
        if not result.ok:
            row = await self.existing(self._id(request)) if self._has_id(request) else None
            return await self.form(request, row, result.values, result.errors, 422)
        return redirect(request, path(request, f"agency:{self.name}"), done(result.values))

    def _has_id(self, request: Request) -> bool:
        return self.param in request.path_params

    async def act(self, request: Request, back: str, action: Awaitable[Any], done: str) -> Response:
        """Run a change of state; success goes `back` with the message `done`."""
        await _or_not_found(action)
        return redirect(request, back, done)

    def routes(self) -> list[HTTPRouteHandler]:
        """New, create, edit, save, deactivate and reactivate."""
        one = f"{self.path}/{{{self.param}:int}}"
        name = f"agency:{self.name}"

        async def new_page(request: Request) -> Template:
            return await self.form(request, None, self.new_values(request))

        async def create(request: Request, data: Form) -> Response:
            return await self.save(
                request, data, lambda values: self.create(request, values), self.created
            )

        async def detail(request: Request) -> Template:
            row = await self.existing(self._id(request))
            return await self.form(request, row, self.form_values(row))

        async def update(request: Request, data: Form) -> Response:
            row_id = self._id(request)
            return await self.save(
                request,
                data,
                lambda values: self.update(row_id, values, who(request)),
                self.saved,
            )

        def activation(active: bool, message: Callable[[], str]) -> Callable[..., Any]:
            async def handler(request: Request) -> Response:
                change = self.set_active(self._id(request), active, **who(request))
                return await self.act(request, self.one(request), change, message())

            return handler

        made = [
            (get, f"{self.path}/baru", "new", new_page),
            (post, f"{self.path}/baru", "create", create),
            (get, one, "detail", detail),
            (post, one, "update", update),
            (post, f"{one}/nonaktifkan", "deactivate", activation(False, self.deactivated)),
            (post, f"{one}/aktifkan", "reactivate", activation(True, self.reactivated)),
        ]
        routes = []
        for method, route_path, action, handler in made:
            # Distinct function names: Litestar names each handler's operation after them.
            handler.__name__ = handler.__qualname__ = f"{self.name}_{action}"
            routes.append(method(route_path, name=f"{name}.{action}", opt=ADMIN)(handler))
        return routes
