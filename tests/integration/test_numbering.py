"""Complaint numbers come from a sequence: submissions never wait on each other for one, every
number is distinct, and numbers continue past those already stored (demo data)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import asyncpg
import pytest
from litestar import Litestar

from pengaduan import demo
from pengaduan.complaints import filing, numbering
from pengaduan.complaints.forms import ComplaintFields
from pengaduan.settings import Settings
from tests.support.waiting import wait_until_async

NUMBER = re.compile(r"^ADU-\d{4}-\d{6,}$")
HOLD_LOCK = 7_130_001
# Long enough for a healthy submission on a busy machine; on the old counter row the second
# submission waits for the held one's commit, which never comes before this runs out.
TIMEOUT = 20.0


@pytest.fixture
async def category(app: Litestar, people: dict[str, int]) -> int:
    from pengaduan.agency.tables import Category

    rows = await Category.insert(
        Category(name="Jalan Rusak", icon="🛣️", default_unit=people["unit"], deadline_days=7)
    ).returning(Category.id)
    return rows[0]["id"]


def _fields(category: int, title: str) -> ComplaintFields:
    return ComplaintFields(
        title=title,
        body="Lubang besar di tengah jalan, berbahaya bagi pengendara motor.",
        category_id=category,
        location_text="Jl. Dago",
        latitude=None,
        longitude=None,
        urgency="normal",
        is_anonymous=False,
        is_public=True,
    )


async def _submit(
    people: dict[str, int], category: int, title: str, settings: Settings
) -> filing.Submitted:
    return await filing.create_complaint(
        reporter_id=people["citizen"], fields=_fields(category, title), settings=settings
    )


@pytest.fixture
async def held_submissions(db_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A submission titled 'Tahan' stops inside its transaction (its number taken, its row and
    everything else it writes already written, the queue version and the daily aggregate the
    complaint triggers write included) until the yielded connection releases HOLD_LOCK.

    A deferred trigger: it runs when the transaction commits, after every statement of the
    submission (it is one statement, complaints.submission) and its triggers."""
    holder = await asyncpg.connect(db_dsn)
    await holder.execute(
        f"""
        CREATE FUNCTION hold_submission() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({HOLD_LOCK});
            RETURN NEW;
        END $$;
        CREATE CONSTRAINT TRIGGER hold_submission AFTER INSERT ON complaints
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.title = 'Tahan')
            EXECUTE FUNCTION hold_submission();
        """
    )
    await holder.execute("SELECT pg_advisory_lock($1)", HOLD_LOCK)
    try:
        yield holder
    finally:
        await holder.execute("SELECT pg_advisory_unlock_all()")
        await holder.execute(
            "DROP TRIGGER IF EXISTS hold_submission ON complaints;"
            " DROP FUNCTION IF EXISTS hold_submission();"
        )
        await holder.close()


async def _wait_until_held(holder: asyncpg.Connection) -> None:
    await wait_until_async(
        lambda: holder.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = $1",
            HOLD_LOCK,
        ),
        "the held submission reaching its hold",
        TIMEOUT,
    )


async def test_submissions_commit_while_another_submission_is_open(
    people: dict[str, int],
    category: int,
    held_submissions: asyncpg.Connection,
    settings: Settings,
    count_queries: list[str],
) -> None:
    version_sql = "SELECT coalesce(sum(version), 0) FROM queue_versions WHERE unit = $1"
    versions_before = await held_submissions.fetchval(version_sql, people["unit"])
    held = asyncio.create_task(_submit(people, category, "Tahan", settings))
    try:
        await _wait_until_held(held_submissions)
        # 29 more at once, each on its own connection, while the first is mid-transaction.
        others = await asyncio.wait_for(
            asyncio.gather(
                *(_submit(people, category, f"Laporan {i:02d}", settings) for i in range(29))
            ),
            TIMEOUT,
        )
        assert not held.done()
    finally:
        await held_submissions.execute("SELECT pg_advisory_unlock($1)", HOLD_LOCK)
    first = await asyncio.wait_for(held, TIMEOUT)
    numbers = [first.number, *(s.number for s in others)]
    assert len(set(numbers)) == 30
    assert all(NUMBER.match(n) for n in numbers)
    # The rows the triggers wrote into slots add up to what they count.
    conn = held_submissions
    assert await conn.fetchval("SELECT sum(complaints) FROM complaint_daily") == 30
    # Each statement that wrote complaints of the unit raised its version once (submissions
    # of the same moment share one: complaints.submission's GROUP).
    writes = len([sql for sql in count_queries if "INSERT INTO complaints" in sql])
    assert 1 < writes <= 30
    assert await conn.fetchval(version_sql, people["unit"]) >= versions_before + writes
    per_key = (
        "SELECT day, unit, category, officer, status, is_public, sum(complaints) AS n"
        " FROM complaint_daily GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(complaints) <> 0 ORDER BY 1"
    )
    from_triggers = [tuple(r) for r in await conn.fetch(per_key)]
    await conn.execute("SELECT complaint_daily_rebuild()")
    assert [tuple(r) for r in await conn.fetch(per_key)] == from_triggers


