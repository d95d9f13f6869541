"""How Litestar hands the app's dependencies (web.kit.DEPENDENCIES) to handlers."""

from __future__ import annotations

from litestar import Litestar
from litestar.routes import HTTPRoute


def test_no_handler_resolves_dependencies_concurrently(app: Litestar) -> None:
    """Litestar resolves dependencies of one level concurrently, in an anyio task group per
    request (two tasks and a group for `settings` and `storage`, a tenth of a submission's
    Python calls): every handler's dependencies come one level at a time instead."""
    crowded = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, (handler, kwargs_model) in route.route_handler_map.items():
            if any(len(batch) > 1 for batch in kwargs_model.dependency_batches):
                crowded.append(f"{method} {route.path} ({handler.handler_name})")
    assert not crowded, crowded
