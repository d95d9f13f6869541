"""The statistics: the numbers (cards, exact medians, deadline share, rating average), the
filters, the daily aggregate the triggers keep, who may see what, and the public page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from pengaduan.clock import JAKARTA
from pengaduan.statistics import figures as stats
from pengaduan.statistics import public, queries
from pengaduan.statistics.filters import StatsFilters
from tests.factories import make_category, make_complaint, make_unit

HOUR = timedelta(hours=1)


async def _rate(complaint: int, score: int) -> None:
    from pengaduan.complaints.tables import Rating

    await Rating.insert(Rating(complaint=complaint, score=score, created_at=datetime.now(UTC)))


@pytest.fixture
async def world(people: dict[str, int]) -> dict[str, int]:
    """Seven complaints with every time chosen (see each line); six in the last 30 days."""
    now = datetime.now(UTC)
    unit_a, unit_b = people["unit"], await make_unit("Dinas Bina Marga")
    cat_a = await make_category(unit_a, "Jalan Rusak", deadline_days=7)
    cat_b = await make_category(unit_b, "Lampu Jalan", deadline_days=7)
    ids: dict[str, int] = {"unit_a": unit_a, "unit_b": unit_b, "cat_a": cat_a, "cat_b": cat_b}

    async def complaint(name: str, submitted: datetime, **fields) -> None:
        fields.setdefault("category", cat_a)
        fields.setdefault("unit", unit_a)
        ids[name] = await make_complaint(
            reporter=people["citizen"], submitted_at=submitted, **fields
        )

    s1 = now - timedelta(days=5)
    # First response 2 h, resolved in 10 h, within the 7-day deadline; rated 4.
    await complaint(
        "c1", s1, status="resolved", first_response_at=s1 + 2 * HOUR, resolved_at=s1 + 10 * HOUR
    )
    s2 = now - timedelta(days=6)
    # First response 4 h, resolved in 30 h, after its deadline (1 h); rated 2.
    await complaint(
        "c2",
        s2,
        status="resolved",
        due_at=s2 + HOUR,
        first_response_at=s2 + 4 * HOUR,
        resolved_at=s2 + 30 * HOUR,
    )
    s3 = now - timedelta(days=7)
    # First response 6 h, resolved in 50 h (then closed), on time.
    await complaint(
        "c3",
        s3,
        status="closed",
        first_response_at=s3 + 6 * HOUR,
        resolved_at=s3 + 50 * HOUR,
        closed_at=s3 + 60 * HOUR,
    )
    s4 = now - timedelta(days=10)
    # In progress with the officer, overdue since yesterday; first response 1 h.
    await complaint(
        "c4",
        s4,
        status="in_progress",
        officer=people["officer"],
        due_at=now - timedelta(days=1),
        first_response_at=s4 + HOUR,
    )
    # Unit B: one pending public complaint, one pending private and anonymous one.
    await complaint("c5", now - timedelta(days=1), unit=unit_b, category=cat_b)
    await complaint(
        "c6",
        now - timedelta(days=2),
        unit=unit_b,
        category=cat_b,
        is_public=False,
        is_anonymous=True,
        title="Rahasia pribadi sekali",
    )
    s7 = now - timedelta(days=60)
    # Outside the last 30 days: resolved in 100 h.
    await complaint(
        "c7", s7, status="resolved", first_response_at=s7 + HOUR, resolved_at=s7 + 100 * HOUR
    )
    await _rate(ids["c1"], 4)
    await _rate(ids["c2"], 2)
    return ids


def _resolved_this_month(*resolved: datetime) -> int:
    start = datetime.now(JAKARTA).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return sum(1 for when in resolved if when >= start)


@pytest.mark.usefixtures("app")
async def test_cards_of_the_last_30_days(world: dict[str, int]) -> None:
    figures = await stats.compute(StatsFilters())
    cards = figures.cards
    assert cards["total"] == 6
    assert cards["open"] == 3
    assert cards["overdue"] == 1
    # Exact medians over every complaint: first responses 1, 2, 4, 6 h -> 3 h (interpolated);
    # resolutions 10, 30, 50 h -> 30 h.
    assert cards["median_first_response"] == pytest.approx(3 * 3600)
    assert cards["median_resolve"] == pytest.approx(30 * 3600)
    assert cards["resolved"] == 3
    assert cards["on_time_share"] == pytest.approx(2 / 3)
    assert cards["rating_average"] == pytest.approx(3.0)
    assert cards["rating_count"] == 2
    now = datetime.now(UTC)
    assert cards["resolved_this_month"] == _resolved_this_month(
        now - timedelta(days=5) + 10 * HOUR,
        now - timedelta(days=6) + 30 * HOUR,
        now - timedelta(days=7) + 50 * HOUR,
        now - timedelta(days=60) + 100 * HOUR,
    )


@pytest.mark.usefixtures("app")
async def test_filters_narrow_every_figure(world: dict[str, int]) -> None:
    unit_b = (await stats.compute(StatsFilters(unit=world["unit_b"]))).cards
    assert (unit_b["total"], unit_b["open"], unit_b["overdue"]) == (2, 2, 0)
    assert unit_b["median_resolve"] is None and unit_b["rating_average"] is None

    category = await stats.compute(StatsFilters(category=world["cat_a"]))
    assert category.cards["total"] == 4
    assert [c["value"] for c in category.by_category] == [4]

    everything = await stats.compute(StatsFilters(period="all"))
    assert everything.cards["total"] == 7
    # 10, 30, 50, 100 h: the median of an even count is the mean of the middle two.
    assert everything.cards["median_resolve"] == pytest.approx(40 * 3600)

    today = datetime.now(JAKARTA).date()
    window = StatsFilters.from_query(
        {
            "period": "custom",
            "from": (today - timedelta(days=6)).isoformat(),
            "to": today.isoformat(),
        }
    )
    assert not window.errors
    # c1 (5 days ago), c2 (6), c5 (1), c6 (2); days are counted in Western Indonesia Time.
    assert (await stats.compute(window)).cards["total"] == 4


@pytest.mark.usefixtures("app")
async def test_charts_and_tables(world: dict[str, int], people: dict[str, int]) -> None:
    figures = await stats.compute(StatsFilters())
    assert {s["status"]: s["value"] for s in figures.by_status} == {
        "pending": 2,
        "in_progress": 1,
        "resolved": 2,
        "closed": 1,
    }
    assert [(u["label"], u["value"]) for u in figures.by_unit] == [
        ("Dinas Uji", 4),
        ("Dinas Bina Marga", 2),
    ]
    assert sum(item["value"] for item in figures.over_time) == 6
    assert figures.interval == "day" and len(figures.over_time) == 30
    # Resolution times: 10 h (< 1 day), 30 h and 50 h (1 to 3 days).
    assert [b["value"] for b in figures.resolution_times] == [1, 2, 0, 0, 0, 0]
    first = figures.unit_ranking[0]
    assert (first["name"], first["overdue"], first["open"]) == ("Dinas Uji", 1, 1)
    officer = next(o for o in figures.officers if o["id"] == people["officer"])
    assert (officer["open"], officer["overdue"], officer["assigned"]) == (1, 1, 1)


async def _aggregate(dsn: str) -> list[tuple]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            # Summed per key: a key may have several slots (concurrent writers).
            "SELECT day, unit, category, officer, status, is_public, sum(complaints),"
            " sum(resolved), sum(resolved_on_time), sum(rating_sum), sum(rating_count)"
            " FROM complaint_daily GROUP BY 1, 2, 3, 4, 5, 6"
            " HAVING sum(complaints) <> 0 OR sum(rating_count) <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
        )
    finally:
        await conn.close()
    return [tuple(r) for r in rows]


@pytest.mark.usefixtures("app")
async def test_triggers_keep_the_aggregate_equal_to_a_rebuild(
    world: dict[str, int], db_dsn: str, people: dict[str, int]
) -> None:
    conn = await asyncpg.connect(db_dsn)
    try:
        now = datetime.now(UTC)
        # A status change, an assignment, a resolution, a rating changed, one deleted.
        await conn.execute("UPDATE complaints SET status = 'verified' WHERE id = $1", world["c5"])
        await conn.execute(
            "UPDATE complaints SET officer = $1, status = 'resolved', resolved_at = $2"
            " WHERE id = $3",
            people["officer"],
            now,
            world["c4"],
        )
        await conn.execute("UPDATE ratings SET score = 5 WHERE complaint = $1", world["c1"])
        await conn.execute("DELETE FROM ratings WHERE complaint = $1", world["c2"])
        await conn.execute("UPDATE complaints SET updated_at = now()")  # nothing counted moves
    finally:
        await conn.close()
    kept = await _aggregate(db_dsn)
    assert await queries.rebuild() > 0
    assert await _aggregate(db_dsn) == kept
    cards = (await stats.compute(StatsFilters())).cards
    assert (cards["open"], cards["resolved"], cards["rating_average"]) == (2, 4, 5.0)


async def test_statistics_page_is_for_admins_only(as_role, world: dict[str, int]) -> None:
    for role in ("citizen", "officer"):
        client: httpx.AsyncClient = await as_role(role)
        assert (await client.get("/admin/statistik")).status_code == 403
    admin = await as_role("admin")
    page = await admin.get("/admin/statistik")
    assert page.status_code == 200
    assert 'id="stats-region"' in page.text and 'id="card-total">6<' in page.text
    assert 'hx-trigger="every 60s, sse:stats from:body"' in page.text
    assert "<svg" in page.text and "<title" in page.text and "<desc" in page.text
    # A filter change through htmx: only the region, never the whole page.
    partial = await admin.get(
        f"/admin/statistik?unit={world['unit_b']}", headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200 and "<html" not in partial.text
    assert 'id="card-total">2<' in partial.text and 'id="stats-filters"' not in partial.text
    assert "HX-Request" in partial.headers["vary"]
    cards = await admin.get(
        f"/admin/statistik/kartu?unit={world['unit_b']}", headers={"HX-Request": "true"}
    )
    assert cards.text.lstrip().startswith('<section id="stats-cards"')
    assert (await admin.get("/admin", follow_redirects=False)).headers["location"] == (
        "/admin/statistik"
    )


async def test_wrong_dates_keep_what_was_typed_with_a_message(
    as_role, world: dict[str, int]
) -> None:
    admin = await as_role("admin")
    page = await admin.get("/admin/statistik?period=custom&from=2026-13-45&to=kemarin")
    assert page.status_code == 422
    assert 'value="2026-13-45"' in page.text and 'value="kemarin"' in page.text
    assert 'id="e-from"' in page.text and 'id="e-to"' in page.text
    edge = await admin.get("/admin/statistik?period=custom&from=0001-01-01&to=9999-12-31")
    assert edge.status_code == 422
    report = await admin.get(f"/admin/laporan?unit={world['unit_a']}&month=9999-12")
    assert report.status_code == 422


async def test_monthly_report(as_role, world: dict[str, int]) -> None:
    admin = await as_role("admin")
    month = datetime.now(JAKARTA).strftime("%Y-%m")
    page = await admin.get(f"/admin/laporan?unit={world['unit_a']}&month={month}")
    assert page.status_code == 200
    assert 'id="report"' in page.text and "Dinas Uji" in page.text
    wrong = await admin.get("/admin/laporan?unit=&month=bulan-lalu")
    assert wrong.status_code == 422 and 'value="bulan-lalu"' in wrong.text


async def test_transparency_page_shows_public_figures_only(
    client: httpx.AsyncClient, world: dict[str, int]
) -> None:
    public.clear_public_cache()
    page = await client.get("/transparansi?period=30")
    assert page.status_code == 200
    # Six complaints in the last 30 days, one of them private: five counted.
    assert 'id="pub-total">5<' in page.text
    assert "Rahasia" not in page.text and "ADU-" not in page.text
    assert "Warga" not in page.text and "Petugas" not in page.text
    assert page.headers["cache-control"].startswith("public, max-age=")
    assert 'href="/transparansi"' in (await client.get("/")).text


@pytest.mark.usefixtures("app")
async def test_stats_rebuild_command_recounts_a_damaged_aggregate(
    world: dict[str, int], db_dsn: str
) -> None:
    import os
    import subprocess
    import sys

    kept = await _aggregate(db_dsn)
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute("DELETE FROM complaint_daily")
    finally:
        await conn.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
    env.update(DATABASE_URL=db_dsn, PENGADUAN_DATA_DIR="var/test")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "pengaduan.cli", "stats-rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "recounted" in result.stdout
    assert await _aggregate(db_dsn) == kept


def _home_numbers(page: str) -> list[int]:
    """Total, being handled, resolved: the home page's "public reports so far"."""
    import re

    stats = page.split('<ul class="stats">', 1)[1].split("</ul>", 1)[0]
    return [
        int(n.replace(".", "").replace(",", "")) for n in re.findall(r"<strong>([^<]+)<", stats)
    ]


