"""The collector of a serving process (pengaduan.collector): automatic collections off while
it runs, reference cycles freed on its clock (the old ones with a full collection now and
then), CPython's own pacing back once it stops."""

from __future__ import annotations

import asyncio
import gc
import weakref

from pengaduan.collector import Collector


class Node:
    def __init__(self) -> None:
        self.itself = self  # a reference cycle: reference counting never frees it


async def _freed(ref: weakref.ref, seconds: float = 2.0) -> bool:
    for _ in range(int(seconds / 0.01)):
        if ref() is None:
            return True
        await asyncio.sleep(0.01)
    return False


async def test_cycles_are_freed_on_the_collectors_clock_with_automatic_collections_off() -> None:
    before = gc.isenabled()
    collector = Collector(every=0.01, full_every=1000)
    collector.start()
    try:
        await asyncio.sleep(0.02)
        assert not gc.isenabled()
        ref = weakref.ref(Node())
        assert await _freed(ref)
        assert collector.rounds >= 1
    finally:
        await collector.stop()
    assert gc.isenabled() == before


async def test_a_cycle_that_grew_old_is_freed_by_a_full_collection() -> None:
    node = Node()
    ref = weakref.ref(node)
    gc.collect(1)  # it survives: now in the oldest generation
    del node
    gc.collect(1)
    assert ref() is not None  # the young collections do not reach it
    collector = Collector(every=0.01, full_every=3)
    collector.start()
    try:
        assert await _freed(ref)
    finally:
        await collector.stop()
