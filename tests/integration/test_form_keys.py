"""Forms that create something carry a key: the same form sent twice at once (a double tap)
stores one message, reply, internal note or rating, and both requests get its result."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from litestar import Litestar

from pengaduan.complaints.tables import Message, Rating
from tests.factories import make_category, make_complaint

KEY = re.compile(r'name="idempotency_key" value="([A-Za-z0-9_-]{16,64})"')


def _keys(html: str) -> list[str]:
    return KEY.findall(html)


def _key_of(html: str, action: str) -> str:
    """The key in the form that posts to `action`."""
    form = html[html.index(f'action="{action}"') :]
    return KEY.search(form[: form.index("</form>")]).group(1)


async def _twice(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> list[int]:
    responses = await asyncio.gather(client.post(path, data=data), client.post(path, data=data))
    return [r.status_code for r in responses]


@pytest.fixture
async def complaint(people: dict[str, int]) -> int:
    category = await make_category(people["unit"])
    return await make_complaint(
        reporter=people["citizen"],
        category=category,
        unit=people["unit"],
        officer=people["officer"],
        status="in_progress",
    )


async def test_a_citizens_message_sent_twice_at_once_is_stored_once(
    app: Litestar, as_role, complaint: int
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    data = {"message": "Kapan lubangnya ditambal?", "idempotency_key": "double-tap-000000001"}
    assert await _twice(citizen, f"/pengaduan/{complaint}/pesan", data) == [303, 303]
    assert await Message.count().where(Message.complaint == complaint) == 1
    # Each rendering of the form has a key of its own: the next message is a new one.
    [key] = _keys((await citizen.get(f"/pengaduan/{complaint}")).text)
    [next_key] = _keys((await citizen.get(f"/pengaduan/{complaint}")).text)
    assert next_key != key
    data = {"message": "Kapan lubangnya ditambal?", "idempotency_key": next_key}
    assert (await citizen.post(f"/pengaduan/{complaint}/pesan", data=data)).status_code == 303
    assert await Message.count().where(Message.complaint == complaint) == 2


async def test_an_officers_reply_and_note_sent_twice_at_once_are_stored_once(
    app: Litestar, as_role, complaint: int
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{complaint}"
    page = await officer.get(base)
    assert _key_of(page.text, f"{base}/balas") != _key_of(page.text, f"{base}/catatan")
    reply_key, note_key = "double-tap-reply-0001", "double-tap-note-00001"
    base = f"/petugas/pengaduan/{complaint}"
    reply = {"body": "Tim kami datang besok pagi.", "idempotency_key": reply_key}
    assert await _twice(officer, f"{base}/balas", reply) == [303, 303]
    note = {"note": "Perlu aspal dingin dua karung.", "idempotency_key": note_key}
    assert await _twice(officer, f"{base}/catatan", note) == [303, 303]
    rows = await Message.select(Message.visibility).where(Message.complaint == complaint)
    assert sorted(r["visibility"] for r in rows) == ["internal", "public"]


async def test_a_rating_sent_twice_at_once_is_stored_once_and_both_are_thanked(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    category = await make_category(people["unit"])
    complaint = await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"], status="resolved"
    )
    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get(f"/pengaduan/{complaint}")
    assert _key_of(page.text, f"/pengaduan/{complaint}/nilai")
    key = "double-tap-rating-001"
    data = {"score": "4", "comment": "Cepat.", "idempotency_key": key}
    assert await _twice(citizen, f"/pengaduan/{complaint}/nilai", data) == [303, 303]
    assert await Rating.count().where(Rating.complaint == complaint) == 1


async def test_a_key_from_another_complaint_is_refused(
    app: Litestar, people: dict[str, int], as_role, complaint: int
) -> None:
    category = await make_category(people["unit"], "Lampu Jalan")
    other = await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"], status="verified"
    )
    citizen: httpx.AsyncClient = await as_role("citizen")
    data = {"message": "Pesan pertama.", "idempotency_key": "double-tap-elsewhere-1"}
    assert (await citizen.post(f"/pengaduan/{complaint}/pesan", data=data)).status_code == 303
    reused = await citizen.post(f"/pengaduan/{other}/pesan", data=data)
    assert reused.status_code == 409
    assert await Message.count().where(Message.complaint == other) == 0


async def test_a_response_template_sent_twice_at_once_is_made_once(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    from pengaduan.agency.tables import ResponseTemplate

    admin: httpx.AsyncClient = await as_role("admin")
    page = await admin.get("/admin/templat-tanggapan/baru")
    assert _key_of(page.text, "/admin/templat-tanggapan/baru")
    data = {
        "title": "Jalan sudah diperbaiki",
        "category": "",
        "body": "Terima kasih, jalan sudah kami perbaiki.",
        "idempotency_key": "double-tap-template-01",
    }
    assert await _twice(admin, "/admin/templat-tanggapan/baru", data) == [303, 303]
    assert await ResponseTemplate.count() == 1