def _transparency_numbers(page: str) -> list[int]:
    import re

    return [
        int(re.search(rf'id="pub-{card}">([^<]+)<', page).group(1).replace(".", ""))
        for card in ("total", "open", "resolved")
    ]


async def test_home_and_transparency_count_the_same_public_reports(
    client: httpx.AsyncClient, people: dict[str, int]
) -> None:
    """Both count public complaints not withdrawn (as the archive shows them), from the same
    aggregate: withdrawn ones made transparency count more than home (37 against 34)."""
    now = datetime.now(UTC)
    unit = people["unit"]
    category = await make_category(unit, "Jalan Rusak", deadline_days=7)

    async def complaint(status: str, *, days: int = 3, **fields) -> None:
        submitted = now - timedelta(days=days)
        if status in ("resolved", "closed"):
            fields.setdefault("resolved_at", submitted + 10 * HOUR)
            fields.setdefault("first_response_at", submitted + 2 * HOUR)
        await make_complaint(
            reporter=people["citizen"],
            unit=unit,
            category=category,
            status=status,
            submitted_at=submitted,
            **fields,
        )

    for status in ("pending", "verified", "in_progress", "in_progress", "resolved", "closed"):
        await complaint(status)
    await complaint("rejected", first_response_at=now - 2 * HOUR)
    await complaint("pending", is_anonymous=True)  # public, the reporter's name hidden
    # Withdrawn (one after a reply), and private ones: counted by neither page.
    await complaint("withdrawn")
    await complaint("withdrawn", first_response_at=now - 2 * HOUR)
    await complaint("pending", is_public=False)
    await complaint("resolved", is_public=False)

    public.clear_public_cache()
    home = _home_numbers((await client.get("/")).text)
    assert home == [8, 5, 2]
    assert _transparency_numbers((await client.get("/transparansi")).text) == home
    assert _transparency_numbers((await client.get("/transparansi?period=all")).text) == home

    # Home counts all time: what "all time" on the transparency page shows.
    await complaint("closed", days=400)
    public.clear_public_cache()
    home = _home_numbers((await client.get("/")).text)
    assert home == [9, 5, 3]
    assert _transparency_numbers((await client.get("/transparansi?period=all")).text) == home


