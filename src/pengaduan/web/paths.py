"""Where the machine clients' JSON API lives: the session and CSRF middlewares and the error
handlers tell its requests apart by this prefix (no cookies there, bearer tokens, JSON errors).
And the address of the page asked for (`page_address`)."""

from __future__ import annotations

from typing import Any

API_PATH = "/api/v1"


def is_api(path: str) -> bool:
    """Whether a request path is the JSON API's (the prefix itself or below it)."""
    return path == API_PATH or path.startswith(API_PATH + "/")


def page_address(scope: dict[str, Any]) -> str:
    """The page's path and query, as `request.url` gives them, from the scope: building
    Litestar's URL for it (the host found among the headers, the whole address joined and
    split again) showed in profiles of every page. The query string is ASCII by now
    (web.input's QueryStringMiddleware)."""
    path = scope.get("root_path", "") + scope["path"]
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path
