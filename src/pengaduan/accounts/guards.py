"""Access control: every route declares who may use it (`opt={"access": ...}`), checked here.

Levels:
- "anyone":  everybody, logged in or not
- "guest":   only people who are not logged in (login, registration); others go to their page
- "user":    any logged-in user
- "citizen", "officer", "admin": that role only
- "staff":   officers and admins
- "signed":  machine clients that sign each request (outside agencies, handover.routes): no
             session and no CSRF token; the handler checks the signature and answers 401
- "keyed":   machine clients that give an API key with each request (Open311 filing,
             open311.routes): no session and no CSRF token; the handler checks the key (403)

A route without a declared level is closed to everybody, so a forgotten declaration fails
safe (and the route table test names it).
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

ACCESS_LEVELS = (
    "anyone",
    "guest",
    "user",
    "citizen",
    "officer",
    "admin",
    "staff",
    "signed",
    "keyed",
)
ROLES_FOR = {
    "user": {"citizen", "officer", "admin"},
    "citizen": {"citizen"},
    "officer": {"officer"},
    "admin": {"admin"},
    "staff": {"officer", "admin"},
}
LANDING = {"citizen": "/akun", "officer": "/petugas", "admin": "/admin/statistik"}


class LoginRequired(NotAuthorizedException):
    """Nobody is logged in; the person is sent to the login page."""


class AlreadyLoggedIn(PermissionDeniedException):
    """A page for guests was asked for by a logged-in user; they go to their own page."""

    def __init__(self, landing: str) -> None:
        super().__init__(detail="already logged in")
        self.landing = landing


def landing_for(role: str) -> str:
    return LANDING.get(role, "/")


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    # async although it never waits: Litestar runs a plain function guard in a thread, a
    # round trip through the thread pool on every request.
    access = handler.opt.get("access")
    if access not in ACCESS_LEVELS:
        raise PermissionDeniedException(detail=f"route {handler} declares no access level")
    if access in ("anyone", "signed", "keyed"):
        return
    user = connection.scope.get("user")
    if access == "guest":
        if user is not None:
            raise AlreadyLoggedIn(landing_for(user.role))
        return
    if user is None:
        raise LoginRequired()
    if user.role not in ROLES_FOR[access]:
        raise PermissionDeniedException()