@pytest.mark.usefixtures("app")
@pytest.mark.usefixtures("app")
async def test_overdue_counts_read_only_the_periods_open_complaints(
    people: dict[str, int],
) -> None:
    """The overdue count of a period is entered at the period's start in an index of open
    complaints by submission time (complaints_stats_open_period), not walked over every
    overdue complaint by due time and filtered: at a million complaints that was 264 ms for
    the last 30 days, against 1.4 ms at ten thousand."""
    from pengaduan import db

    # Two years of complaints, a week to handle each, a third of them still open: most of
    # the open ones overdue, few submitted in the last 30 days. (On an empty table the
    # planner's choice tells nothing once the table has been analysed.)
    category = await make_category(people["unit"], "Jalan Rusak", deadline_days=7)
    await db.execute(
        "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
        " status, priority, submitted_at, updated_at, due_at)"
        " SELECT 'ADU-2025-' || lpad(i::text, 6, '0'), 'KODE' || i, $1, $2, $3, 'Jalan', 'Isi',"
        " (ARRAY['pending', 'in_progress', 'resolved'])[1 + i % 3], 'normal',"
        " now() - i * interval '1 hour', now(), now() - i * interval '1 hour' + interval '7 days'"
        " FROM generate_series(1, 17520) AS i",
        people["citizen"],
        category,
        people["unit"],
    )
    await db.execute("ANALYZE complaints")
    filters = StatsFilters()
    start, end = filters.days()
    sql, args = queries.overdue_sql(filters, start, end, False)
    plan = [row["QUERY PLAN"] for row in await db.fetch("EXPLAIN " + sql, *args)]
    text = "\n".join(plan)
    assert "complaints_stats_open_period" in text, text
    assert any("Index Cond" in line and "submitted_at" in line for line in plan), text


