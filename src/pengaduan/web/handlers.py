"""Shortcuts through Litestar's per-request handler machinery, set up once the app is built.

Litestar runs each guard with `copy(handler)` (so that a guard cannot change the route handler
for later requests): a copy of a route handler object, all its resolved fields, measured at
about 11 us on every request. The app's guard (app.guard: accounts.guards, web.input) only
reads the handler (`opt`, the kind of its `data`), so each route handler here runs its guards
with itself: its class becomes a subclass of its own (same slots) that says so.
"""

from __future__ import annotations

import warnings
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection


async def _authorize_connection(self: Any, connection: ASGIConnection) -> None:
    # Litestar's BaseRouteHandler.authorize_connection, less the copy.
    for guard in self.resolve_guards():
        await guard(connection, self)


_SUBCLASSES: dict[type, type] = {}


def _guarding_itself(cls: type) -> type:
    subclass = _SUBCLASSES.get(cls)
    if subclass is None:
        namespace = {"__slots__": (), "authorize_connection": _authorize_connection}
        with warnings.catch_warnings():
            # Litestar 2 warns of subclasses of its `get`, `post`, ... classes, which 3.0
            # replaces with functions: these are never used to declare a route.
            warnings.simplefilter("ignore", DeprecationWarning)
            subclass = _SUBCLASSES[cls] = type(cls.__name__, (cls,), namespace)
        subclass.__module__ = cls.__module__
        subclass.__qualname__ = cls.__qualname__
    return subclass


def guards_without_copies(app: Litestar) -> None:
    """Every HTTP route handler of `app` runs its guards without copying itself."""
    for route in app.routes:
        for handler, _parameters in getattr(route, "route_handler_map", {}).values():
            if type(handler).authorize_connection is not _authorize_connection:
                handler.__class__ = _guarding_itself(type(handler))
