"""What route handlers share: who is asking from where, answers that redirect, and the app's
settings and storage as Litestar dependencies (declare `settings: Settings` or
`storage: Storage` on a handler; services receive them as arguments, never look them up)."""

from __future__ import annotations

import json

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.response import Redirect

from pengaduan.complaints.storage import Storage
from pengaduan.settings import Settings
from pengaduan.web.flash import flash_cookie
from pengaduan.web.templating import HX_VARY

# Handler parameters filled by DEPENDENCIES below: `settings: SettingsDep`, `storage: StorageDep`.
# Not validated (SkipValidation): the app itself provides them. Litestar would check each
# injected storage against the Storage protocol, which on Python 3.11 walks the protocol's
# classes on every isinstance (measured: about 25 us of every submission).
SettingsDep = NamedDependency[SkipValidation[Settings]]
StorageDep = NamedDependency[SkipValidation[Storage]]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def settings_of(request: Request) -> Settings:
    """The app's settings, for helpers that have the request but not the dependency."""
    return request.app.state.settings


def redirect(
    request: Request, path: str, message: str | None = None, level: str = "ok"
) -> Redirect:
    """Post/Redirect/Get: a 303 to `path`, with a flash `message` shown there if given. htmx
    follows it and swaps the page it lands on, so one answer serves both."""
    cookies = [flash_cookie(request, message, level)] if message else []
    return Redirect(path=path, status_code=303, cookies=cookies, headers={"Vary": HX_VARY})


def toast(message: str, level: str = "ok", *, title: str | None = None) -> dict[str, str]:
    """Headers that make the page show a toast (static/js/app.js listens for pengaduan:toast).

    Written by hand, not with Litestar's HTMX trigger helper: that encodes the JSON as UTF-8,
    and a header value must be Latin-1, so a message with, say, an em dash would fail to send;
    json.dumps escapes every non-ASCII character."""
    event: dict[str, str] = {"level": level, "message": message}
    if title is not None:
        event = {"level": level, "title": title, "message": message}
    return {"HX-Trigger": json.dumps({"pengaduan:toast": event})}


def _settings(state: State) -> Settings:
    return state.settings


def _storage(state: State, settings: SettingsDep) -> Storage:
    from pengaduan.complaints.evidence import storage_for

    # Tests may put another storage on the app's state. Taking `settings` (not reading it off
    # the state) orders the two: Litestar resolves dependencies of one level concurrently, in
    # an anyio task group per request (two tasks), which showed in the submission's profile.
    return state.get("storage") or storage_for(settings)


DEPENDENCIES = {
    "settings": Provide(_settings, sync_to_thread=False),
    "storage": Provide(_storage, sync_to_thread=False),
}
