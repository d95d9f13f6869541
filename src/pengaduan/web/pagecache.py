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
`PENGADUAN_PAGE_CACHE=false` keeps nothing: every page is rendered (to measure the pages
uncached, or to rule the cache out).

Parts of a page that are the same for all staff with the same queue version (a unit's queue
list, its filter form) are kept once for all of them (`shared_key`): when a change makes every
officer of a unit reload their queue (live updates), the list is rendered once, not per officer.
"""

from __future__ import annotations

import html as html_text
import time
from typing import Any

from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from pengaduan import i18n
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
    if user is None or user.queue_version is None or not _enabled(request):
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


def shared_key(request: Request, name: str, *parts: Any) -> tuple[Any, ...] | None:
    """The key of a fragment that is the same for every staff user whose queues have the same
    version, given the same `parts` (which must name everything else it shows: unit, filters,
    the user when it is theirs), in this language and minute. None: not for this request."""
    user = request.scope.get("user")
    if user is None or user.queue_version is None or not _enabled(request):
        return None
    return (
        "shared",
        name,
        user.queue_version,
        i18n.get_locale(),
        int(_clock() // TIME_STEP_SECONDS),
        *parts,
    )


def _enabled(request: Request) -> bool:
    """Whether pages are kept at all (PENGADUAN_PAGE_CACHE)."""
    return request.app.state.settings.page_cache


def shared(key: tuple[Any, ...] | None) -> Markup | None:
    """A kept shared fragment, or None."""
    html = _PAGES.get(key) if key is not None else None
    return Markup(html) if html is not None else None


def keep_shared(request: Request, key: tuple[Any, ...] | None, html: str) -> Markup:
    """Keep a rendered shared fragment under `key` (never one that holds this visitor's CSRF
    token: it would go to others)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    if key is not None and not (token and token in html):
        _keep(key, html)
    return Markup(html)


def html_response(html: str) -> Response:
    return Response(content=html, media_type=MediaType.HTML, headers={"Vary": HX_VARY})


def cached(request: Request, key: tuple[Any, ...] | None) -> Response | None:
    """The kept page for `key`, with this visitor's CSRF token, or None."""
    if key is None:
        return None
    html = _PAGES.get(key)
    if html is None:
        return None
    token = ScopeState.from_scope(request.scope).csrf_token
    return html_response(html.replace(_TOKEN_MARK, token))


def render_html(request: Request, name: str, context: dict[str, Any]) -> str:
    """Template `name` rendered with the context Litestar's Template response gives it."""
    token = ScopeState.from_scope(request.scope).csrf_token or ""
    return request.app.template_engine.get_template(name).render(
        **context,
        request=request,
        csrf_input=(
            f'<input type="hidden" name="_csrf_token" value="{html_text.escape(token)}" />'
        ),
    )


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
    html = render_html(request, name, context)
    token = ScopeState.from_scope(request.scope).csrf_token
    _keep(key, html.replace(token, _TOKEN_MARK))
    return html_response(html)


def _keep(key: tuple[Any, ...], html: str) -> None:
    if len(_PAGES) >= MAX_ENTRIES:
        del _PAGES[next(iter(_PAGES))]
    _PAGES[key] = html


def clear() -> None:
    _PAGES.clear()


class ByVersion:
    """Values read after a staff queue version was read, kept under it (and a part key: what
    else they depend on), for the lists pages offer that change only when the version does.
    A value read after the session lookup is at least as new as the version it read, so it
    may serve every later request at that version. Bounded: the newest `versions` versions,
    at most `entries` values in all (past it, all go)."""

    def __init__(self, *, versions: int, entries: int) -> None:
        self.versions, self.entries = versions, entries
        self._at: dict[int, dict[Any, Any]] = {}

    def has(self, version: int | None) -> bool:
        """Whether anything is kept at `version`."""
        return version is not None and version in self._at

    def get(self, version: int | None, part: Any = ()) -> Any | None:
        kept = self._at.get(version) if version is not None else None
        return None if kept is None else kept.get(part)

    def keep(self, version: int | None, part: Any, value: Any) -> Any:
        """Keep `value` (returned) at `version` under `part`; nothing kept without a version."""
        if version is None:
            return value
        if sum(map(len, self._at.values())) >= self.entries:
            self._at.clear()
        kept = self._at.get(version)
        if kept is None:
            while len(self._at) >= self.versions:
                del self._at[min(self._at)]
            kept = self._at[version] = {}
        kept[part] = value
        return value

    def size(self) -> tuple[int, int]:
        """How many versions and values are kept (tests)."""
        return len(self._at), sum(map(len, self._at.values()))

    def clear(self) -> None:
        self._at.clear()
