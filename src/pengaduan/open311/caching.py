"""Open311 read answers kept per process by the public version (web.publiccache).

A GET answer depends only on its address and on the public data, whose version the database
raises with every change to a complaint, category or unit (a message touches its complaint):
the same address at the same version, on any worker, is the same document. The default period
("the last 90 days") moves with the clock, so the minute is part of the key as well. A crowd
asking for the 1,000 newest then costs one version query per round trip and one build per
change, instead of the rows, the notes and the encoding per request.

Byte documents rather than web.publiccache's rendered pages (that module keeps HTML from
templates per language, with CSRF handling); the version itself is read through it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from pengaduan.web.publiccache import public_version

# Documents of 1,000 requests are about half a megabyte: at most ~16 MB per process.
MAX_ENTRIES = 32
TIME_STEP_SECONDS = 60

_KEPT: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_BUILDING: dict[tuple[Any, ...], asyncio.Future[bytes]] = {}


async def kept(address: tuple[Any, ...], build: Callable[[], Awaitable[bytes]]) -> bytes:
    """The document for `address` at the current public version; built once per version by
    the first request that misses it, the others that miss it meanwhile waiting for that one."""
    key = (*address, await public_version(), int(time.time() // TIME_STEP_SECONDS))
    found = _KEPT.get(key)
    if found is not None:
        _KEPT.move_to_end(key)
        return found
    pending = _BUILDING.get(key)
    if pending is not None and pending.get_loop() is asyncio.get_running_loop():
        return await asyncio.shield(pending)
    pending = asyncio.get_running_loop().create_future()
    _BUILDING[key] = pending
    try:
        document = await build()
    except BaseException as error:
        if isinstance(error, Exception):
            pending.set_exception(error)
            pending.exception()  # retrieved: no warning when nobody waited
        else:
            pending.cancel()
        raise
    finally:
        _BUILDING.pop(key, None)
    pending.set_result(document)
    _KEPT[key] = document
    while len(_KEPT) > MAX_ENTRIES:
        _KEPT.popitem(last=False)
    return document


def clear() -> None:
    _KEPT.clear()