def test_the_number_format() -> None:
    assert numbering.number_for(2026, 27) == "ADU-2026-000027"
    assert numbering.number_for(2027, 1_234_567) == "ADU-2027-1234567"
    assert NUMBER.match(numbering.number_for(2026, 1))


async def test_a_rolled_back_submission_leaves_a_gap_and_the_next_one_works(
    people: dict[str, int], category: int, db_dsn: str, settings: Settings
) -> None:
    first = await _submit(people, category, "Pertama", settings)
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "CREATE FUNCTION refuse_submission() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'refused'; END $$;"
            " CREATE TRIGGER refuse_submission AFTER INSERT ON status_history"
            " FOR EACH ROW EXECUTE FUNCTION refuse_submission();"
        )
        with pytest.raises(asyncpg.RaiseError):
            await _submit(people, category, "Gagal", settings)
    finally:
        await conn.execute(
            "DROP TRIGGER IF EXISTS refuse_submission ON status_history;"
            " DROP FUNCTION IF EXISTS refuse_submission();"
        )
        await conn.close()
    after = await _submit(people, category, "Ketiga", settings)
    value = int(first.number.rsplit("-", 1)[1])
    assert int(after.number.rsplit("-", 1)[1]) == value + 2  # the failed one's number is gone


async def test_numbers_continue_past_the_demo_data(
    people: dict[str, int], category: int, db_dsn: str, settings: Settings
) -> None:
    await demo.seed(settings, db_dsn, bulk_complaints=50)
    conn = await asyncpg.connect(db_dsn)
    try:
        highest = await conn.fetchval(
            "SELECT max(split_part(number, '-', 3)::bigint) FROM complaints"
        )
        submitted = await _submit(people, category, "Setelah demo", settings)
        # Straight from the sequence, with no collision to recover from.
        assert await conn.fetchval("SELECT last_value FROM complaint_numbers") == int(
            submitted.number.rsplit("-", 1)[1]
        )
    finally:
        await conn.close()
    assert int(submitted.number.rsplit("-", 1)[1]) == highest + 1


LAST_BEFORE_SEQUENCE = "2026-12-04T12:00:00:000000"


async def test_the_migration_starts_the_sequence_past_numbers_and_counters(
    pg_server_dsn: str,
) -> None:
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

    from pengaduan.db import migrations
    from tests.support.databases import drop_database, recreate_database

    name = "pengaduan_numbering_migration"
    dsn = await recreate_database(pg_server_dsn, name)
    try:
        async with migrations.engine_at(dsn):
            result = await ForwardsMigrationManager(
                app_name="pengaduan", migration_id=LAST_BEFORE_SEQUENCE
            ).run()
        assert result.success, result.message
        conn = await asyncpg.connect(dsn)
        try:
            unit = await conn.fetchval("INSERT INTO units (name) VALUES ('Dinas') RETURNING id")
            user = await conn.fetchval(
                "INSERT INTO users (username, email, password_hash, full_name, role, language,"
                " is_active, created_at, updated_at) VALUES ('warga', 'w@uji.test', 'x', 'W',"
                " 'citizen', 'id', true, now(), now()) RETURNING id"
            )
            category = await conn.fetchval(
                "INSERT INTO categories (name, default_unit) VALUES ('Jalan', $1) RETURNING id",
                unit,
            )
            for number in ("ADU-2025-000077", "ADU-2026-000012"):
                await conn.execute(
                    "INSERT INTO complaints (number, tracking_code, reporter, category, unit,"
                    " title, body, submitted_at, updated_at)"
                    " VALUES ($1, 'ABCD2345', $2, $3, $4, 'Lama', 'Lama', now(), now())",
                    number,
                    user,
                    category,
                    unit,
                )
            # The old counter of this year, ahead of the numbers (a rolled-back submission).
            await conn.execute(
                "INSERT INTO complaint_counters (year, last_value) VALUES (2026, 13)"
            )
            assert await migrations.migrate(dsn)
            assert await conn.fetchval("SELECT nextval('complaint_numbers')") == 78
            assert not await conn.fetchval("SELECT to_regclass('complaint_counters') IS NOT NULL")
        finally:
            await conn.close()
    finally:
        await drop_database(pg_server_dsn, name)
