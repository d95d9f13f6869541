"""One statement for what many requests of a worker want written (or read) at the same moment.

`Grouped(run_many, most=)`: requests call `await group.run(item)`. When no statement is on
its way, an item goes at once, alone; while one is, the items that arrive wait and go together
in the next one (at most `most` in a statement). Under a flash crowd a worker then sends one
statement and one commit (one WAL flush waited for) for tens of requests instead of one each,
and with no load nothing waits. It is PostgreSQL's group commit, done where the statements
start. (Measured with bench/submit_load.py: two or four statements on their way at a time
made the groups smaller and the worker slower than one.)

`late=`: a statement that is held up (a lock) must not hold up the items that came after it.
When the oldest waiting item has waited that long, another statement starts beside the ones
on their way, up to `at_once` of them.

A statement that PostgreSQL refuses wrote nothing (it is its own transaction), nor did one
with a value asyncpg could not send. When it carried more than one item, each is written
again alone, so every request gets its own answer: a duplicate idempotency key fails its
own request, not its neighbours'. A lost connection, or a server going down, is not retried
(the statement may have committed): every request of the group gets the error, as one
writing alone would.

Inside a transaction, or without the pool (the CLI, tests), an item is written alone at once,
on the transaction's connection.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import asyncpg

from pengaduan.db.engine import on_pool

# asyncpg's error for a value it cannot send as the parameter's type (not PostgreSQL's
# data_exception, which asyncpg also calls DataError).
_ClientDataError = asyncpg.exceptions._base.DataError

T = TypeVar("T")
R = TypeVar("R")


class Grouped(Generic[T, R]):
    """Items of many requests written (or asked) together (see the module's text).
    `run_many` gives each item's answer, in their order (None: None for each)."""

    def __init__(
        self,
        run_many: Callable[[list[T]], Awaitable[Sequence[R] | None]],
        *,
        most: int,
        late: float | None = None,
        at_once: int = 1,
    ) -> None:
        self.run_many = run_many
        self.most = most
        self.late = late
        self.at_once = at_once if late is not None else 1
        # One queue per event loop: a worker has one; tests start a loop per test.
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[T, R]] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, item: T) -> R:
        """Write (or ask) `item` with whatever others wait now; its answer once it
        committed (or was read); raises what writing it raised."""
        if not on_pool():
            return (await self._many([item]))[0]
        loop = asyncio.get_running_loop()
        queue = self._queues.get(loop)
        if queue is None:
            queue = self._queues[loop] = _Queue(self)
        return await queue.run(item, loop)

    async def _many(self, items: list[T]) -> Sequence[Any]:
        answers = await self.run_many(items)
        return [None] * len(items) if answers is None else answers


class _Queue(Generic[T, R]):
    def __init__(self, group: Grouped[T, R]) -> None:
        self.group = group
        # Each waiting item, its answer and when it came (the loop's clock).
        self.waiting: list[tuple[T, asyncio.Future[R], float]] = []
        # Statements on their way, counted where they start and end (not by their tasks:
        # a task that ended runs its callbacks later, while an item could be left waiting).
        self.writing = 0
        self.tasks: set[asyncio.Task[None]] = set()  # kept referenced while they run
        self.check: asyncio.TimerHandle | None = None  # when to look for a late item

    async def run(self, item: T, loop: asyncio.AbstractEventLoop) -> R:
        done: asyncio.Future[R] = loop.create_future()
        # A request that went away leaves its answer unread: not an error to log.
        done.add_done_callback(_read_answer)
        self.waiting.append((item, done, loop.time()))
        if self.writing == 0:
            self._start(loop)
        elif self.group.late is not None and self.check is None:
            self.check = loop.call_later(self.group.late, self._late, loop)
        # A request that goes away cancels only `done`: the statement is the writing task's,
        # and it goes on for the neighbours (and writes this item too). Not shielded: the
        # shield's own future and callbacks cost 2.3 us an item, for nothing.
        return await done

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.writing += 1
        task = loop.create_task(self._write())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _late(self, loop: asyncio.AbstractEventLoop) -> None:
        self.check = None
        late = self.group.late
        if not self.waiting or late is None:
            return
        waited = loop.time() - self.waiting[0][2]
        if waited >= late and self.writing < self.group.at_once:
            self._start(loop)
        self.check = loop.call_later(late - waited if waited < late else late, self._late, loop)

    async def _write(self) -> None:
        try:
            while self.waiting:
                batch = self.waiting[: self.group.most]
                del self.waiting[: self.group.most]
                await self._write_batch(batch)
        except asyncio.CancelledError:
            for _item, done, _came in self.waiting:  # the loop is closing
                done.cancel()
            raise
        finally:
            self.writing -= 1

    async def _write_batch(self, batch: list[tuple[T, asyncio.Future[R], float]]) -> None:
        try:
            answers = await self.group._many([item for item, _done, _came in batch])
        except (asyncpg.PostgresError, _ClientDataError) as exc:
            if len(batch) == 1 or not _refused(exc):
                for _item, done, _came in batch:
                    _fail(done, exc)
                return
            # Refused, so nothing of it was written: each alone, each with its own answer.
            for item, done, _came in batch:
                try:
                    answer = (await self.group._many([item]))[0]
                except Exception as alone:
                    _fail(done, alone)
                else:
                    _answer(done, answer)
        except asyncio.CancelledError:
            for _item, done, _came in batch:
                done.cancel()
            raise
        except Exception as exc:
            for _item, done, _came in batch:
                _fail(done, exc)
        else:
            if len(answers) != len(batch):  # a bug in run_many: fail, never leave one waiting
                error = RuntimeError(f"{len(answers)} answers for {len(batch)} items")
                for _item, done, _came in batch:
                    _fail(done, error)
                return
            for (_item, done, _came), answer in zip(batch, answers, strict=True):
                _answer(done, answer)


def _refused(exc: Exception) -> bool:
    """Whether PostgreSQL refused the statement (so nothing of it was written), rather than
    the connection being lost on the way (when it may have committed) or the server going
    down (when writing again would fail the same way). A value asyncpg cannot send (a word
    for a number) stops the statement before it leaves: refused as well."""
    return not isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError))


def _answer(done: asyncio.Future[Any], answer: Any) -> None:
    if not done.done():
        done.set_result(answer)


def _fail(done: asyncio.Future[Any], error: BaseException) -> None:
    if not done.done():
        done.set_exception(error)


def _read_answer(done: asyncio.Future[Any]) -> None:
    if not done.cancelled():
        done.exception()
