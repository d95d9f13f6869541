"""Fan-out of live events inside one worker: Litestar's channels plugin on PostgreSQL LISTEN.

Each worker keeps one connection that LISTENs to the channels its open streams need
(`events.publish` sends with pg_notify, so every worker on every host hears every commit).
What Litestar's `AsyncPgChannelsBackend` and `ChannelsPlugin` lacked, added here:

- a subscriber gets `(channel, payload)`, not the payload alone: the stream decides what an
  event means for its viewer by the channel it came on;
- a channel nobody follows any more is UNLISTENed by a keeper task, never inside the request
  that is being cancelled (a disconnect cancels the stream; an UNLISTEN cut half-way would
  leave the shared connection in an unknown state), and never while a new subscriber wants it;
- the LISTEN connection is pinged; when it is lost it is opened again, every channel listened
  to again, and every subscriber told to `resync` (events in the gap are gone: pages re-fetch);
- `close_all()` ends every stream at once (on shutdown, so uvicorn need not wait for them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable

import asyncpg
from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.asyncpg import AsyncPgChannelsBackend

from pengaduan import outages

log = logging.getLogger(__name__)

# The pseudo-channel of "events may have been lost: show everything again".
RESYNC = ""
Item = tuple[str, bytes] | None


class LiveSubscriber(Subscriber):
    """One open stream's inbox: `(channel, payload)` items, None when the stream must end."""

    async def get(self) -> Item:
        item = await self._queue.get()
        self._queue.task_done()
        return item  # type: ignore[return-value]

    def get_nowait(self) -> Item:
        item = self._queue.get_nowait()
        self._queue.task_done()
        return item  # type: ignore[return-value]

    @property
    def has_more(self) -> bool:
        return not self._queue.empty()


