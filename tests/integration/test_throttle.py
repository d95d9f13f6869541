"""Throttling that cannot be raced: logins counted before the password is checked and locked
per account whatever name is typed; registration and reset requests limited per address; a
reset request answered before (and alike whatever) its work."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan.accounts import login, throttle
from pengaduan.notifications.outbox import worker as outbox_worker
from tests.conftest import browser_client
from tests.factories import PASSWORD
from tests.support.databases import fetch_rows, settings_for
from tests.support.mail import SmtpSink
from tests.support.waiting import wait_until_async

LIMIT = throttle.FREE_FAILURES["account"]
WRONG = "bukan-sandinya-1"
CSRF = re.compile(r'name="_csrf_token" value="[^"]*"|"x-csrftoken": "[^"]*"')


class PasswordGate:
    """Our password check, counted, and held until every request in flight has either reached
    it or been answered: the widest race, as when bcrypt is slow and requests arrive together."""

    def __init__(self, check: Callable[[str, str], Awaitable[bool]]) -> None:
        self.check = check
        self.checked: list[str] = []
        self.opened = asyncio.Event()

    async def __call__(self, password: str, hashed: str) -> bool:
        self.checked.append(password)
        await self.opened.wait()
        return await self.check(password, hashed)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> PasswordGate:
    wrapped = PasswordGate(login.verify_password)
    monkeypatch.setattr(login, "verify_password", wrapped)
    return wrapped


def _login(client: httpx.AsyncClient, identifier: str, password: str) -> asyncio.Task:
    return asyncio.create_task(
        client.post("/masuk", data={"identifier": identifier, "password": password})
    )


async def _decided(gate: PasswordGate, tasks: list[asyncio.Task]) -> None:
    """Every request has reached the password check or been answered."""
    await wait_until_async(
        lambda: len(gate.checked) + sum(t.done() for t in tasks) == len(tasks),
        "every login attempt to be refused or to reach the password check",
        20,
    )


# --- login ----------------------------------------------------------------------------------


async def test_twenty_simultaneous_attempts_check_at_most_the_limit(
    app: Litestar, people: dict[str, int], gate: PasswordGate, db_dsn: str
) -> None:
    async with browser_client(app) as client:
        await client.get("/masuk")  # the CSRF cookie, before the requests go out together
        tasks = [_login(client, "warga", WRONG) for _ in range(20)]
        await _decided(gate, tasks)
        gate.opened.set()
        statuses = sorted(r.status_code for r in await asyncio.gather(*tasks))
    assert len(gate.checked) == LIMIT
    # The attempt that reached the limit tells the wait; the rest before it say "wrong".
    assert statuses == [422] * (LIMIT - 1) + [429] * (20 - LIMIT + 1)
    (row,) = await fetch_rows(
        db_dsn, "SELECT failures FROM login_throttles WHERE key = $1", f"user:{people['citizen']}"
    )
    assert row["failures"] == LIMIT


async def test_the_right_password_cannot_slip_past_a_lock_being_placed(
    app: Litestar, people: dict[str, int], gate: PasswordGate, db_dsn: str
) -> None:
    async with browser_client(app) as client:
        await client.get("/masuk")
        tasks = [_login(client, "warga", WRONG) for _ in range(19)]
        await _decided(gate, tasks)
        # The 19 wrong ones are still being checked when the right one comes.
        tasks.append(_login(client, "warga", PASSWORD))
        await _decided(gate, tasks)
        gate.opened.set()
        responses = await asyncio.gather(*tasks)
    right = responses[-1]
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert 'value="warga"' in right.text  # the typed name kept in the form
    assert PASSWORD not in gate.checked and len(gate.checked) == LIMIT
    assert await fetch_rows(db_dsn, 'SELECT id FROM sessions WHERE "user" IS NOT NULL') == []


@pytest.mark.parametrize(
    ("locked_with", "then_typed"),
    [("warga", "warga@uji.test"), ("Warga@Uji.test", " WARGA ")],
)
async def test_the_lock_holds_whichever_name_of_the_account_is_typed(
    app: Litestar, people: dict[str, int], locked_with: str, then_typed: str
) -> None:
    async with browser_client(app) as client:
        for _ in range(LIMIT):
            last = await client.post("/masuk", data={"identifier": locked_with, "password": WRONG})
        assert last.status_code == 429
        right = await client.post("/masuk", data={"identifier": then_typed, "password": PASSWORD})
    assert right.status_code == 429 and "retry-after" in right.headers


async def test_an_unknown_name_is_throttled_like_an_account(
    app: Litestar, people: dict[str, int]
) -> None:
    """Probing cannot tell existing names from unknown ones by when the lock comes."""
    async with browser_client(app) as client:
        for name in ("warga", "tidak-ada"):
            statuses = [
                (
                    await client.post("/masuk", data={"identifier": name, "password": WRONG})
                ).status_code
                for _ in range(LIMIT + 1)
            ]
            assert statuses == [422] * (LIMIT - 1) + [429, 429], name


async def test_right_logins_do_not_use_up_the_addresses_allowance(
    app: Litestar, people: dict[str, int], db_dsn: str
) -> None:
    """Attempts are counted before the check; a right password gives the address's count back."""
    for _ in range(throttle.FREE_FAILURES["ip"] + 1):
        async with browser_client(app) as client:
            response = await client.post(
                "/masuk", data={"identifier": "warga", "password": PASSWORD}
            )
            assert response.status_code == 303
    rows = await fetch_rows(db_dsn, "SELECT failures, locked_until FROM login_throttles")
    assert all(r["failures"] == 0 and r["locked_until"] is None for r in rows)