# Times to resolve (hours) and which way the median's walk goes: up from the lower bound of
# the middle's bucket, or down from the upper bound of the upper middle's (the shorter).
# Buckets: < 24, < 72, < 168, < 336, < 720, more.
WALKS = [
    ([1, 2, 3, 4, 20, 21, 22, 23, 30], False),  # odd, in the upper part of its bucket
    ([1, 2, 3, 23, 30, 40], False),  # even, both middle ones in one bucket
    ([1, 2, 3, 30, 40, 100], False),  # even, the upper middle one in the next bucket
    ([1, 2, 30, 40], True),  # even, walked up into the next bucket
    ([800, 900, 1000], True),  # the last bucket, which has no upper bound
]


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize(("hours", "up"), WALKS)
async def test_medians_walked_up_or_down_equal_percentile_cont(
    people: dict[str, int], hours: list[int], up: bool
) -> None:
    """The median's index walk goes from whichever end of its bucket is nearer (half a
    bucket at most; at a million complaints the time to resolve over all time took 103 ms
    walking up, 45 ms now), and gives what percentile_cont gives, overall and per unit."""
    from pengaduan import db

    unit = await make_unit("Dinas Median")
    category = await make_category(unit, "Median", deadline_days=30)
    submitted = datetime.now(UTC) - timedelta(days=45)
    for hour in hours:
        await make_complaint(
            reporter=people["citizen"],
            unit=unit,
            category=category,
            status="resolved",
            submitted_at=submitted,
            resolved_at=submitted + hour * HOUR,
        )
    filters = StatsFilters(period="90", unit=unit)
    start, end = filters.days()
    exact = await db.fetchval(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY"
        " extract(epoch FROM resolved_at - submitted_at)::float8)"
        " FROM complaints WHERE unit = $1 AND resolved_at IS NOT NULL",
        unit,
    )
    sql, args = queries.median_sql("resolve", filters, start, end, False)
    assert queries.median(await db.fetch(sql, *args)) == pytest.approx(exact)
    sql, args = queries.unit_medians_sql(filters, start, end, False)
    assert queries.median(await db.fetch(sql, *args)) == pytest.approx(exact)
    # The way it went.
    _expr, _present, buckets = queries.MEDIANS["resolve"]
    where = queries.aggregate_where(filters, start, end, False)
    picked = f"WITH {queries._pick_sql(buckets, where.sql, '')} SELECT up FROM pick"
    assert await db.fetchval(picked, *where.args) is up
