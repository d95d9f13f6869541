"""What filing a complaint writes and sends (complaints.submission): the complaint, its first
history entry, the audit entry, the reporter's notification and mail, and exactly the live
events its listeners need, at the cost of a fixed few statements (issue 13: the submission
was about twenty round trips, each built by Piccolo)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import httpx
import pytest

from pengaduan.complaints import filing
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.settings import Settings
from tests.support.mail import written
from tests.support.waiting import wait_until_async

TIMEOUT = 20.0
SENTINEL = "sentinel"


@pytest.fixture
async def category(people: dict[str, int]) -> int:
    from pengaduan.agency.tables import Category

    rows = await Category.insert(
        Category(name="Jalan Rusak", icon="🛣️", default_unit=people["unit"], deadline_days=7)
    ).returning(Category.id)
    return rows[0]["id"]


class Heard:
    """A connection of its own LISTENing to a submission's channels; what it heard, in order."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.events: list[tuple[str, str]] = []

    def _note(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        self.events.append((channel, payload))

    async def listen(self, *channels: str) -> None:
        for channel in channels:
            await self.conn.add_listener(channel, self._note)

    async def everything(self) -> list[tuple[str, str]]:
        """All heard up to now: a sentinel sent after the fact arrives after every earlier
        event (PostgreSQL delivers notifications in commit order)."""
        await self.conn.execute("SELECT pg_notify('stats', $1)", SENTINEL)
        await wait_until_async(lambda: ("stats", SENTINEL) in self.events, "the sentinel", TIMEOUT)
        return self.events[: self.events.index(("stats", SENTINEL))]


@pytest.fixture
async def heard(db_dsn: str, people: dict[str, int]) -> AsyncIterator[Heard]:
    conn = await asyncpg.connect(db_dsn)
    listener = Heard(conn)
    await listener.listen(f"queue_{people['unit']}", f"user_{people['citizen']}", "stats", "outbox")
    try:
        yield listener
    finally:
        await conn.close()


async def _form_key(client: httpx.AsyncClient) -> str:
    page = await client.get("/pengaduan/baru")
    return re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)


def _form(key: str, category: int, **overrides: str) -> dict[str, str]:
    return {
        "idempotency_key": key,
        "title": "Jalan berlubang di depan pasar",
        "description": "Lubang besar sekitar satu meter, dua motor jatuh minggu ini.",
        "category": str(category),
        "location_text": "Jl. Merdeka No. 5",
        "latitude": "",
        "longitude": "",
        "urgency": "high",
        **overrides,
    }


