"""db.grouped: what many requests of a worker write at the same moment goes in one statement;
each request still gets its own answer (issue 13: the complaint POST under a flash crowd)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.db.grouped import Grouped
from tests.support.waiting import wait_until_async


class Writes:
    """A `run_many` that notes each call, holds the first (and any with `held`) until
    `let_go`, and refuses
    (as PostgreSQL would) a call that carries an item in `refused` or `lost`."""

    def __init__(self, *, refused: str = "", lost: str = "", held: str = "") -> None:
        self.calls: list[list[str]] = []
        self.let_go = asyncio.Event()
        self.refused, self.lost, self.held = refused, lost, held

    async def __call__(self, items: list[str]) -> None:
        self.calls.append(items)
        if len(self.calls) == 1 or self.held in items:
            await self.let_go.wait()
        if self.lost in items:
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
        if self.refused in items:
            raise asyncpg.UniqueViolationError("duplicate key value")


async def _behind_the_first(group: Grouped[str, None], writes: Writes, items: list[str]) -> list:
    """`items[0]` written (and held), the rest sent while it is on its way; their answers."""
    tasks = [asyncio.ensure_future(group.run(items[0]))]
    await wait_until_async(lambda: len(writes.calls) == 1, "the first statement", 5)
    tasks += [asyncio.ensure_future(group.run(item)) for item in items[1:]]
    await asyncio.sleep(0)
    writes.let_go.set()
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_what_comes_while_a_statement_is_on_its_way_goes_in_the_next_one(
    app: Litestar,
) -> None:
    writes = Writes()
    answers = await _behind_the_first(Grouped(writes, most=3), writes, list("abcdef"))
    assert answers == [None] * 6
    assert writes.calls == [["a"], ["b", "c", "d"], ["e", "f"]]  # at most `most` together


async def test_a_refused_group_is_written_again_one_by_one(app: Litestar) -> None:
    writes = Writes(refused="c")
    answers = await _behind_the_first(Grouped(writes, most=10), writes, list("abcd"))
    assert answers[:2] == [None, None] and answers[3] is None
    assert isinstance(answers[2], asyncpg.UniqueViolationError)
    assert writes.calls == [["a"], ["b", "c", "d"], ["b"], ["c"], ["d"]]


async def test_a_lost_connection_fails_its_group_without_writing_again(app: Litestar) -> None:
    # The statement may have committed before the connection went: writing it again could
    # file a complaint twice.
    writes = Writes(lost="c")
    answers = await _behind_the_first(Grouped(writes, most=10), writes, list("abcd"))
    assert answers[0] is None
    assert all(isinstance(a, asyncpg.ConnectionDoesNotExistError) for a in answers[1:])
    assert writes.calls == [["a"], ["b", "c", "d"]]


async def test_a_request_that_goes_away_leaves_its_group_written(app: Litestar) -> None:
    writes = Writes()
    group: Grouped[str, None] = Grouped(writes, most=10)
    first = asyncio.ensure_future(group.run("a"))
    await wait_until_async(lambda: len(writes.calls) == 1, "the first statement", 5)
    second, third = asyncio.ensure_future(group.run("b")), asyncio.ensure_future(group.run("c"))
    await asyncio.sleep(0)
    first.cancel()
    second.cancel()
    writes.let_go.set()
    await third
    assert writes.calls == [["a"], ["b", "c"]]
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_inside_a_transaction_an_item_is_written_alone_at_once(app: Litestar) -> None:
    writes = Writes()
    writes.let_go.set()
    group: Grouped[str, None] = Grouped(writes, most=10)
    async with db.ENGINE.transaction():
        assert db.in_transaction()
        await asyncio.gather(group.run("a"), group.run("b"))
    assert writes.calls == [["a"], ["b"]]


async def test_a_statement_held_up_holds_up_what_comes_after_it_only_for_a_while(
    app: Litestar,
) -> None:
    writes = Writes(held="b")
    group: Grouped[str, None] = Grouped(writes, most=10, late=0.2, at_once=2)
    held = asyncio.ensure_future(group.run("a"))
    await wait_until_async(lambda: len(writes.calls) == 1, "the first statement", 5)
    loop = asyncio.get_running_loop()
    started = loop.time()
    # "a" is held: after a while "b" goes in a statement beside it (held too).
    b = asyncio.ensure_future(group.run("b"))
    await wait_until_async(lambda: len(writes.calls) == 2, "a statement beside it", 5)
    assert loop.time() - started >= 0.2
    # Two statements on their way is all there may be: "c" waits for one of them.
    c = asyncio.ensure_future(group.run("c"))
    await asyncio.sleep(0.5)
    assert not (held.done() or b.done() or c.done())
    writes.let_go.set()
    await asyncio.wait_for(asyncio.gather(held, b, c), 5)
    assert writes.calls == [["a"], ["b"], ["c"]]


async def test_the_session_lookups_of_the_same_moment_share_one_statement(
    as_role, app: Litestar, count_queries: list[str]
) -> None:
    from pengaduan.accounts import sessions

    settings = app.state.settings
    clients = [await as_role(role) for role in ("citizen", "officer", "admin", "citizen")]
    cookies = [client.cookies["sid"] for client in clients]
    await clients[3].post("/keluar")  # that session ends
    count_queries.clear()
    users = await asyncio.gather(
        *(sessions.load_user(settings, cookie) for cookie in [*cookies, cookies[0]])
    )
    # Asked in the same turn of the event loop: one statement for all five.
    assert len([sql for sql in count_queries if "id_hash = ANY" in sql]) == 1
    assert [u.role if u else None for u in users] == [
        "citizen",
        "officer",
        "admin",
        None,
        "citizen",
    ]
    assert users[0] == users[4] and users[0].id != users[1].id


async def test_a_wrong_count_of_answers_fails_the_group_instead_of_leaving_it_waiting(
    app: Litestar,
) -> None:
    async def one_answer_short(items: list[str]) -> list[str]:
        await asyncio.sleep(0)
        return items[1:]

    group: Grouped[str, str] = Grouped(one_answer_short, most=10)
    answers = await asyncio.wait_for(
        asyncio.gather(group.run("a"), group.run("b"), return_exceptions=True), 5
    )
    assert all(isinstance(a, RuntimeError) for a in answers)