async def test_the_wait_doubles_when_the_lock_is_over_and_the_next_password_is_wrong(
    app: Litestar, people: dict[str, int], db_dsn: str
) -> None:
    async with browser_client(app) as client:
        for _ in range(LIMIT):
            await client.post("/masuk", data={"identifier": "warga", "password": WRONG})
        await fetch_rows(db_dsn, "UPDATE login_throttles SET locked_until = now() - interval '1 s'")
        again = await client.post("/masuk", data={"identifier": "warga", "password": WRONG})
    wait = throttle.wait_after("account", LIMIT + 1).total_seconds()
    assert again.status_code == 429 and wait - 5 < int(again.headers["retry-after"]) <= wait


async def test_refused_attempts_do_not_use_up_the_addresses_allowance(
    app: Litestar, people: dict[str, int]
) -> None:
    """Attempts at a locked account check no password, so they count for nothing else."""
    async with browser_client(app) as client:
        for _ in range(throttle.FREE_FAILURES["ip"] + LIMIT):
            await client.post("/masuk", data={"identifier": "warga", "password": WRONG})
        response = await client.post("/masuk", data={"identifier": "petugas", "password": PASSWORD})
    assert response.status_code == 303


# --- registration and reset requests ---------------------------------------------------------


REGISTRATION = {
    "full_name": "Siti Aminah",
    "nik": "3273014507900002",
    "phone": "0812-3456-7890",
    "address": "Jl. Cihampelas No. 12, Bandung",
    "email": "siti@contoh.id",
    "username": "warga",  # taken: each try asks the database
    "password": "kopi-susu-pagi-2026",
    "password_confirm": "kopi-susu-pagi-2026",
}


async def test_registration_checks_are_limited_per_address(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    for _ in range(throttle.REQUESTS_PER_HOUR["register"]):
        response = await client.post("/daftar", data=REGISTRATION)
        assert response.status_code == 422 and 'id="e-username"' in response.text
    response = await client.post("/daftar", data=REGISTRATION)
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 3600
    assert 'id="form-error"' in response.text and "Coba lagi dalam 60 menit" in response.text
    assert 'id="e-username"' not in response.text  # no longer tells whether the name is taken
    assert 'value="Siti Aminah"' in response.text  # what was typed is kept


async def test_registration_form_mistakes_are_not_counted(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    """Only tries that reach the database count: a person fixing typos is never refused."""
    for _ in range(throttle.REQUESTS_PER_HOUR["register"] + 1):
        response = await client.post("/daftar", data={**REGISTRATION, "nik": "123"})
        assert response.status_code == 422


async def test_reset_requests_are_limited_per_address(
    client: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    for i in range(throttle.REQUESTS_PER_HOUR["reset"]):
        response = await client.post("/lupa-sandi", data={"identifier": f"orang{i}"})
        assert response.status_code == 200
    response = await client.post("/lupa-sandi", data={"identifier": "warga"})
    assert response.status_code == 429 and 0 < int(response.headers["retry-after"]) <= 3600
    assert "Terlalu banyak permintaan" in response.text
    assert 'value="warga"' in response.text
    assert await fetch_rows(db_dsn, "SELECT id FROM outbox") == []


def _answered_early(app: Litestar, answers: list[dict[str, Any]]) -> Callable:
    """The app, noting each POST's answer once its last byte is sent (before any work that
    comes after the answer; the test client itself only returns when all work is done)."""

    async def asgi(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        answer: dict[str, Any] = {"body": b""}

        async def noting(message: dict) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    answers.append(answer)

        await app(scope, receive, noting)

    return asgi


async def test_reset_is_answered_alike_before_its_work_is_done(
    app: Litestar, people: dict[str, int], db_dsn: str, smtp_sink: SmtpSink
) -> None:
    answers: list[dict[str, Any]] = []
    blocker = await asyncpg.connect(db_dsn)
    transaction = blocker.transaction()
    await transaction.start()
    # While the outbox is locked, no reset mail can be written: an answer that waited for
    # the mail would never come.
    await blocker.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
    try:
        async with browser_client(_answered_early(app, answers)) as client:
            await client.get("/lupa-sandi")
            plain = {"accept-encoding": "identity"}  # the bodies are read as sent
            known = asyncio.create_task(
                client.post("/lupa-sandi", data={"identifier": "warga"}, headers=plain)
            )
            await wait_until_async(lambda: len(answers) == 1, "the answer for a known account", 10)
            unknown = asyncio.create_task(
                client.post("/lupa-sandi", data={"identifier": "tidak-ada"}, headers=plain)
            )
            await wait_until_async(lambda: len(answers) == 2, "the answer for an unknown name", 10)
            await transaction.rollback()
            await asyncio.gather(known, unknown)
    finally:
        await blocker.close()
    first, second = answers
    assert first["status"] == second["status"] == 200
    assert CSRF.sub("", first["body"].decode()) == CSRF.sub("", second["body"].decode())
    assert b'id="reset-sent"' in first["body"]
    # The work was done afterwards: the known account's mail goes out.
    await outbox_worker.deliver_due(settings_for(db_dsn, **smtp_sink.settings_env()))
    (mail,) = await smtp_sink.wait_for_async(1, to="warga@uji.test")
    assert "atur-ulang-sandi/" in mail.message.get_body(("plain",)).get_content()
    assert len(smtp_sink.messages) == 1
