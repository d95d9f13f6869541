"""The cyclic garbage collector of a serving process, run on a clock instead of by allocations.

CPython collects its youngest generation whenever the container objects allocated outnumber
those freed by 700, and a worker under load allocates thousands per request. Most of them are
freed by reference counting as their request ends, but those of the requests in flight are
alive at every collection: the collector walks them, promotes them and walks them again one
generation older. Measured in a worker answering the admin complaint list under load (wrk, 100
connections, 10 s): 2,154 young collections, 195 middle and 17 full ones, 0.36 s of the
worker's 11.5 s of CPU (3 %), for garbage that reference counting frees anyway.

While the app serves, `Collector` turns the automatic collections off and collects the two
younger generations every `every` seconds, and all three every `full_every`-th time: each
collection walks what is alive at that moment once (0.35 ms). What only the collector can
free (objects in reference cycles: a caught exception with its traceback, some of asyncio's)
lives at most that long, so memory stays bounded by about a second of it. Stopping turns the
automatic collections back on. PENGADUAN_GC_EVERY_SECONDS=0 leaves CPython's own pacing.

A request must leave no reference cycle behind (web.input.InputRequest): the collector would
then find every finished request of the last second to walk, as CPython's did.
"""

from __future__ import annotations

import gc

from pengaduan.background import BackgroundLoop

EVERY_SECONDS = 1.0
FULL_EVERY = 60  # rounds: every generation about once a minute


class Collector(BackgroundLoop):
    def __init__(self, every: float = EVERY_SECONDS, full_every: int = FULL_EVERY) -> None:
        super().__init__("garbage collector")
        self.every = every
        self.full_every = full_every
        self.rounds = 0

    async def run(self) -> None:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            await super().run()
        finally:
            if was_enabled:
                gc.enable()

    async def round(self) -> float:
        self.rounds += 1
        gc.collect(2 if self.rounds % self.full_every == 0 else 1)
        return self.every
