"""Waiting for a condition with a deadline, instead of sleeping a fixed time and hoping."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL = 0.02  # seconds between looks: short next to any deadline, long next to a look


def wait_until(
    condition: Callable[[], T], what: str, timeout: float = 10.0, *, poll: float = POLL
) -> T:
    """Call `condition` until it returns something true; return that. After `timeout` seconds
    raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(poll)


async def wait_until_async(
    condition: Callable[[], T | Awaitable[T]],
    what: str,
    timeout: float = 10.0,  # noqa: ASYNC109 (the error names what did not happen)
    *,
    poll: float = POLL,
) -> T:
    """`wait_until` for the event loop: `condition` may be a plain or an async function, and
    the loop keeps running (whatever is awaited meanwhile is what makes it true)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        await asyncio.sleep(poll)
