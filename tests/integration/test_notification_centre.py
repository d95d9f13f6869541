"""The notification centre: the bell and its count, the list, marking read (page and htmx),
opening a notification, someone else's refused; the preferences page; /lacak from an SMS link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from pengaduan.notifications.tables import Notification
from tests.factories import make_category, make_complaint

HTMX = {"HX-Request": "true"}


async def _notify(user_id: int, count: int = 1, *, complaint: int | None = None) -> list[int]:
    now = datetime.now(UTC)
    rows = await Notification.insert(
        *(
            Notification(
                user=user_id,
                kind="verified",
                title=f"Pengaduan ADU-2026-{n:06d} telah diverifikasi",
                body="Terverifikasi",
                complaint=complaint,
                is_read=False,
                created_at=now - timedelta(seconds=count - n),
            )
            for n in range(count)
        )
    ).returning(Notification.id)
    return [r["id"] for r in rows]


async def _unread(user_id: int) -> int:
    return await Notification.count().where(
        (Notification.user == user_id) & Notification.is_read.eq(False)
    )


@pytest.fixture
async def complaint(people: dict[str, int]) -> int:
    category = await make_category(people["unit"])
    return await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"], tracking_code="ABCD2345"
    )


async def test_the_bell_shows_the_unread_count_on_every_page(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get("/akun")
    assert 'id="notif-bell"' in page.text and "bell-count" not in page.text
    await _notify(people["citizen"], 3)
    page = await citizen.get("/akun")
    assert '<span class="bell-count">3</span>' in page.text
    assert 'hx-get="/notifikasi/lonceng"' in page.text
    assert 'hx-trigger="sse:notification from:body, pengaduan:notification from:body"' in page.text


async def test_the_bell_fragment_is_tiny_and_says_99_plus_above_99(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    await _notify(people["citizen"], 99)
    bell = await citizen.get("/notifikasi/lonceng", headers=HTMX)
    assert bell.status_code == 200
    assert '<span class="bell-count">99</span>' in bell.text
    assert bell.text.lstrip().startswith('<span id="notif-bell"') and "<html" not in bell.text
    assert len(bell.content) < 800
    assert bell.headers["cache-control"] == "no-store"
    await _notify(people["citizen"], 1)
    bell = await citizen.get("/notifikasi/lonceng", headers=HTMX)
    assert '<span class="bell-count">99+</span>' in bell.text


async def test_the_list_shows_only_ones_own_notifications_newest_first(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    await _notify(people["citizen"], 2)
    await Notification.insert(
        Notification(
            user=people["officer"],
            kind="assigned",
            title="Rahasia petugas",
            body="",
            is_read=False,
            created_at=datetime.now(UTC),
        )
    )
    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get("/notifikasi")
    assert page.status_code == 200
    assert "Rahasia petugas" not in page.text
    first = page.text.index("ADU-2026-000001")
    assert first < page.text.index("ADU-2026-000000")  # newest first


async def test_marking_one_read_with_a_form_and_with_htmx(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    first, second = await _notify(people["citizen"], 2)
    citizen: httpx.AsyncClient = await as_role("citizen")
    response = await citizen.post(f"/notifikasi/{first}/baca")
    assert response.status_code == 303 and response.headers["location"] == "/notifikasi"
    assert await _unread(people["citizen"]) == 1

    response = await citizen.post(f"/notifikasi/{second}/baca", headers=HTMX)
    assert response.status_code == 200
    assert response.headers["hx-trigger"] == "pengaduan:notification"
    assert f'id="notif-{second}"' in response.text and "unread" not in response.text
    assert await _unread(people["citizen"]) == 0


async def test_marking_all_read(app: Litestar, people: dict[str, int], as_role) -> None:
    await _notify(people["citizen"], 5)
    await _notify(people["officer"], 1)
    citizen: httpx.AsyncClient = await as_role("citizen")
    response = await citizen.post("/notifikasi/baca-semua")
    assert response.status_code == 303
    assert await _unread(people["citizen"]) == 0
    assert await _unread(people["officer"]) == 1  # only one's own
    page = await citizen.get("/notifikasi")
    assert "bell-count" not in page.text

    await _notify(people["citizen"], 2)
    response = await citizen.post("/notifikasi/baca-semua", headers=HTMX)
    assert response.status_code == 200 and response.headers["hx-trigger"]
    assert response.text.lstrip().startswith('<div id="notif-list">')
    assert await _unread(people["citizen"]) == 0


async def test_opening_a_notification_marks_it_read_and_goes_to_the_complaint(
    app: Litestar, people: dict[str, int], as_role, complaint: int
) -> None:
    [mine] = await _notify(people["citizen"], complaint=complaint)
    [officers] = await _notify(people["officer"], complaint=complaint)
    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get("/notifikasi")
    assert f'<form method="post" action="/notifikasi/{mine}"' in page.text
    response = await citizen.post(f"/notifikasi/{mine}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/pengaduan/{complaint}"
    assert await _unread(people["citizen"]) == 0

    officer: httpx.AsyncClient = await as_role("officer")
    response = await officer.post(f"/notifikasi/{officers}")
    assert response.headers["location"] == f"/petugas/pengaduan/{complaint}"


async def test_a_get_of_a_notification_goes_to_its_complaint_and_leaves_it_unread(
    app: Litestar, people: dict[str, int], as_role, complaint: int
) -> None:
    [mine] = await _notify(people["citizen"], complaint=complaint)
    citizen: httpx.AsyncClient = await as_role("citizen")
    response = await citizen.get(f"/notifikasi/{mine}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/pengaduan/{complaint}"
    assert await _unread(people["citizen"]) == 1
    assert (await citizen.post(f"/notifikasi/{mine}")).status_code == 303
    assert await _unread(people["citizen"]) == 0


async def test_another_users_notification_is_refused(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    [theirs] = await _notify(people["officer"])
    citizen: httpx.AsyncClient = await as_role("citizen")
    assert (await citizen.get(f"/notifikasi/{theirs}")).status_code == 404
    assert (await citizen.post(f"/notifikasi/{theirs}")).status_code == 404
    assert (await citizen.post(f"/notifikasi/{theirs}/baca")).status_code == 404
    assert (await citizen.post(f"/notifikasi/{theirs}/baca", headers=HTMX)).status_code == 404
    assert await _unread(people["officer"]) == 1
    assert (await citizen.get("/notifikasi/99999999999")).status_code == 404


async def test_a_real_transition_reaches_the_bell(
    app: Litestar, people: dict[str, int], as_role, complaint: int
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    assert (await officer.post(f"/petugas/pengaduan/{complaint}/verifikasi")).status_code == 303
    citizen: httpx.AsyncClient = await as_role("citizen")
    bell = await citizen.get("/notifikasi/lonceng", headers=HTMX)
    assert '<span class="bell-count">1</span>' in bell.text
    page = await citizen.get("/notifikasi")
    assert "ADU-2026-" in page.text


# --- preferences -----------------------------------------------------------------------------


async def test_preferences_page_lists_the_kinds_of_ones_role_and_saves(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    from pengaduan.notifications import services

    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get("/notifikasi/pengaturan")
    assert page.status_code == 200
    assert 'name="email" value="verified"' in page.text
    assert 'value="assigned"' not in page.text  # a staff kind
    assert 'name="sms"' not in page.text  # no gateway configured
    assert "/notifikasi/pengaturan" in (await citizen.get("/akun")).text

    response = await citizen.post(
        "/notifikasi/pengaturan", data={"email": ["resolved", "reply", "assigned", "nonsense"]}
    )
    assert response.status_code == 303
    chosen = await services.preferences(people["citizen"])
    # Of the citizen's kinds; the staff kinds keep their defaults (should the role change).
    assert chosen["email"] & set(services.CITIZEN_KINDS) == {"resolved", "reply"}
    assert set(services.STAFF_KINDS) <= chosen["email"]
    assert chosen["sms"] == set()
    page = await citizen.get("/notifikasi/pengaturan")
    assert re.search(r'name="email" value="resolved"[^>]*checked>', page.text)
    assert not re.search(r'name="email" value="verified"[^>]*checked>', page.text)


async def test_an_officer_chooses_among_the_staff_kinds(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get("/notifikasi/pengaturan")
    for kind in ("assigned", "reopened", "overdue"):
        assert f'value="{kind}"' in page.text
    assert 'value="verified"' not in page.text


# --- tracking from an SMS link ---------------------------------------------------------------


async def test_track_page_is_prefilled_from_the_number_and_shows_the_reporter_the_result(
    app: Litestar, people: dict[str, int], as_role, complaint: int
) -> None:
    from pengaduan.complaints.tables import Complaint

    row = await Complaint.select(Complaint.number).where(Complaint.id == complaint).first()
    number = row["number"]
    anonymous: httpx.AsyncClient = await as_role(None)
    page = await anonymous.get(f"/lacak?nomor={number}")
    assert page.status_code == 200
    assert f'value="{number}"' in page.text and 'id="track-result"' not in page.text

    page = await anonymous.get(f"/lacak?nomor={number}&kode=ABCD2345")
    assert 'id="track-result"' in page.text

    page = await anonymous.get(f"/lacak?nomor={number}&kode=SALAH000")
    assert page.status_code == 422 and 'id="track-result"' not in page.text

    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get(f"/lacak?nomor={number}")
    assert 'id="track-result"' in page.text

    # Someone else's complaint: only the prefilled form.
    officer: httpx.AsyncClient = await as_role("officer")
    page = await officer.get(f"/lacak?nomor={number}")
    assert 'id="track-result"' not in page.text
