"""The image workers: evidence photos are decoded, stripped and thumbnailed in small child
processes of each web worker, never in the web worker itself, with a bound on each child's
memory and on the number of images in work at once."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from functools import partial

from pengaduan import i18n
from pengaduan.complaints import evidence
from pengaduan.i18n import _

log = logging.getLogger(__name__)

# How long an upload waits for a free image slot before it is answered 503, and the
# Retry-After it is given then.
SLOT_WAIT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 10
# Address space a child may add to what it holds at start: the decode budget (what the
# pixel limits let a legitimate image need) plus room for the result and its encoding.
# A hostile image that needs more gets a MemoryError, and is refused, instead of the memory.
CHILD_MEMORY = evidence.DECODE_BUDGET + 128 * 1024 * 1024
# A fresh child per image: all its memory goes back to the system when the image is done.
TASKS_PER_CHILD = 1


class ImageWorkersBusy(Exception):
    """Every image slot of this worker stayed taken: the upload must be sent again later."""


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: children fork from a small server that has only the
    imaging modules loaded (fast to start, nothing of the web worker's memory, no threads
    inherited); spawn elsewhere. Never plain fork from a threaded, async web worker."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        # Every child runs the main module again (`pengaduan.cli` under `pengaduan serve`):
        # what that imports is loaded once, here, rather than in each child.
        context.set_forkserver_preload([__name__, "pengaduan.db"])
        return context
    return multiprocessing.get_context("spawn")


def _vm_size() -> int | None:
    """This process's address space in bytes (Linux), or None."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    import resource

    return pages * resource.getpagesize()


def _start_child() -> None:
    """In each child, before its image: cap its address space (where the OS allows it)."""
    if sys.platform != "linux":
        return
    import resource

    size = _vm_size()
    if size is not None:
        limit = size + CHILD_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _peak_rss() -> int:
    """The child's highest resident memory so far, in bytes (0 where unknown)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _job(name: str, data: bytes, kind: str, locale: str) -> tuple[bytes, bytes, int]:
    """Runs in a child: the image and its thumbnail, and the child's peak memory. Refusals
    are worded in the uploader's language."""
    i18n.set_locale(locale)
    full, thumbnail = evidence.process_image(name, data, kind)
    return full, thumbnail, _peak_rss()


class ImageWorkers:
    """One web worker's image children and its image slots.

    An upload holds a slot while its files are processed one after the other; the pool has
    as many children as there are slots, so at most `jobs` images are decoded at once and
    each decode is bounded by CHILD_MEMORY. Children are forked when an upload needs them
    (from a fork server started with the app) and go when no upload is in progress. A child
    that dies (killed, crashed) breaks the pool: it is replaced, and the image tried once
    more before it is refused."""

    def __init__(self, jobs: int, *, wait_seconds: float = SLOT_WAIT_SECONDS) -> None:
        self.jobs = jobs
        self.wait_seconds = wait_seconds
        self._slots = asyncio.Semaphore(jobs)
        self._pool: ProcessPoolExecutor | None = None
        self._held = 0
        # What the children reported and what went wrong, for the log and the tests.
        self.peak_child_rss = 0
        self.broken_pools = 0
        self._closing: asyncio.Future[None] | None = None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one image slot; ImageWorkersBusy when none is free within wait_seconds."""
        if self._slots.locked():
            if self.wait_seconds <= 0:
                raise ImageWorkersBusy
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
            except TimeoutError:
                raise ImageWorkersBusy from None
        else:
            await self._slots.acquire()
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            self._slots.release()
            if self._held == 0 and self._pool is not None:
                # No upload in progress: let the children go (a fresh child per image is
                # waiting otherwise, up to `jobs` of them); the fork server stays, so the
                # next upload's children start in milliseconds.
                # Shut down from a thread, waiting: shutdown(wait=False) races the pool's
                # manager thread replacing a one-task child (Python 3.11 then raises
                # TypeError in that thread).
                pool, self._pool = self._pool, None
                self._closing = asyncio.get_running_loop().run_in_executor(
                    None, partial(pool.shutdown, wait=True)
                )

    async def prepare(self, name: str, data: bytes, max_bytes: int) -> evidence.PreparedFile:
        """`evidence.prepare`, with the image work in a child. Call it holding a slot."""
        name, kind = evidence.check(name, data, max_bytes)
        if kind == "pdf":
            return evidence.PreparedFile(name, kind, data, None)
        full, thumbnail = await self._process(name, data, kind)
        return evidence.PreparedFile(name, kind, full, thumbnail)

    async def _process(self, name: str, data: bytes, kind: str) -> tuple[bytes, bytes]:
        locale = i18n.get_locale()
        for attempt in (1, 2):
            pool = self._running_pool()
            try:
                # Starting a child may wait on the fork server: not on the event loop.
                future = await asyncio.to_thread(pool.submit, _job, name, data, kind, locale)
                full, thumbnail, peak = await asyncio.wrap_future(future)
            except BrokenProcessPool:
                self.broken_pools += 1
                self._discard(pool)
                log.warning(
                    "an image child died (attempt %d with %s); pool replaced", attempt, name
                )
                continue
            self.peak_child_rss = max(self.peak_child_rss, peak)
            return full, thumbnail
        raise evidence.refused(_("%(name)s is not a readable image.", name=name))

    def _running_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=_context(),
                initializer=_start_child,
                max_tasks_per_child=TASKS_PER_CHILD,
            )
        return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    async def start(self) -> None:
        """Start the fork server (app start-up): what it holds is then part of the worker's
        memory from the start rather than a step at the first photo, and the first photo
        does not wait for its imports. The children still start with the first upload."""
        if _context().get_start_method() == "forkserver":
            from multiprocessing import forkserver

            await asyncio.to_thread(forkserver.ensure_running)

    async def close(self) -> None:
        """Stop the children (app shutdown); a later image starts new ones."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
