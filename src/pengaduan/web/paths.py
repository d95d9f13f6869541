"""Where the machine clients' JSON API lives: the session and CSRF middlewares and the error
handlers tell its requests apart by this prefix (no cookies there, bearer tokens, JSON errors)."""

from __future__ import annotations

API_PATH = "/api/v1"


def is_api(path: str) -> bool:
    """Whether a request path is the JSON API's (the prefix itself or below it)."""
    return path == API_PATH or path.startswith(API_PATH + "/")