async def test_a_submission_writes_its_rows_and_sends_what_its_listeners_need(
    as_role, people: dict[str, int], category: int, heard: Heard, db_dsn: str
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    response = await citizen.post("/pengaduan/baru", data=_form(await _form_key(citizen), category))
    assert response.status_code == 303, response.text[:2000]
    complaint_id = int(re.fullmatch(r"/pengaduan/(\d+)/terkirim", response.headers["location"])[1])
    conn = await asyncpg.connect(db_dsn)
    try:
        c = await conn.fetchrow("SELECT * FROM complaints WHERE id = $1", complaint_id)
        assert re.fullmatch(r"ADU-\d{4}-\d{6}", c["number"])
        assert (c["reporter"], c["category"], c["unit"], c["officer"]) == (
            people["citizen"],
            category,
            people["unit"],
            None,
        )
        assert (c["status"], c["priority"], c["citizen_urgency"]) == ("pending", "normal", "high")
        assert (c["is_anonymous"], c["is_public"], c["location_text"]) == (
            False,
            True,
            "Jl. Merdeka No. 5",
        )
        assert c["due_at"] - c["submitted_at"] == timedelta(days=7)
        assert c["updated_at"] == c["submitted_at"] and c["assigned_at"] is None
        assert c["verified_at"] is None and c["first_response_at"] is None
        history = await conn.fetch(
            "SELECT old_status, new_status, changed_by, note, changed_at FROM status_history"
            " WHERE complaint = $1",
            complaint_id,
        )
        assert [tuple(h)[:4] for h in history] == [(None, "pending", people["citizen"], "")]
        audit = await conn.fetch(
            "SELECT actor, action, target_type, target_id, data, ip, by_anonymous_reporter"
            " FROM audit_log WHERE target_type = 'complaint'"
        )
        assert len(audit) == 1
        assert tuple(audit[0])[:4] == (
            people["citizen"],
            "complaint.submit",
            "complaint",
            str(complaint_id),
        )
        assert json.loads(audit[0]["data"]) == {"number": c["number"]}
        assert audit[0]["by_anonymous_reporter"] is False
        notes = await conn.fetch(
            'SELECT "user", kind, title, body, complaint, is_read FROM notifications'
        )
        assert [tuple(n) for n in notes] == [
            (
                people["citizen"],
                "submitted",
                f"Pengaduan {c['number']} diterima",
                "Jalan berlubang di depan pasar",
                complaint_id,
                False,
            )
        ]
        mails = await conn.fetch("SELECT channel, recipient, payload, attempts FROM outbox")
        assert [(m["channel"], m["recipient"], m["attempts"]) for m in mails] == [
            ("email", "warga@uji.test", 0)
        ]
        payload = json.loads(mails[0]["payload"])
        assert payload["kind"] == "complaint_received"
        # Queued with its subject and what writes it when sent, not its bodies.
        assert "text" not in payload and "html" not in payload
        payload = written(payload)
        assert c["number"] in payload["subject"] and c["tracking_code"] in payload["text"]
        assert f"/pengaduan/{complaint_id}" in payload["text"]
    finally:
        await conn.close()
    submitted = json.dumps({"event": "submitted", "complaint": complaint_id}, separators=(",", ":"))
    assert sorted(await heard.everything()) == sorted(
        [
            (f"user_{people['citizen']}", '{"event":"notification"}'),  # the bell
            ("outbox", ""),  # the worker's wake-up
            (f"queue_{people['unit']}", submitted),  # the unit's queues
            (f"user_{people['citizen']}", submitted),  # the reporter's open pages
            ("stats", submitted),  # the statistics
        ]
    )


async def test_an_anonymous_reporter_is_not_named_by_the_audit_entry(
    people: dict[str, int], category: int, db_dsn: str, settings: Settings
) -> None:
    fields = ComplaintFields(
        title="Lampu jalan mati",
        body="Sudah seminggu lampu jalan di gang ini mati total.",
        category_id=category,
        location_text="",
        latitude=None,
        longitude=None,
        urgency="normal",
        is_anonymous=True,
        is_public=True,
    )
    done = await filing.create_complaint(
        reporter_id=people["citizen"], fields=fields, ip="10.1.2.3", settings=settings
    )
    conn = await asyncpg.connect(db_dsn)
    try:
        row = await conn.fetchrow(
            "SELECT actor, ip, by_anonymous_reporter FROM audit_log WHERE target_id = $1",
            str(done.id),
        )
    finally:
        await conn.close()
    assert tuple(row) == (None, "", True)


async def test_a_failed_submission_writes_and_sends_nothing(
    people: dict[str, int], category: int, heard: Heard, db_dsn: str, settings: Settings
) -> None:
    conn = await asyncpg.connect(db_dsn)
    await conn.execute(
        "CREATE FUNCTION refuse_submission() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'refused'; END $$;"
        " CREATE TRIGGER refuse_submission AFTER INSERT ON outbox"
        " FOR EACH ROW EXECUTE FUNCTION refuse_submission();"
    )
    try:
        with pytest.raises(asyncpg.RaiseError):
            await filing.create_complaint(
                reporter_id=people["citizen"],
                fields=ComplaintFields(
                    title="Got mampet",
                    body="Air meluap ke jalan setiap kali hujan turun.",
                    category_id=category,
                    location_text="",
                    latitude=None,
                    longitude=None,
                    urgency="normal",
                    is_anonymous=False,
                    is_public=True,
                ),
                settings=settings,
            )
        for table in ("complaints", "status_history", "audit_log", "notifications", "outbox"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    finally:
        await conn.execute(
            "DROP TRIGGER IF EXISTS refuse_submission ON outbox;"
            " DROP FUNCTION IF EXISTS refuse_submission();"
        )
        await conn.close()
    assert await heard.everything() == []


async def test_a_submission_costs_four_statements(
    as_role, category: int, count_queries: list[str]
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    key = await _form_key(citizen)
    count_queries.clear()
    response = await citizen.post("/pengaduan/baru", data=_form(key, category))
    assert response.status_code == 303, response.text[:2000]
    # The session lookup; the form's key, the categories and the new complaint's id, number,
    # routing and reporter; everything it writes; its events, after the commit.
    assert len(count_queries) == 4, count_queries


async def test_a_form_refused_takes_no_number(
    as_role, category: int, count_queries: list[str], db_dsn: str
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    key = await _form_key(citizen)
    response = await citizen.post("/pengaduan/baru", data=_form(key, category, title="x"))
    assert response.status_code == 422
    response = await citizen.post("/pengaduan/baru", data=_form(key, category))
    assert response.status_code == 303
    conn = await asyncpg.connect(db_dsn)
    try:
        numbers = await conn.fetch("SELECT number FROM complaints")
    finally:
        await conn.close()
    assert [r["number"].rsplit("-", 1)[1] for r in numbers] == ["000001"]


async def test_a_submission_checks_no_protocol_at_run_time(
    as_role, category: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Litestar validates what it injects unless told not to (web.kit's SkipValidation): the
    # storage's check against the Storage protocol walked the protocol's classes on every
    # submission (Python 3.11 keeps nothing of it between checks).
    import typing

    citizen: httpx.AsyncClient = await as_role("citizen")
    key = await _form_key(citizen)
    walks = 0
    walk = typing._get_protocol_attrs  # type: ignore[attr-defined]

    def counted(cls: type) -> object:
        nonlocal walks
        walks += 1
        return walk(cls)

    monkeypatch.setattr(typing, "_get_protocol_attrs", counted)
    response = await citizen.post("/pengaduan/baru", data=_form(key, category))
    assert response.status_code == 303, response.text[:2000]
    assert walks == 0


async def _held_group(db_dsn: str, posts: list, first) -> list[httpx.Response]:
    """`first` (a coroutine) sent while another connection holds the outbox, so its statement
    waits; then `posts` (coroutines) sent, waiting behind it; then the outbox let go."""
    from pengaduan.complaints import submission

    late, submission.GROUP.late = submission.GROUP.late, None  # however long they wait
    try:
        return await _held(db_dsn, posts, first)
    finally:
        submission.GROUP.late = late


async def _held(db_dsn: str, posts: list, first) -> list[httpx.Response]:
    from pengaduan.complaints import submission

    holder = await asyncpg.connect(db_dsn)
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("LOCK TABLE outbox IN SHARE MODE")
        first_task = asyncio.ensure_future(first)
        await wait_until_async(
            lambda: _waiting_locks(holder), "the first statement to wait for the lock", TIMEOUT
        )
        others = [asyncio.ensure_future(post) for post in posts]
        queue = submission.GROUP._queues[asyncio.get_running_loop()]
        await wait_until_async(
            lambda: len(queue.waiting) == len(posts), "the others to wait", TIMEOUT
        )
        await transaction.commit()
        return [await first_task, *[await task for task in others]]
    finally:
        await holder.close()


def _waiting_locks(conn: asyncpg.Connection):
    async def check() -> bool:
        return bool(await conn.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"))

    return check()


async def test_submissions_of_the_same_moment_share_one_statement(
    as_role, people: dict[str, int], category: int, db_dsn: str, count_queries: list[str]
) -> None:
    citizens = [await as_role("citizen") for _ in range(6)]
    keys = [await _form_key(c) for c in citizens]
    count_queries.clear()
    forms = [_form(key, category, title=f"Jalan rusak nomor {i}") for i, key in enumerate(keys)]
    posts = [c.post("/pengaduan/baru", data=f) for c, f in zip(citizens, forms, strict=True)]
    answers = await _held_group(db_dsn, posts[1:], posts[0])
    assert [a.status_code for a in answers] == [303] * 6, [a.text[:500] for a in answers]
    writes = [sql for sql in count_queries if "jsonb_to_recordset" in sql]
    assert len(writes) == 2  # the first alone, the five that came while it waited together
    ids = [int(re.search(r"/pengaduan/(\d+)/", a.headers["location"])[1]) for a in answers]
    conn = await asyncpg.connect(db_dsn)
    try:
        rows = await conn.fetch(
            "SELECT c.id, c.title, c.number,"
            " (SELECT count(*) FROM status_history h WHERE h.complaint = c.id) AS history,"
            " (SELECT count(*) FROM audit_log a WHERE a.target_type = 'complaint'"
            " AND a.target_id = c.id::text) AS audit,"
            " (SELECT count(*) FROM notifications n WHERE n.complaint = c.id) AS notes"
            " FROM complaints c WHERE c.id = ANY($1::int[]) ORDER BY c.id",
            ids,
        )
        assert sorted(r["title"] for r in rows) == [f"Jalan rusak nomor {i}" for i in range(6)]
        assert len({r["number"] for r in rows}) == 6
        assert {(r["history"], r["audit"], r["notes"]) for r in rows} == {(1, 1, 1)}
    finally:
        await conn.close()


async def test_a_refused_row_fails_only_its_own_submission(
    as_role, category: int, db_dsn: str, count_queries: list[str]
) -> None:
    # The same form sent twice at once lands in one group with its twin: the statement is
    # refused (the key is unique), then each row is written alone: the twin's request gets
    # the first complaint back, the neighbours are filed.
    citizen = await as_role("citizen")
    others = [await as_role("citizen") for _ in range(2)]
    key = await _form_key(citizen)
    twin = _form(key, category)
    posts = [
        citizen.post("/pengaduan/baru", data=twin),
        citizen.post("/pengaduan/baru", data=twin),
        *[o.post("/pengaduan/baru", data=_form(await _form_key(o), category)) for o in others],
    ]
    first = others[0].post("/pengaduan/baru", data=_form(await _form_key(others[0]), category))
    count_queries.clear()
    answers = await _held_group(db_dsn, posts, first)
    assert [a.status_code for a in answers] == [303] * 5, [a.text[:500] for a in answers]
    # The first alone; the group of four, refused; each of the four alone.
    assert len([sql for sql in count_queries if "jsonb_to_recordset" in sql]) == 6
    assert answers[1].headers["location"] == answers[2].headers["location"]
    conn = await asyncpg.connect(db_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM complaints") == 4
    finally:
        await conn.close()
