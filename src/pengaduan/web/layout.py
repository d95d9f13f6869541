"""The base layout's page header (brand, navigation, bell, account link, log-out and language
forms) kept rendered per visitor, per process.

Every page renders the same header for the same visitor, and it was a fifth of a logged-in
page's template time. What it shows is determined by:

- the session's user as the session lookup read it on this request (`CurrentUser`: name, role,
  unread count, ...; the whole record is the key, so anything the lookup reads that changes -
  a new name, a role, one more unread notification, a new queue version - is a new entry, read
  from the database after commit on any worker);
- the visitor's CSRF token (the log-out and language forms carry it; a public page carries
  none): for a signed-in visitor it is part of the key, so an entry is per session and never
  goes to another one. Visitors without a session get a new token until their browser keeps
  the cookie, so for them the header is kept once, with a placeholder where the token goes,
  and the token put back per request;
- the language, and whether the page is public (web.publiccache);
- the address of the page (the language switch comes back to it): not in the key, put in per
  request where the header holds a placeholder.

One-time messages (flashes) are not part of the header. Entries beyond `MAX_ENTRIES` push out
the least recently used.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from jinja2 import pass_context
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from pengaduan import i18n
from pengaduan.web.paths import page_address

# A header is about 2 KB: at most ~8 MB per process.
MAX_ENTRIES = 4096
# Where the page's own address goes; survives autoescaping as it is.
_ADDRESS_MARK = "\x00address\x00"
_TOKEN_MARK = "\x00csrf\x00"

_HEADERS: OrderedDict[tuple[Any, ...], str] = OrderedDict()


def _token(scope: dict[str, Any]) -> str | None:
    if scope.get("state", {}).get("public_page"):
        return None
    token = ScopeState.from_scope(scope).csrf_token  # type: ignore[arg-type]
    # Unset (Litestar's Empty) on an error page answered before the CSRF middleware ran.
    return token if isinstance(token, str) and token else None


def header_key(scope: dict[str, Any]) -> tuple[Any, ...]:
    """Everything the header of a page for this request shows, but the page's address (and
    for a visitor without a session, the token)."""
    user = scope.get("user")
    public = bool(scope.get("state", {}).get("public_page"))
    token = _token(scope)
    return (user, token if user is not None else bool(token), public, i18n.get_locale())


@pass_context
def page_header(context: Any, caller: Any) -> Markup:
    """`{% call(address) page_header() %}...{% endcall %}`: the header the call block renders,
    given `address` (the page's path and query, to be shown as the block's text escapes it),
    kept per `header_key`."""
    request = context["request"]
    key = header_key(request.scope)
    # Only a visitor without a session shares an entry: their token goes in per request.
    token = _token(request.scope) if request.scope.get("user") is None else None
    html = _HEADERS.get(key)
    if html is None:
        html = str(caller(_ADDRESS_MARK))
        if token:
            html = html.replace(token, _TOKEN_MARK)
        _HEADERS[key] = html
        while len(_HEADERS) > MAX_ENTRIES:
            _HEADERS.popitem(last=False)
    else:
        _HEADERS.move_to_end(key)
    address = page_address(request.scope)
    if token:
        html = html.replace(_TOKEN_MARK, token)
    # Last: nothing the visitor typed in the address is read as a placeholder.
    return Markup(html.replace(_ADDRESS_MARK, str(escape(address))))


def clear() -> None:
    _HEADERS.clear()


def kept() -> int:
    """How many headers this process keeps (tests)."""
    return len(_HEADERS)