class ListenBackend(AsyncPgChannelsBackend):
    """LISTEN/NOTIFY on one connection per worker, kept alive and in step with the streams."""

    def __init__(
        self,
        make_connection: Callable[[], Awaitable[asyncpg.Connection]],
        *,
        ping_every: float = 15.0,
        ping_timeout: float = 5.0,
    ) -> None:
        super().__init__(make_connection=make_connection)
        self.ping_every = ping_every
        self.ping_timeout = ping_timeout
        # Which channels streams still want (set by the plugin).
        self.wanted: Callable[[], Iterable[str]] = lambda: ()
        self._changed: asyncio.Event | None = None
        self._keeper: asyncio.Task | None = None
        self._lost = False
        self.reconnects = 0

    async def on_startup(self) -> None:
        await super().on_startup()
        self._changed = asyncio.Event()
        self._listener_conn.add_termination_listener(self._on_terminated)
        self._keeper = asyncio.create_task(self._keep(), name="live-listen-keeper")

    async def on_shutdown(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        async with self._listener_lock:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._listener_conn.close(), self.ping_timeout)
            self._subscribed_channels.clear()
            self._queue = None

    async def subscribe(self, channels: Iterable[str]) -> None:
        # Always under the lock, also for channels listened already: a second subscriber of a
        # channel whose LISTEN is still on its way waits for it instead of missing events.
        async with self._listener_lock:
            for channel in set(channels) - self._subscribed_channels:
                await self._listener_conn.add_listener(channel, self._listener)  # type: ignore[arg-type]
                self._subscribed_channels.add(channel)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        # No waiting here (see the module doc): the keeper UNLISTENs what nobody wants.
        if self._changed is not None:
            self._changed.set()

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        if self._queue is None:
            raise RuntimeError("the backend is not started")
        queue = self._queue
        while True:
            channel, message = await queue.get()
            queue.task_done()
            yield channel, message

    def _on_terminated(self, connection: asyncpg.Connection) -> None:
        self._lost = True
        if self._changed is not None:
            self._changed.set()

    async def _keep(self) -> None:
        assert self._changed is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.ping_every):
                    await self._changed.wait()
            self._changed.clear()
            try:
                async with self._listener_lock:
                    if self._lost or self._listener_conn.is_closed():
                        raise ConnectionError("the LISTEN connection was closed")
                    wanted = set(self.wanted())
                    for channel in self._subscribed_channels - wanted:
                        await asyncio.wait_for(
                            self._listener_conn.remove_listener(channel, self._listener),  # type: ignore[arg-type]
                            self.ping_timeout,
                        )
                        self._subscribed_channels.discard(channel)
                    await self._listener_conn.fetchval("SELECT 1", timeout=self.ping_timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection is gone or stuck: start over
                # Not a warning by itself: a database outage is logged once (outages), and a
                # connection merely dropped is back at once.
                log.info("live events: LISTEN connection lost (%s); reconnecting", exc)
                await self._reconnect()

    async def _reconnect(self) -> None:
        delay = 0.5
        tries = 0
        while True:
            tries += 1
            try:
                async with self._listener_lock:
                    old = self._listener_conn
                    old.terminate()
                    conn = await asyncio.wait_for(self._connect(), self.ping_timeout * 2)
                    self._listener_conn = conn
                    self._lost = False
                    conn.add_termination_listener(self._on_terminated)
                    channels = set(self.wanted())
                    for channel in channels:
                        await conn.add_listener(channel, self._listener)  # type: ignore[arg-type]
                    self._subscribed_channels = channels
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if outages.is_outage(exc):
                    outages.note_outage(exc, "live events")
                elif tries == 1:
                    log.warning("live events: reconnecting failed (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self.reconnects += 1
            log.info("live events: listening again (attempt %d)", tries)
            if self._queue is not None:
                self._queue.put_nowait((RESYNC, b"{}"))
            return


class LiveChannels(ChannelsPlugin):
    """The channels plugin with (channel, payload) delivery, bookkeeping that never waits on
    the database when a stream leaves, and a way to end every stream."""

    def __init__(self, backend: ListenBackend, **kwargs) -> None:
        super().__init__(
            backend=backend,
            arbitrary_channels_allowed=True,
            subscriber_class=LiveSubscriber,
            # Events are tiny and a viewer's are few; a stream that stops reading loses the
            # newest ones rather than growing without end.
            subscriber_max_backlog=100,
            **kwargs,
        )
        backend.wanted = self._channels.keys
        self.backend = backend
        self._hooked: dict[int, tuple[object, object]] = {}

    async def _on_startup(self) -> None:
        await super()._on_startup()
        self._hook_signals()

    async def _on_shutdown(self) -> None:
        self._unhook_signals()
        self.close_all()
        await super()._on_shutdown()

    def _hook_signals(self) -> None:
        """End the streams as soon as the server is told to stop: uvicorn waits for open
        responses before it shuts down, and a stream never finishes by itself."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue

            def handler(signum, frame, previous=previous) -> None:
                loop.call_soon_threadsafe(self.close_all)
                previous(signum, frame)

            signal.signal(sig, handler)
            self._hooked[sig] = (handler, previous)

    def _unhook_signals(self) -> None:
        for sig, (handler, previous) in self._hooked.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)  # type: ignore[arg-type]
        self._hooked.clear()

    @property
    def subscriber_count(self) -> int:
        return len({s for subscribers in self._channels.values() for s in subscribers})

    async def subscribe(  # type: ignore[override]
        self, channels: str | Iterable[str], history: int | None = None
    ) -> LiveSubscriber:
        channels = [channels] if isinstance(channels, str) else list(channels)
        subscriber = LiveSubscriber(
            plugin=self, max_backlog=self._max_backlog, backlog_strategy=self._backlog_strategy
        )
        for channel in channels:
            self._channels.setdefault(channel, set()).add(subscriber)
        try:
            await self._backend.subscribe(channels)
        except BaseException:
            await self.unsubscribe(subscriber, channels)
            raise
        return subscriber

    async def unsubscribe(
        self, subscriber: Subscriber, channels: str | Iterable[str] | None = None
    ) -> None:
        # Nothing here waits: it runs while a disconnected stream is being cancelled.
        if channels is None:
            channels = list(self._channels)
        elif isinstance(channels, str):
            channels = [channels]
        emptied = []
        for channel in channels:
            subscribers = self._channels.get(channel)
            if subscribers is None:
                continue
            subscribers.discard(subscriber)
            if not subscribers:
                del self._channels[channel]
                emptied.append(channel)
        if emptied:
            await self._backend.unsubscribe(emptied)

    async def _sub_worker(self) -> None:
        async for channel, payload in self._backend.stream_events():
            if channel == RESYNC:
                targets: Iterable[Subscriber] = {
                    s for subscribers in self._channels.values() for s in subscribers
                }
            else:
                targets = self._channels.get(channel, ())
            for subscriber in targets:
                subscriber.put_nowait((channel, payload))  # type: ignore[arg-type]

    def close_all(self) -> None:
        """End every open stream now (the server is stopping)."""
        for subscribers in list(self._channels.values()):
            for subscriber in subscribers:
                with contextlib.suppress(Exception):
                    subscriber._queue.put_nowait(None)
