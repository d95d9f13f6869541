"""Public pages (home, archive, transparency, tracking form) kept rendered per process and
answered with validators a browser or a shared proxy cache can use.

The public version is the sum of all `queue_versions` rows: database triggers raise them in the
same transaction as any change to a complaint, a category or a unit (`handling.tables`), so a
public page rendered for the same address, language, kind of request and version is the same
page, on any worker, read after the change's commit (one small query per request instead of
the counts, searches and statistics behind the page). What changes with time alone (periods
such as "last 30 days", ages) is keyed by the minute, as in `web.pagecache`.

Who gets what:
- Signed-in visitors, and anyone with a one-time message (flash) to show: rendered for them,
  `Cache-Control: private, no-cache` - never a shared answer. What the page shows is public and
  the same for all of them, so its context (the counts, searches and statistics) is kept under
  the same key as the page and only the rendering is theirs (the header names them): those
  figures read per visit were 19 ms of a signed-in home page at a million complaints.
- Anonymous visitors on a page without a form that posts (home, archive, transparency): the
  page is rendered without any CSRF token (the language switch is a GET form for them, htmx
  requests take the token from the cookie, static/js/app.js) and without setting the CSRF
  cookie, so the answer is the same for every such visitor: `Cache-Control: public`, with an
  ETag; a proxy may keep it for `MAX_AGE` seconds. The CSRF cookie is set by the first page
  with a form that posts (login, registration, the tracking form...).
- The tracking form (`/lacak`) posts, so it carries the visitor's token: it is kept with a
  placeholder (the token put back per request, like `web.pagecache`) and stays private; its
  ETag includes a digest of the token.

Conditional requests (`If-None-Match`) with the current ETag get a 304 without rendering.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import MediaType, Request, Response
from litestar.utils.scope.state import ScopeState

from pengaduan import db, i18n
from pengaduan.web.pagecache import render_html
from pengaduan.web.templating import is_partial

# Pages are 10-40 KB: at most ~20 MB per process.
MAX_ENTRIES = 512
TIME_STEP_SECONDS = 60
# How long a shared cache may keep a public answer without asking again.
MAX_AGE = 10
# What a public answer depends on besides its address: the fragment-or-page choice (htmx) and
# the language (the `lang` cookie, else Accept-Language).
PUBLIC_VARY = "HX-Request, HX-Boosted, HX-History-Restore-Request, Cookie, Accept-Language"
PRIVATE = "private, no-cache"
_TOKEN_MARK = "\x00csrf\x00"
_VERSION = "SELECT coalesce(sum(version), 0)::bigint AS version FROM queue_versions"

V = TypeVar("V")

_PAGES: OrderedDict[tuple[Any, ...], tuple[str, int]] = OrderedDict()
# The contexts of pages rendered per visitor (signed in, or a flash to show), by the same key.
_CONTEXTS: OrderedDict[tuple[Any, ...], tuple[dict[str, Any], int]] = OrderedDict()
# Pages being built: the key's first miss builds, later misses wait for it (`_built_once`).
_BUILDING: dict[tuple[Any, ...], asyncio.Future[tuple[str, int]]] = {}
_clock = time.time

# What a route gives to be rendered: the context and the status code.
Build = Callable[[], Awaitable[tuple[dict[str, Any], int]]]


# The version query in flight in this process, and the one that will follow it.
_running: asyncio.Future[int] | None = None
_waiting: asyncio.Future[int] | None = None


async def public_version() -> int:
    """Raised by the database whenever anything a public page shows may have changed.

    Requests share the query: a request joins one that starts after it arrived (the query's
    snapshot then includes every commit the visitor could have seen), so under a crowd a
    worker sends about one query per round trip instead of one per request, and a writer's
    next page is still fresh. One in flight that started earlier is not joined: the request
    waits for the next, which starts as soon as it ends."""
    global _running, _waiting
    loop = asyncio.get_running_loop()
    if _running is not None and _running.get_loop() is not loop:
        _running = _waiting = None  # left by another event loop (tests)
    if _running is None:
        _running = _start()
        return await asyncio.shield(_running)
    if _waiting is None:
        _waiting = loop.create_future()
    return await asyncio.shield(_waiting)


async def _read_version() -> int:
    rows = await db.fetch(_VERSION)
    return int(rows[0]["version"])


def _start() -> asyncio.Future[int]:
    task = asyncio.ensure_future(_read_version())
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Future[int]) -> None:
    global _running, _waiting
    if _running is not task:
        return
    waiting, _waiting = _waiting, None
    _running = None
    if waiting is not None:
        _running = _start()
        _running.add_done_callback(lambda done: _pass_on(done, waiting))


def _pass_on(done: asyncio.Future[int], to: asyncio.Future[int]) -> None:
    if to.done():
        return
    if done.cancelled():
        to.cancel()
    elif done.exception() is not None:
        to.set_exception(done.exception())  # type: ignore[arg-type]
    else:
        to.set_result(done.result())


def is_public_request(request: Request) -> bool:
    """Whether this request may get the shared, token-free answer: nobody signed in, no
    one-time message to show, a safe method."""
    if request.scope.get("user") is not None:
        return False
    if request.scope.get("state", {}).get("flashes"):
        return False
    return request.method in ("GET", "HEAD")


def _etag(key: tuple[Any, ...], token: str | None) -> str:
    digest = hashlib.sha256(repr((key, token)).encode()).hexdigest()[:24]
    return f'"p{key[4]}-{digest}"'


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in wanted or etag in wanted


async def respond(
    request: Request,
    page: str,
    build: Build,
    *,
    fragment: str | None = None,
    shared: bool = True,
    headers: dict[str, str] | None = None,
) -> Response:
    """Page `page` (or, for htmx, `fragment`) with the context `build` gives, kept per public
    version for anonymous visitors; `shared`: the page has no form that posts, so it is given
    without a token and marked public."""
    name = fragment if fragment and is_partial(request) else page
    extra = dict(headers or {})
    if not is_public_request(request):
        context, status = await _context(await _key(request, name, shared), build)
        html = render_html(request, name, context)
        return _response(html, status, {**extra, "Cache-Control": PRIVATE, "Vary": PUBLIC_VARY})
    scope_state = request.scope.setdefault("state", {})
    if shared:
        # Read by base.html: no token, the language switch as a GET form.
        scope_state["public_page"] = True
    token = None if shared else ScopeState.from_scope(request.scope).csrf_token
    key = await _key(request, name, shared)
    etag = _etag(key, token)
    cache_control = f"public, max-age={MAX_AGE}" if shared else PRIVATE
    common = {**extra, "Cache-Control": cache_control, "Vary": PUBLIC_VARY, "ETag": etag}
    kept = _PAGES.get(key)
    if kept is not None and kept[1] == 200 and _not_modified(request, etag):
        return Response(content=b"", status_code=304, headers=common)
    if kept is None:
        kept = await _built_once(key, request, name, build, token)
    else:
        _PAGES.move_to_end(key)
    html, status = kept
    if status == 200 and _not_modified(request, etag):
        return Response(content=b"", status_code=304, headers=common)
    if token:
        html = html.replace(_TOKEN_MARK, token)
    return _response(html, status, common)


async def _key(request: Request, name: str, shared: bool) -> tuple[Any, ...]:
    """What the page `name` at this request's address is a function of."""
    return (
        name,
        request.scope["path"],
        request.scope.get("query_string", b""),
        i18n.get_locale(),
        await public_version(),
        int(_clock() // TIME_STEP_SECONDS),
        shared,
    )


async def _context(key: tuple[Any, ...], build: Build) -> tuple[dict[str, Any], int]:
    """The context `build` gives for `key`, built once per key (templates only read it)."""
    kept = _CONTEXTS.get(key)
    if kept is None:
        kept = _kept_in(_CONTEXTS, key, await build())
    else:
        _CONTEXTS.move_to_end(key)
    return kept


async def _built_once(
    key: tuple[Any, ...], request: Request, name: str, build: Build, token: str | None
) -> tuple[str, int]:
    """The page of `key`, built by the first request that misses it; the requests that miss it
    meanwhile wait for that one instead of building it too (a flash crowd on a cold cache, or
    right after a version change, would otherwise run the same queries once per visitor: at a
    million complaints the transparency figures take half a second, and a hundred of them at
    once never finished)."""
    pending = _BUILDING.get(key)
    if pending is not None:
        try:
            return await asyncio.shield(pending)
        except asyncio.CancelledError:
            if not pending.cancelled():
                raise  # this request was cancelled (the visitor left)
            # The builder's request was cancelled: build it here.
        return await _built_once(key, request, name, build, token)
    pending = asyncio.get_running_loop().create_future()
    _BUILDING[key] = pending
    try:
        context, status = await build()
        html = render_html(request, name, context)
        kept = (html.replace(token, _TOKEN_MARK) if token else html, status)
        _keep(key, kept)
        pending.set_result(kept)
        return kept
    except asyncio.CancelledError:
        pending.cancel()
        raise
    except Exception as error:
        pending.set_exception(error)
        pending.exception()  # retrieved: no "never retrieved" warning when nobody waited
        raise
    finally:
        del _BUILDING[key]


def _response(html: str, status: int, headers: dict[str, str]) -> Response:
    return Response(content=html, media_type=MediaType.HTML, status_code=status, headers=headers)


def _keep(key: tuple[Any, ...], value: tuple[str, int]) -> None:
    _kept_in(_PAGES, key, value)


def _kept_in(store: OrderedDict[tuple[Any, ...], V], key: tuple[Any, ...], value: V) -> V:
    """Keep `value` (returned) in `store`, the oldest dropped past MAX_ENTRIES."""
    store[key] = value
    while len(store) > MAX_ENTRIES:
        store.popitem(last=False)
    return value


def clear() -> None:
    _PAGES.clear()
    _CONTEXTS.clear()
