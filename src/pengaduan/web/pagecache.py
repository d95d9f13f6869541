"""Staff pages kept rendered in each process, keyed by everything they are made of.

The officers' queue is their most requested page, and its HTML changes only when what it shows
changes. The session lookup every request makes anyway also reads the staff user's queue
version (`accounts.sessions`: a sum of counters that database triggers raise in the same
transaction as any change to a complaint of their units, or to categories, units or staff;
`handling.tables`). So a page rendered for the same user, language, address, kind of request
and version is the same page, read after the change's commit, on any worker:

- no staleness from other workers or hosts (the version comes from the database, not from a
  message that may arrive late), and a writer's own next page is always fresh;
- what changes with time alone (a row's age, the overdue flag) is keyed by the minute;
- the CSRF token differs per visitor: it is stored as a placeholder and put back per request;
- one-time messages (flashes) are never cached: such a page is rendered as usual.

A page may be cached only if its key determines it: it must show nothing that changes without
raising a queue version (or the minute). Entries beyond `MAX_ENTRIES` push out the oldest.
"""

from __future__ import annotations

import html as html_text
import time
from typing import Any

from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState

from pengaduan.web import i18n
from pengaduan.web.templating import HX_VARY, is_partial, render

# A queue page is about 20 KB: at most ~10 MB per process.
MAX_ENTRIES = 512
# What only time changes (a row's age, the overdue flag) is at most this late.
TIME_STEP_SECONDS = 60
_TOKEN_MARK = "\x00csrf\x00"

_PAGES: dict[tuple[Any, ...], str] = {}
_clock = time.time


def page_key(request: Request, name: str) -> tuple[Any, ...] | None:
    """The key of page `name` as this request would get it, or None when it must be rendered
    (not staff, a one-time message to show, no CSRF token to put back)."""
    user = request.scope.get("user")
    if user is None or user.queue_version is None:
        return None
    if request.scope.get("state", {}).get("flashes"):
        return None
    if not ScopeState.from_scope(request.scope).csrf_token:
        return None
    return (
        name,
        user.id,
        user.role,
        user.unit_id,
        user.full_name,
        user.queue_version,
        user.unread_notifications,  # the bell in the header
        i18n.get_locale(),
        is_partial(request),
        request.scope["path"],
        request.scope.get("query_string", b""),
        int(_clock() // TIME_STEP_SECONDS),
    )


def _response(html: str) -> Response:
    return Response(content=html, media_type=MediaType.HTML, headers={"Vary": HX_VARY})


def cached(request: Request, key: tuple[Any, ...] | None) -> Response | None:
    """The kept page for `key`, with this visitor's CSRF token, or None."""
    if key is None:
        return None
    html = _PAGES.get(key)
    if html is None:
        return None
    token = ScopeState.from_scope(request.scope).csrf_token
    return _response(html.replace(_TOKEN_MARK, token))


def render_and_keep(
    request: Request,
    key: tuple[Any, ...] | None,
    page: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
) -> Response:
    """Render like `templating.render` and, when `key` allows, keep the result under it."""
    if key is None:
        return render(request, page, context, fragment=fragment)
    name = fragment if fragment and is_partial(request) else page
    token = ScopeState.from_scope(request.scope).csrf_token
    engine = request.app.template_engine
    # The context Litestar's Template response gives a template.
    html = engine.get_template(name).render(
        **context,
        request=request,
        csrf_input=(
            f'<input type="hidden" name="_csrf_token" value="{html_text.escape(token)}" />'
        ),
    )
    if len(_PAGES) >= MAX_ENTRIES:
        del _PAGES[next(iter(_PAGES))]
    _PAGES[key] = html.replace(token, _TOKEN_MARK)
    return _response(html)


def clear() -> None:
    _PAGES.clear()
