"""Officers handling complaints: the queue (views, filters, search, order, pages, a fixed number
of queries), claiming under concurrency, every action on the detail page allowed and refused,
internal notes kept from citizens, anonymous reporters kept from staff, forwarding between
queues, reclassification, response templates."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan.complaints.lifecycle import Actor
from pengaduan.errors import CONFLICT, Refused
from pengaduan.handling import actions, queue_routes
from pengaduan.web import pagecache
from tests.conftest import browser_client, log_in
from tests.factories import make_category, make_complaint_in, make_unit, make_user
from tests.support.databases import fetch_rows
from tests.support.waiting import wait_until_async

HTMX = {"HX-Request": "true"}


async def _client_for(app: Litestar, username: str) -> httpx.AsyncClient:
    client = browser_client(app)
    await log_in(client, username)
    return client


def _numbers(html: str) -> list[str]:
    """Complaint numbers in the order the queue shows them."""
    return re.findall(r'class="queue-title"[^>]*><strong>(ADU-[0-9-]+)</strong>', html)


# --- the queue ---------------------------------------------------------------------------------


async def test_queue_views_show_mine_unassigned_and_the_whole_unit(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    await make_complaint_in(d, number="ADU-2026-000101", officer=d["officer"])
    await make_complaint_in(d, number="ADU-2026-000102")
    await make_complaint_in(d, number="ADU-2026-000103", officer=d["officer2"])
    await make_complaint_in(d, number="ADU-2026-000104", status="resolved", officer=d["officer"])
    await make_complaint_in(
        d, number="ADU-2026-000105", unit=d["other_unit"], category=d["other_category"]
    )
    officer: httpx.AsyncClient = await as_role("officer")

    mine = await officer.get("/petugas/antrean?view=mine")
    assert mine.status_code == 200
    assert _numbers(mine.text) == ["ADU-2026-000101"]
    unassigned = await officer.get("/petugas/antrean?view=unassigned")
    assert _numbers(unassigned.text) == ["ADU-2026-000102"]
    unit = await officer.get("/petugas/antrean")  # the default view: all of my unit, open ones
    assert sorted(_numbers(unit.text)) == ["ADU-2026-000101", "ADU-2026-000102", "ADU-2026-000103"]
    # An officer asking for every unit still sees only theirs.
    every = await officer.get("/petugas/antrean?view=all&unit=" + str(d["other_unit"]))
    assert "ADU-2026-000105" not in every.text
    assert sorted(_numbers(every.text)) == sorted(_numbers(unit.text))
    finished = await officer.get("/petugas/antrean?status=any")
    assert "ADU-2026-000104" in _numbers(finished.text)


async def test_admin_queue_covers_every_unit_and_filters_by_unit(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    await make_complaint_in(d, number="ADU-2026-000201")
    await make_complaint_in(
        d, number="ADU-2026-000202", unit=d["other_unit"], category=d["other_category"]
    )
    admin: httpx.AsyncClient = await as_role("admin")
    page = await admin.get("/petugas/antrean")
    assert sorted(_numbers(page.text)) == ["ADU-2026-000201", "ADU-2026-000202"]
    assert "Dinas Lain" in page.text  # the unit column for admins
    narrowed = await admin.get(f"/petugas/antrean?unit={d['other_unit']}")
    assert _numbers(narrowed.text) == ["ADU-2026-000202"]


async def test_queue_is_sorted_by_priority_then_due_date(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    now = datetime.now(UTC)
    await make_complaint_in(
        d, number="ADU-2026-000301", priority="low", due_at=now + timedelta(days=1)
    )
    await make_complaint_in(
        d, number="ADU-2026-000302", priority="normal", due_at=now + timedelta(days=5)
    )
    await make_complaint_in(
        d, number="ADU-2026-000303", priority="urgent", due_at=now + timedelta(days=9)
    )
    await make_complaint_in(
        d, number="ADU-2026-000304", priority="normal", due_at=now + timedelta(days=2)
    )
    await make_complaint_in(
        d, number="ADU-2026-000305", priority="high", due_at=now - timedelta(days=1)
    )
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get("/petugas/antrean")
    assert _numbers(page.text) == [
        "ADU-2026-000303",
        "ADU-2026-000305",
        "ADU-2026-000304",
        "ADU-2026-000302",
        "ADU-2026-000301",
    ]


async def test_queue_filters_by_status_category_priority_and_overdue(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    now = datetime.now(UTC)
    second_category = await make_category(d["unit"], "Drainase", deadline_days=7)
    await make_complaint_in(d, number="ADU-2026-000401", status="verified", priority="high")
    await make_complaint_in(d, number="ADU-2026-000402", category=second_category)
    await make_complaint_in(d, number="ADU-2026-000403", due_at=now - timedelta(hours=2))
    await make_complaint_in(
        d, number="ADU-2026-000404", status="closed", due_at=now - timedelta(days=9)
    )
    officer: httpx.AsyncClient = await as_role("officer")

    async def shown(query: str) -> list[str]:
        return sorted(_numbers((await officer.get("/petugas/antrean?" + query)).text))

    assert await shown("status=verified") == ["ADU-2026-000401"]
    assert await shown("status=closed") == ["ADU-2026-000404"]
    assert await shown(f"category={second_category}") == ["ADU-2026-000402"]
    assert await shown("priority=high") == ["ADU-2026-000401"]
    # Overdue means late and still open: the closed one does not count.
    assert await shown("overdue=1") == ["ADU-2026-000403"]
    assert await shown("status=nonsense") == await shown("")  # unknown values fall back


async def test_queue_search_by_number_or_words(as_role, unit_data: dict[str, int]) -> None:
    d = unit_data
    await make_complaint_in(d, number="ADU-2026-000501", title="Lampu jalan mati di gang mawar")
    await make_complaint_in(
        d,
        number="ADU-2026-000502",
        title="Saluran tersumbat",
        body="Selokan penuh sampah plastik dan lumpur sejak minggu lalu.",
    )
    await make_complaint_in(d, number="ADU-2026-000503", title="Trotoar rusak")
    officer: httpx.AsyncClient = await as_role("officer")

    async def found(q: str) -> list[str]:
        response = await officer.get("/petugas/antrean", params={"q": q})
        return sorted(_numbers(response.text))

    assert await found("adu-2026-000503") == ["ADU-2026-000503"]  # exact, any case
    assert await found("ADU-2026-00050") == []  # a number is matched exactly
    assert await found("mawar") == ["ADU-2026-000501"]  # a word of the title
    assert await found("lumpur") == ["ADU-2026-000502"]  # a word of the text
    assert await found("100%_") == []  # LIKE wildcards are plain characters


async def test_queue_pages_hold_25_complaints(as_role, unit_data: dict[str, int]) -> None:
    d = unit_data
    now = datetime.now(UTC)
    for i in range(30):
        await make_complaint_in(
            d, number=f"ADU-2026-{600 + i:06d}", due_at=now + timedelta(hours=i + 1)
        )
    officer: httpx.AsyncClient = await as_role("officer")
    first = await officer.get("/petugas/antrean")
    assert len(_numbers(first.text)) == 25
    assert _numbers(first.text)[0] == "ADU-2026-000600"
    assert "30 " in first.text and "page=2" in first.text
    second = await officer.get("/petugas/antrean?page=2")
    assert _numbers(second.text) == [f"ADU-2026-{600 + i:06d}" for i in range(25, 30)]
    beyond = await officer.get("/petugas/antrean?page=9")
    assert beyond.status_code == 200 and _numbers(beyond.text) == []


async def test_pages_follow_the_urgency_order_across_priorities_and_statuses(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    now = datetime.now(UTC)
    expected = []
    priorities = ("urgent", "high", "normal", "low")
    statuses = ("pending", "verified", "in_progress")
    for i in range(40):
        priority, status = priorities[i * 7 % 4], statuses[i % 3]
        due = now + timedelta(hours=(i * 13) % 29 - 5)
        number = f"ADU-2026-{1200 + i:06d}"
        complaint = await make_complaint_in(
            d,
            number=number,
            priority=priority,
            status=status,
            due_at=due,
            officer=d["officer"] if i % 2 else None,
        )
        expected.append((priorities.index(priority), due, complaint, number, i % 2 == 0))
    await make_complaint_in(d, number="ADU-2026-001299", priority="urgent", status="closed")
    officer: httpx.AsyncClient = await as_role("officer")
    shown = []
    for page in (1, 2):
        shown += _numbers((await officer.get(f"/petugas/antrean?page={page}")).text)
    assert shown == [e[3] for e in sorted(expected)]
    unassigned = _numbers((await officer.get("/petugas/antrean?view=unassigned")).text)
    assert unassigned == [e[3] for e in sorted(expected) if e[4]]


async def test_htmx_gets_only_the_list_which_refreshes_itself(
    as_role, unit_data: dict[str, int]
) -> None:
    await make_complaint_in(unit_data, number="ADU-2026-000701")
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get("/petugas/antrean?view=unassigned")
    assert 'src="/static/js/queue.js' in page.text
    fragment = await officer.get("/petugas/antrean?view=unassigned", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith('<section id="queue"')
    assert "HX-Request" in fragment.headers["vary"]
    # It reloads its own URL (the current filters) on "refresh", when the live stream says
    # the queue changed, and every 30 s (queue.js lets the poll through only without a stream).
    assert 'hx-get="/petugas/antrean?view=unassigned"' in fragment.text
    assert 'hx-trigger="every 30s, refresh, sse:queue from:body delay:300ms"' in fragment.text
    # The view tabs come along (out of band), carrying the filters of the new list.
    assert 'id="queue-tabs" hx-swap-oob="true"' in fragment.text
    assert "[" not in re.search(r'hx-trigger="([^"]*)"', fragment.text).group(1)  # no eval


async def test_a_queue_page_costs_the_same_few_queries_however_many_rows(
    as_role, unit_data: dict[str, int], count_queries: list[str]
) -> None:
    d = unit_data
    officer: httpx.AsyncClient = await as_role("officer")
    counts = {}
    for total in (2, 30):
        while len(_numbers((await officer.get("/petugas/antrean?status=any")).text)) < min(
            total, 25
        ):
            await make_complaint_in(d, officer=d["officer2"])
        for kind, headers in (("page", {}), ("list", HTMX)):
            # Rendered from the database (the caches have their own tests).
            pagecache.clear()
            queue_routes.FORMS.clear()
            count_queries.clear()
            response = await officer.get("/petugas/antrean?status=any", headers=headers)
            assert response.status_code == 200
            on_complaints = [q for q in count_queries if "FROM complaints" in q]
            assert len(on_complaints) == 1, on_complaints  # the rows with their count
            counts[(kind, total)] = len(count_queries)
            # The same page again with nothing changed: only the session lookup.
            count_queries.clear()
            again = await officer.get("/petugas/antrean?status=any", headers=headers)
            assert again.text == response.text
            assert len(count_queries) == 1 and "FROM sessions" in count_queries[0]
    # Session lookup + rows with their count; the whole page adds the category choices.
    assert counts[("list", 2)] == counts[("list", 30)] == 2
    assert counts[("page", 2)] == counts[("page", 30)] == 3


async def test_overdue_and_due_soon_are_flagged(as_role, unit_data: dict[str, int]) -> None:
    d = unit_data
    now = datetime.now(UTC)
    late = await make_complaint_in(d, number="ADU-2026-000801", due_at=now - timedelta(hours=1))
    await make_complaint_in(d, number="ADU-2026-000802", due_at=now + timedelta(hours=5))
    await make_complaint_in(d, number="ADU-2026-000803", due_at=now + timedelta(days=5))
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get("/petugas/antrean")

    def row(number: str) -> str:
        return re.search(
            rf"<li class=\"queue-row[^\"]*\"[^>]*>\s*<a[^>]*><strong>{number}.*?</li>",
            page.text,
            re.S,
        ).group(0)

    assert "badge overdue" in row("ADU-2026-000801") and "is-overdue" in row("ADU-2026-000801")
    assert "badge due-soon" in row("ADU-2026-000802")
    assert "badge overdue" not in row("ADU-2026-000803")
    assert "badge due-soon" not in row("ADU-2026-000803")
    detail = await officer.get(f"/petugas/pengaduan/{late}")
    assert "badge overdue" in detail.text


# --- claiming ----------------------------------------------------------------------------------


async def test_two_officers_claiming_at_once_one_wins(
    app: Litestar, people: dict[str, int], unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d)
    first = await _client_for(app, "petugas")
    second = await _client_for(app, "petugas2")
    try:
        answers = await asyncio.gather(
            first.post(f"/petugas/pengaduan/{complaint}/ambil"),
            second.post(f"/petugas/pengaduan/{complaint}/ambil"),
        )
    finally:
        await first.aclose()
        await second.aclose()
    codes = sorted(r.status_code for r in answers)
    assert codes == [303, 409], codes
    loser = next(r for r in answers if r.status_code == 409)
    (row,) = await fetch_rows(db_dsn, "SELECT officer FROM complaints WHERE id = $1", complaint)
    winner_name = {d["officer"]: "Petugas", d["officer2"]: "Petugas2"}[row["officer"]]
    assert f"{winner_name} " in loser.text  # "<name> has taken this complaint already"
    claims = await fetch_rows(
        db_dsn, "SELECT actor FROM audit_log WHERE action = 'complaint.claim'"
    )
    assert [c["actor"] for c in claims] == [row["officer"]]


async def test_a_claim_that_waited_for_the_row_lock_names_the_officer_who_won(
    people: dict[str, int], unit_data: dict[str, int], db_dsn: str
) -> None:
    """The loser of a race waits on the row lock; once the winner commits, it is told who won
    (a join in the locking statement would still see the complaint unassigned: no name)."""
    d = unit_data
    complaint = await make_complaint_in(d)
    loser = Actor(user_id=d["officer"], role="officer", unit_id=people["unit"])
    winner = await asyncpg.connect(db_dsn)
    try:
        async with winner.transaction():
            await winner.execute(
                "UPDATE complaints SET officer = $1, assigned_at = now() WHERE id = $2",
                d["officer2"],
                complaint,
            )
            waiting = asyncio.create_task(actions.claim(complaint, loser))
            blocked = await wait_until_async(
                lambda: winner.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"),
                "the claim waiting for the row lock",
            )
            assert blocked, "the claim never waited for the row lock"
        with pytest.raises(Refused) as refused:
            await waiting
    finally:
        await winner.close()
    assert refused.value.reason == CONFLICT
    assert "Petugas2 " in refused.value.message


async def test_claim_refusals(as_role, app: Litestar, unit_data: dict[str, int]) -> None:
    d = unit_data
    taken = await make_complaint_in(d, officer=d["officer2"])
    done = await make_complaint_in(d, status="resolved")
    elsewhere = await make_complaint_in(d, unit=d["other_unit"], category=d["other_category"])
    officer: httpx.AsyncClient = await as_role("officer")
    response = await officer.post(f"/petugas/pengaduan/{taken}/ambil", headers=HTMX)
    assert response.status_code == 409
    toast = json.loads(response.headers["hx-trigger"])["pengaduan:toast"]
    assert "Petugas2" in toast["message"]
    assert (await officer.post(f"/petugas/pengaduan/{done}/ambil")).status_code == 409
    assert (await officer.post(f"/petugas/pengaduan/{elsewhere}/ambil")).status_code == 404
    citizen: httpx.AsyncClient = await as_role("citizen")
    assert (await citizen.post(f"/petugas/pengaduan/{taken}/ambil")).status_code == 403
    admin: httpx.AsyncClient = await as_role("admin")
    assert (await admin.post(f"/petugas/pengaduan/{taken}/ambil")).status_code == 409


# --- the detail page and its actions -------------------------------------------------------------


async def test_detail_page_shows_the_complaint_with_its_location_and_evidence(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(
        d,
        title="Jembatan retak",
        location_text="Jl. Merdeka No. 1",
        latitude=-6.914744,
        longitude=107.60981,
    )
    conn = await asyncpg.connect(db_dsn)
    try:
        file_id = await conn.fetchval(
            "INSERT INTO evidence_files (complaint, original_name, storage_key, mime_type, size,"
            " sha256, uploaded_by, uploaded_at) VALUES ($1, 'foto.jpg', 'ab/cd', 'image/jpeg',"
            " 10, 'x', $2, now()) RETURNING id",
            complaint,
            d["citizen"],
        )
    finally:
        await conn.close()
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert page.status_code == 200
    assert "Jembatan retak" in page.text and "Jl. Merdeka No. 1" in page.text
    assert "https://www.openstreetmap.org/?mlat=-6.914744&amp;mlon=107.609810" in page.text
    assert f'href="/pengaduan/{complaint}/bukti/{file_id}"' in page.text
    assert "Warga" in page.text  # the reporter of a complaint that is not anonymous


async def test_staff_outside_the_unit_get_404_and_citizens_403(
    as_role, app: Litestar, unit_data: dict[str, int]
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d)
    outsider = await _client_for(app, "petugas.lain")
    citizen: httpx.AsyncClient = await as_role("citizen")
    try:
        for path in (
            "",
            "/ambil",
            "/verifikasi",
            "/tolak",
            "/proses",
            "/selesai",
            "/balas",
            "/catatan",
            "/teruskan",
            "/tugaskan",
        ):
            method = outsider.get if not path else outsider.post
            data = {} if not path else {"reason": "x", "note": "x", "body": "x", "response": "x"}
            kwargs = {} if not path else {"data": data}
            assert (
                await method(f"/petugas/pengaduan/{complaint}{path}", **kwargs)
            ).status_code == 404, path
            cmethod = citizen.get if not path else citizen.post
            assert (
                await cmethod(f"/petugas/pengaduan/{complaint}{path}", **kwargs)
            ).status_code == 403
        assert (await outsider.get("/petugas/pengaduan/999999")).status_code == 404
    finally:
        await outsider.aclose()


async def test_verify_start_and_resolve_through_the_lifecycle(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d)
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{complaint}"
    # Without JavaScript: Post/Redirect/Get with a message.
    verified = await officer.post(f"{base}/verifikasi", data={"priority": "high"})
    assert verified.status_code == 303 and verified.headers["location"] == base
    # Starting twice: the second is a conflict.
    assert (await officer.post(f"{base}/proses")).status_code == 303
    again = await officer.post(f"{base}/proses")
    assert again.status_code == 409 and "alert bad" in again.text
    # Resolving needs the official response: 422 beside the field.
    empty = await officer.post(f"{base}/selesai", data={"response": "  "})
    assert empty.status_code == 422
    assert 'id="e-response"' in empty.text
    # With htmx: the detail section comes back, with a toast.
    done = await officer.post(
        f"{base}/selesai", data={"response": "Jalan sudah ditambal."}, headers=HTMX
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<section id="complaint"')
    assert "pengaduan:toast" in done.headers["hx-trigger"]
    (row,) = await fetch_rows(
        db_dsn,
        "SELECT status, priority, first_response_at FROM complaints WHERE id = $1",
        complaint,
    )
    assert (row["status"], row["priority"]) == ("resolved", "high")
    assert row["first_response_at"] is not None
    history = await fetch_rows(
        db_dsn, "SELECT new_status FROM status_history WHERE complaint = $1 ORDER BY id", complaint
    )
    assert [h["new_status"] for h in history] == ["pending", "verified", "in_progress", "resolved"]
    official = await fetch_rows(
        db_dsn, "SELECT body FROM messages WHERE complaint = $1 AND is_official_response", complaint
    )
    assert [m["body"] for m in official] == ["Jalan sudah ditambal."]


async def test_a_new_category_recomputes_the_due_date_and_moves_the_unit(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    submitted = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    complaint = await make_complaint_in(d, submitted_at=submitted, officer=d["officer"])
    officer: httpx.AsyncClient = await as_role("officer")
    bad = await officer.post(
        f"/petugas/pengaduan/{complaint}/verifikasi", data={"category": "999999"}
    )
    assert bad.status_code == 422 and 'id="e-category"' in bad.text
    moved = await officer.post(
        f"/petugas/pengaduan/{complaint}/verifikasi", data={"category": str(d["other_category"])}
    )
    # It left this officer's unit: back to the queue.
    assert moved.status_code == 303 and moved.headers["location"] == "/petugas/antrean"
    (row,) = await fetch_rows(
        db_dsn,
        "SELECT status, category, unit, officer, due_at FROM complaints WHERE id = $1",
        complaint,
    )
    assert row["status"] == "verified" and row["category"] == d["other_category"]
    assert row["unit"] == d["other_unit"] and row["officer"] is None
    assert row["due_at"] == submitted + timedelta(days=3)
    assert (await officer.get(f"/petugas/pengaduan/{complaint}")).status_code == 404

    # Same unit, other deadline: the due date changes, the unit and officer stay.
    second = await make_complaint_in(d, submitted_at=submitted, officer=d["officer"])
    nearby = await make_category(d["unit"], "Drainase", deadline_days=5)
    response = await officer.post(
        f"/petugas/pengaduan/{second}/verifikasi", data={"category": str(nearby)}
    )
    assert response.status_code == 303
    (row,) = await fetch_rows(
        db_dsn, "SELECT unit, officer, due_at FROM complaints WHERE id = $1", second
    )
    assert (row["unit"], row["officer"]) == (d["unit"], d["officer"])
    assert row["due_at"] == submitted + timedelta(days=5)


async def test_reject_needs_a_reason_and_keeps_what_was_typed(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d)
    officer: httpx.AsyncClient = await as_role("officer")
    empty = await officer.post(f"/petugas/pengaduan/{complaint}/tolak", data={"reason": ""})
    assert empty.status_code == 422 and 'id="e-reason"' in empty.text
    # Other typed values on the page stay too.
    kept = await officer.post(
        f"/petugas/pengaduan/{complaint}/balas", data={"body": "x" * 5001}, headers=HTMX
    )
    assert kept.status_code == 422 and "x" * 5001 in kept.text and 'id="e-body"' in kept.text
    done = await officer.post(
        f"/petugas/pengaduan/{complaint}/tolak", data={"reason": "Bukan kewenangan kota."}
    )
    assert done.status_code == 303
    (row,) = await fetch_rows(db_dsn, "SELECT status FROM complaints WHERE id = $1", complaint)
    assert row["status"] == "rejected"
    notes = await fetch_rows(
        db_dsn,
        "SELECT body FROM notifications WHERE \"user\" = $1 AND kind = 'rejected'",
        d["citizen"],
    )
    assert [n["body"] for n in notes] == ["Bukan kewenangan kota."]


async def test_a_public_reply_tells_the_reporter_in_their_language(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute("UPDATE users SET language = 'en' WHERE id = $1", d["citizen"])
    finally:
        await conn.close()
    complaint = await make_complaint_in(d, number="ADU-2026-000901")
    officer: httpx.AsyncClient = await as_role("officer")
    empty = await officer.post(f"/petugas/pengaduan/{complaint}/balas", data={"body": " "})
    assert empty.status_code == 422 and 'id="e-body"' in empty.text
    sent = await officer.post(
        f"/petugas/pengaduan/{complaint}/balas", data={"body": "Tim kami meninjau lokasi besok."}
    )
    assert sent.status_code == 303
    (note,) = await fetch_rows(
        db_dsn, 'SELECT kind, title, body FROM notifications WHERE "user" = $1', d["citizen"]
    )
    assert note["kind"] == "reply" and note["body"] == "Tim kami meninjau lokasi besok."
    assert note["title"] == "New reply on your complaint ADU-2026-000901"
    (row,) = await fetch_rows(
        db_dsn, "SELECT first_response_at, status FROM complaints WHERE id = $1", complaint
    )
    assert row["first_response_at"] is not None and row["status"] == "pending"
    (message,) = await fetch_rows(
        db_dsn, "SELECT visibility FROM messages WHERE complaint = $1", complaint
    )
    assert message["visibility"] == "public"


async def test_an_internal_note_never_reaches_the_citizen(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    secret = "Catatan rahasia: kontraktor lama bermasalah"
    complaint = await make_complaint_in(d, number="ADU-2026-001001")
    officer: httpx.AsyncClient = await as_role("officer")
    response = await officer.post(f"/petugas/pengaduan/{complaint}/catatan", data={"note": secret})
    assert response.status_code == 303
    staff_view = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert secret in staff_view.text and "badge internal" in staff_view.text
    # The rest of the handling goes on, with notifications and mail to the reporter.
    for path, data in (
        ("verifikasi", {}),
        ("proses", {}),
        ("balas", {"body": "Sedang dikerjakan."}),
        ("selesai", {"response": "Selesai dikerjakan."}),
    ):
        assert (
            await officer.post(f"/petugas/pengaduan/{complaint}/{path}", data=data)
        ).status_code == 303
    notifications = await fetch_rows(db_dsn, "SELECT title, body FROM notifications")
    outbox = await fetch_rows(db_dsn, "SELECT payload::text AS payload FROM outbox")
    assert notifications and outbox
    for row in [*notifications, *outbox]:
        assert "rahasia" not in " ".join(str(v) for v in row.values())
    (note,) = await fetch_rows(db_dsn, "SELECT visibility FROM messages WHERE body = $1", secret)
    assert note["visibility"] == "internal"
    # The citizen's own pages (where they exist) and the public archive never show it.
    citizen: httpx.AsyncClient = await as_role("citizen")
    for path in (
        f"/pengaduan/{complaint}",
        f"/pengaduan/{complaint}/linimasa",
        "/arsip/ADU-2026-001001",
    ):
        page = await citizen.get(path)
        assert page.status_code in (200, 404), path
        assert "rahasia" not in page.text, path
    assert (await citizen.get(f"/petugas/pengaduan/{complaint}")).status_code == 403


async def test_anonymous_reporters_are_never_shown_to_staff(
    as_role, app: Litestar, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    reporter = await make_user("citizen", "siti.pelapor")  # full name "Siti.Pelapor"
    complaint = await make_complaint_in(d, reporter=reporter, is_anonymous=True)
    conn = await asyncpg.connect(db_dsn)
    try:
        await conn.execute(
            "INSERT INTO messages (complaint, author, body, visibility, is_official_response,"
            " created_at) VALUES ($1, $2, 'Mohon segera', 'public', false, now())",
            complaint,
            reporter,
        )
    finally:
        await conn.close()
    for role in ("officer", "admin"):
        client: httpx.AsyncClient = await as_role(role)
        for path in (
            f"/petugas/pengaduan/{complaint}",
            "/petugas/antrean",
            "/petugas/antrean?view=unassigned",
        ):
            page = await client.get(path)
            assert page.status_code == 200
            assert "Siti.Pelapor" not in page.text and "siti.pelapor" not in page.text, path
        # Overwrite the cookie the login set (same domain), not add a second one.
        client.cookies.set("lang", "en", domain="testserver.local")
        detail = await client.get(f"/petugas/pengaduan/{complaint}")
        assert re.search(r'id="complaint-reporter">\s*Anonymous', detail.text)


async def test_forward_moves_the_complaint_to_the_other_units_queue(
    as_role, app: Litestar, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, number="ADU-2026-001101", officer=d["officer"])
    officer: httpx.AsyncClient = await as_role("officer")
    assert "ADU-2026-001101" in (await officer.get("/petugas/antrean")).text
    missing = await officer.post(
        f"/petugas/pengaduan/{complaint}/teruskan", data={"unit": "", "forward_note": "Bukan kami"}
    )
    assert missing.status_code == 422 and 'id="e-unit"' in missing.text
    assert "Bukan kami" in missing.text  # what was typed stays
    no_note = await officer.post(
        f"/petugas/pengaduan/{complaint}/teruskan", data={"unit": str(d["other_unit"])}
    )
    assert no_note.status_code == 422 and 'id="e-forward_note"' in no_note.text
    moved = await officer.post(
        f"/petugas/pengaduan/{complaint}/teruskan",
        data={"unit": str(d["other_unit"]), "forward_note": "Sampah, bukan jalan."},
        headers=HTMX,
    )
    assert moved.status_code == 200 and moved.headers["hx-redirect"] == "/petugas/antrean"
    assert "ADU-2026-001101" not in (await officer.get("/petugas/antrean")).text
    other = await _client_for(app, "petugas.lain")
    try:
        queue = await other.get("/petugas/antrean?view=unassigned")
        assert "ADU-2026-001101" in queue.text
        detail = await other.get(f"/petugas/pengaduan/{complaint}")
        assert "Dinas Uji" in detail.text and "Sampah, bukan jalan." in detail.text
    finally:
        await other.aclose()
    (row,) = await fetch_rows(
        db_dsn, "SELECT unit, officer, assigned_at FROM complaints WHERE id = $1", complaint
    )
    assert (row["unit"], row["officer"], row["assigned_at"]) == (d["other_unit"], None, None)
    (note,) = await fetch_rows(
        db_dsn, "SELECT body, visibility FROM messages WHERE complaint = $1", complaint
    )
    assert note["visibility"] == "internal"
    assert "Dinas Uji" in note["body"] and "Dinas Lain" in note["body"]
    (entry,) = await fetch_rows(
        db_dsn, "SELECT data FROM audit_log WHERE action = 'complaint.forward'"
    )
    assert json.loads(entry["data"])["to"] == d["other_unit"]


async def test_forwarding_leaves_no_category_of_the_old_unit_behind(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    transport = await make_unit("Dinas Perhubungan")
    lamps = await make_category(transport, "Lampu Jalan", deadline_days=2, icon="💡")
    await make_category(transport, "Angkutan Umum", deadline_days=30, icon="🚌")
    empty = await make_unit("Dinas Tanpa Kategori")
    submitted = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    complaint = await make_complaint_in(d, status="verified", submitted_at=submitted)
    officer: httpx.AsyncClient = await as_role("officer")
    officer.cookies.set("lang", "en", domain="testserver.local")
    path = f"/petugas/pengaduan/{complaint}/teruskan"
    note = "Lampu jalan, bukan jalan rusak."
    page = (await officer.get(f"/petugas/pengaduan/{complaint}")).text
    assert 'name="forward_category"' in page and ">Lampu Jalan</option>" in page
    # Several categories there and none chosen: the officer is asked to choose, text kept.
    unchosen = await officer.post(path, data={"unit": str(transport), "forward_note": note})
    assert unchosen.status_code == 422 and 'id="e-forward_category"' in unchosen.text
    assert "Jalan Rusak belongs to another unit" in unchosen.text and note in unchosen.text
    # A category of yet another unit is not one of that unit's.
    foreign = await officer.post(
        path,
        data={
            "unit": str(transport),
            "forward_note": note,
            "forward_category": str(d["other_category"]),
        },
    )
    assert foreign.status_code == 422 and 'id="e-forward_category"' in foreign.text
    nothing = await officer.post(path, data={"unit": str(empty), "forward_note": note})
    assert nothing.status_code == 422 and "has no active category" in nothing.text
    (row,) = await fetch_rows(
        db_dsn, "SELECT unit, category FROM complaints WHERE id = $1", complaint
    )
    assert (row["unit"], row["category"]) == (d["unit"], d["category"])

    moved = await officer.post(
        path, data={"unit": str(transport), "forward_note": note, "forward_category": str(lamps)}
    )
    assert moved.status_code == 303
    (row,) = await fetch_rows(
        db_dsn, "SELECT unit, category, due_at FROM complaints WHERE id = $1", complaint
    )
    # The category of the new unit, with its deadline (counted from submission, as on verify).
    assert (row["unit"], row["category"]) == (transport, lamps)
    assert row["due_at"] == submitted + timedelta(days=2)
    (history,) = await fetch_rows(db_dsn, "SELECT body, visibility FROM messages")
    assert history["visibility"] == "internal"
    assert "category Jalan Rusak → Lampu Jalan" in history["body"] and note in history["body"]
    (entry,) = await fetch_rows(
        db_dsn, "SELECT data FROM audit_log WHERE action = 'complaint.forward'"
    )
    data = json.loads(entry["data"])
    assert (data["category_from"], data["category_to"]) == (d["category"], lamps)

    # A unit with one category: that one, without asking.
    single = await make_complaint_in(d, status="in_progress")
    response = await officer.post(
        f"/petugas/pengaduan/{single}/teruskan",
        data={"unit": str(d["other_unit"]), "forward_note": "Sampah."},
    )
    assert response.status_code == 303
    (row,) = await fetch_rows(db_dsn, "SELECT category FROM complaints WHERE id = $1", single)
    assert row["category"] == d["other_category"]
    # A category that already belongs to the unit it goes to stays.
    own = await make_complaint_in(d, category=d["other_category"])
    response = await officer.post(
        f"/petugas/pengaduan/{own}/teruskan",
        data={"unit": str(d["other_unit"]), "forward_note": "Kembali ke unitnya."},
    )
    assert response.status_code == 303
    (row,) = await fetch_rows(db_dsn, "SELECT category, due_at FROM complaints WHERE id = $1", own)
    assert row["category"] == d["other_category"]


async def test_reassign_to_another_officer_of_the_unit(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    mine = await make_complaint_in(d, officer=d["officer"])
    theirs = await make_complaint_in(d, officer=d["officer2"])
    officer: httpx.AsyncClient = await as_role("officer")
    outsider = await officer.post(
        f"/petugas/pengaduan/{mine}/tugaskan", data={"officer": str(d["other_officer"])}
    )
    assert outsider.status_code == 422 and 'id="e-officer"' in outsider.text
    handed = await officer.post(
        f"/petugas/pengaduan/{mine}/tugaskan", data={"officer": str(d["officer2"])}
    )
    assert handed.status_code == 303
    (row,) = await fetch_rows(db_dsn, "SELECT officer FROM complaints WHERE id = $1", mine)
    assert row["officer"] == d["officer2"]
    (told,) = await fetch_rows(
        db_dsn, 'SELECT kind FROM notifications WHERE "user" = $1', d["officer2"]
    )
    assert told["kind"] == "assigned"
    # An officer does not take work away from a colleague; an admin may.
    taken = await officer.post(
        f"/petugas/pengaduan/{theirs}/tugaskan", data={"officer": str(d["officer"])}
    )
    assert taken.status_code == 409
    admin: httpx.AsyncClient = await as_role("admin")
    assigned = await admin.post(
        f"/petugas/pengaduan/{theirs}/tugaskan", data={"officer": str(d["officer"])}
    )
    assert assigned.status_code == 303
    entries = await fetch_rows(
        db_dsn, "SELECT count(*) AS n FROM audit_log WHERE action = 'complaint.assign'"
    )
    assert entries[0]["n"] == 2


async def test_a_response_template_fills_the_reply_box(
    as_role, unit_data: dict[str, int], db_dsn: str
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d)
    conn = await asyncpg.connect(db_dsn)
    try:
        ids = {}
        for title, body, category, active in (
            ("Terima kasih", "Terima kasih, laporan Anda kami terima.", None, True),
            ("Peninjauan jalan", "Tim kami akan meninjau jalan tersebut.", d["category"], True),
            ("Sampah", "Petugas kebersihan akan datang.", d["other_category"], True),
            ("Lama", "Templat lama.", None, False),
        ):
            ids[title] = await conn.fetchval(
                "INSERT INTO response_templates (category, title, body, is_active, created_at,"
                " updated_at) VALUES ($1, $2, $3, $4, now(), now()) RETURNING id",
                category,
                title,
                body,
                active,
            )
    finally:
        await conn.close()
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    options = re.findall(
        r'<option value="(\d+)"[^>]*>([^<]+)</option>',
        page.text.split('id="f-template"')[1].split("</select>")[0],
    )
    assert {title for _id, title in options} == {"Terima kasih", "Peninjauan jalan"}
    # Without JavaScript: the page again, the box filled.
    filled = await officer.get(f"/petugas/pengaduan/{complaint}?template={ids['Peninjauan jalan']}")
    box = filled.text.split('id="f-body"')[1].split("</textarea>")[0]
    assert "Tim kami akan meninjau jalan tersebut." in box
    # With htmx: only the box.
    part = await officer.get(
        f"/petugas/pengaduan/{complaint}?template={ids['Terima kasih']}&part=reply", headers=HTMX
    )
    assert part.text.lstrip().startswith('<div id="reply-box">')
    assert "Terima kasih, laporan Anda kami terima." in part.text
    # Another category's template or an inactive one fills nothing.
    for other in ("Sampah", "Lama"):
        empty = await officer.get(
            f"/petugas/pengaduan/{complaint}?template={ids[other]}&part=reply", headers=HTMX
        )
        assert "<textarea" in empty.text and "></textarea>" in empty.text


async def test_actions_are_refused_in_the_wrong_status(as_role, unit_data: dict[str, int]) -> None:
    d = unit_data
    closed = await make_complaint_in(d, status="closed")
    officer: httpx.AsyncClient = await as_role("officer")
    for path, data in (
        ("verifikasi", {}),
        ("proses", {}),
        ("tolak", {"reason": "x"}),
        ("selesai", {"response": "x"}),
        ("balas", {"body": "x"}),
        ("teruskan", {"unit": str(d["other_unit"]), "forward_note": "x"}),
        ("tugaskan", {"officer": str(d["officer2"])}),
    ):
        response = await officer.post(
            f"/petugas/pengaduan/{closed}/{path}", data=data, headers=HTMX
        )
        assert response.status_code == 409, path
        assert json.loads(response.headers["hx-trigger"])["pengaduan:toast"]["message"], path
    # A note is always possible.
    note = await officer.post(f"/petugas/pengaduan/{closed}/catatan", data={"note": "arsip"})
    assert note.status_code == 303


async def test_the_admins_list_of_every_unit_reads_its_page_in_order_from_one_index(
    unit_data: dict[str, int],
) -> None:
    """The admins' default list (every unit's open complaints, most urgent first) is read in
    order from complaints_open_rank_all, as one unit's queue is from its own index: at a
    million complaints the per-status/priority union over all units cost ~40 ms a page."""
    from pengaduan import db
    from pengaduan.handling import queue

    filters = queue.QueueFilters.from_query({}, default_view="all")
    where = queue.conditions(filters, None, None)
    sql = queue.rows_sql(filters, where)
    async with db.ENGINE.transaction():
        # An empty table: tell the planner what a full one would make it choose.
        await db.execute("SELECT set_config('enable_seqscan', 'off', true)")
        await db.execute("SELECT set_config('enable_sort', 'off', true)")
        plan = [row["QUERY PLAN"] for row in await db.fetch("EXPLAIN " + sql, *where.args)]
    assert any("complaints_open_rank_all" in line for line in plan), "\n".join(plan)
