"""The live event stream (GET /langsung): one server-sent event stream per open page.

Each event names what changed (`complaint`, `queue`, `notification`, `stats`, `resync`) with
an id at most; static/js/live.js turns it into a DOM event and re-fetches what the page shows.
Comments every HEARTBEAT seconds keep proxies from closing an idle stream; the session is
checked again every SESSION_CHECK seconds: a stream whose user logged out ends, and one whose
user got another role or unit closes so that the browser reconnects to the right channels.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Stream

from pengaduan.accounts import sessions
from pengaduan.i18n import _
from pengaduan.live import rules
from pengaduan.live.channels import RESYNC, LiveChannels, LiveSubscriber
from pengaduan.settings import Settings
from pengaduan.web.errors import user_error
from pengaduan.web.values import record_id

HEARTBEAT = 20.0
SESSION_CHECK = 30.0
# How long a browser waits before it reconnects a dropped stream (milliseconds).
RETRY_MS = 3000

STREAM_HEADERS = {
    "Cache-Control": "no-store",
    # nginx and friends: pass each event on as it comes.
    "X-Accel-Buffering": "no",
}


def sse(kind: str, data: dict[str, Any] | None = None) -> bytes:
    return _encoded(kind, data.get("id") if data else None)


@lru_cache(maxsize=1024)
def _encoded(kind: str, complaint_id: int | None) -> bytes:
    # The same few bytes go to every stream told of an event: built once per worker.
    data = {} if complaint_id is None else {"id": complaint_id}
    return f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _stream(
    channels_plugin: LiveChannels,
    channels: list[str],
    viewer: rules.Viewer,
    settings: Settings,
    *,
    heartbeat: float,
    session_check: float,
) -> AsyncIterator[bytes]:
    followed = {c for c in channels if c.startswith("complaint_")}
    # Subscribed before `ready` is sent: an event committed after the browser saw it is never
    # missed. Inside the generator, so that whatever ends the stream also unsubscribes.
    subscriber: LiveSubscriber = await channels_plugin.subscribe(channels)
    try:
        yield f"retry: {RETRY_MS}\n".encode() + sse("ready")
        now = time.monotonic()
        next_beat, next_check = now + heartbeat, now + session_check
        while True:
            wait = max(0.0, min(next_beat, next_check) - time.monotonic())
            item: Any = "tick"
            try:
                async with asyncio.timeout(wait):
                    item = await subscriber.get()
            except TimeoutError:
                pass
            if item is None:
                return  # the server is stopping
            if item == "tick":
                now = time.monotonic()
                if now >= next_check:
                    next_check = now + session_check
                    now_standing = await sessions.standing(settings, viewer.session_hash)
                    if now_standing is None:
                        yield sse("ended")  # logged out: the page stops listening
                        return
                    if now_standing != (viewer.role, viewer.unit_id):
                        # Another role or unit: the browser reconnects and follows what
                        # the user may see now (and re-fetches the page).
                        return
                if now >= next_beat:
                    next_beat = now + heartbeat
                    yield b": \n\n"
                continue
            # Take what else has arrived too, and say each thing once (a status change comes
            # on the complaint's channel and on its reporter's).
            items = [item]
            while subscriber.has_more:
                more = subscriber.get_nowait()
                if more is None:
                    return
                items.append(more)
            out: dict[bytes, None] = {}
            for channel, payload in items:
                if channel == RESYNC:
                    out[sse("resync")] = None
                    continue
                message = rules.message_for(viewer, channel, payload)
                if message is None:
                    continue
                if message.recheck and channel in followed:
                    if not await rules.may_follow(viewer, message.data["id"]):
                        # Gone to another unit: nothing more of it for this viewer.
                        followed.discard(channel)
                        await channels_plugin.unsubscribe(subscriber, [channel])
                        continue
                out[sse(message.kind, message.data)] = None
            if out:
                next_beat = time.monotonic() + heartbeat
                yield b"".join(out)
    finally:
        # Runs when the browser goes away too (the response task is cancelled): nothing in
        # unsubscribe waits, so it completes inside the cancellation.
        await channels_plugin.unsubscribe(subscriber, channels)


@get(
    "/langsung",
    name="live:stream",
    opt={"access": "user", "skip_compression": True},
)
async def live_stream(
    request: Request,
    channels: NamedDependency[LiveChannels],
) -> Stream:
    """The viewer's event stream; `?pengaduan=<id>` also follows one complaint they may see."""
    if "text/event-stream" not in request.headers.get("accept", ""):
        raise user_error(406, _("This address is the live update stream for open pages."))
    followed = request.query_params.get("pengaduan")
    pengaduan = None if followed is None else record_id(followed)
    if followed is not None and pengaduan is None:
        raise NotFoundException()  # no complaint has that id
    user = request.user
    viewer = rules.Viewer(
        user_id=user.id, role=user.role, unit_id=user.unit_id, session_hash=user.session_hash
    )
    if pengaduan is not None and not await rules.may_follow(viewer, pengaduan):
        raise NotFoundException()
    names = await rules.channels_for(viewer, pengaduan)
    live_config = request.app.state.get("live", {})
    return Stream(
        _stream(
            channels,
            names,
            viewer,
            request.app.state.settings,
            heartbeat=live_config.get("heartbeat", HEARTBEAT),
            session_check=live_config.get("session_check", SESSION_CHECK),
        ),
        media_type="text/event-stream",
        headers=STREAM_HEADERS,
    )


ROUTES = [live_stream]
