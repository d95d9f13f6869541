"""Stale-action protection on the handling page: every action form carries the version of the
complaint it was filled in on; an action on a complaint that changed since (in another tab, by
a colleague, by the reporter) is refused with 409, nothing changed, the fresh page saying what
changed and what was typed kept — without JavaScript and with htmx alike."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest
from litestar import Litestar

from tests.conftest import browser_client, log_in
from tests.factories import make_category, make_complaint, make_user
from tests.support.databases import fetch_rows

HTMX = {"HX-Request": "true"}


def _version(page: str) -> str:
    """The version every action form of the page carries (one and the same)."""
    found = set(re.findall(r'name="version" value="([^"]+)"', page))
    assert len(found) == 1, found
    return found.pop()


def _textarea(page: str, field: str) -> str:
    match = re.search(rf'<textarea id="f-{field}"[^>]*>([^<]*)</textarea>', page)
    assert match, f"no textarea {field}"
    return html.unescape(match.group(1))


def _conflict(page: str) -> str:
    match = re.search(r'<div class="alert bad" role="alert" id="conflict">(.*?)</div>', page, re.S)
    assert match, "no conflict message on the page"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))))


@pytest.fixture
async def case(people: dict[str, int]) -> dict[str, int]:
    data = dict(people)
    data["category"] = await make_category(people["unit"], "Jalan Rusak", deadline_days=7)
    data["complaint"] = await make_complaint(
        reporter=people["citizen"], unit=people["unit"], category=data["category"]
    )
    return data


async def test_a_reject_after_a_verify_in_another_tab_is_refused_and_the_reason_kept(
    as_role, case: dict[str, int], db_dsn: str
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{case['complaint']}"
    # Two tabs open on the same pending complaint.
    first_tab = _version((await officer.get(base)).text)
    second_tab = _version((await officer.get(base)).text)
    assert first_tab == second_tab

    verified = await officer.post(f"{base}/verifikasi", data={"version": first_tab})
    assert verified.status_code == 303
    reason = "Laporan ganda, sudah ditangani di ADU-2026-000001."
    stale = await officer.post(f"{base}/tolak", data={"version": second_tab, "reason": reason})

    assert stale.status_code == 409
    said = _conflict(stale.text)
    assert "Menunggu → Terverifikasi" in said
    assert "tidak ada yang dijalankan" in said  # "nothing was done"
    # The whole page (no JavaScript), with the reason as typed, in the form still there.
    assert "<html" in stale.text and _textarea(stale.text, "reason") == reason
    assert 'id="action-reject" data-live-part open' in stale.text
    (row,) = await fetch_rows(
        db_dsn, "SELECT status FROM complaints WHERE id = $1", case["complaint"]
    )
    assert row["status"] == "verified"
    history = await fetch_rows(
        db_dsn,
        "SELECT new_status FROM status_history WHERE complaint = $1 ORDER BY id",
        case["complaint"],
    )
    assert [h["new_status"] for h in history] == ["pending", "verified"]
    rejected = await fetch_rows(db_dsn, "SELECT 1 FROM notifications WHERE kind = 'rejected'")
    assert rejected == []

    # Sent again from the page the refusal gave, it is taken.
    again = await officer.post(
        f"{base}/tolak", data={"version": _version(stale.text), "reason": reason}
    )
    assert again.status_code == 303
    (row,) = await fetch_rows(
        db_dsn, "SELECT status FROM complaints WHERE id = $1", case["complaint"]
    )
    assert row["status"] == "rejected"


async def test_with_htmx_the_refusal_is_the_fresh_section_swapped_in_its_place(
    as_role, case: dict[str, int], db_dsn: str
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{case['complaint']}"
    page = (await officer.get(base)).text
    seen = _version(page)
    # htmx swaps a 409 (base.html's htmx config), as it does a 422.
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1))
    rules = {rule["code"]: rule for rule in config["responseHandling"]}
    assert rules["409"]["swap"] is True and not rules["409"].get("error")

    assert (await officer.post(f"{base}/verifikasi", data={"version": seen})).status_code == 303
    reason = "Bukan kewenangan kota."
    stale = await officer.post(
        f"{base}/tolak", data={"version": seen, "reason": reason}, headers=HTMX
    )
    assert stale.status_code == 409
    assert "hx-reswap" not in stale.headers
    assert stale.text.lstrip().startswith('<section id="complaint"')
    assert "Menunggu → Terverifikasi" in _conflict(stale.text)
    assert _textarea(stale.text, "reason") == reason
    assert _version(stale.text) != seen
    toast = json.loads(stale.headers["hx-trigger"])["pengaduan:toast"]
    assert toast["level"] == "error" and toast["message"]
    (row,) = await fetch_rows(
        db_dsn, "SELECT status FROM complaints WHERE id = $1", case["complaint"]
    )
    assert row["status"] == "verified"


async def test_text_typed_for_an_action_that_no_longer_fits_is_shown_apart(
    as_role, case: dict[str, int], db_dsn: str
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{case['complaint']}"
    seen = _version((await officer.get(base)).text)
    rejected = await officer.post(f"{base}/tolak", data={"version": seen, "reason": "Ganda."})
    assert rejected.status_code == 303
    draft = "Tim kami akan meninjau lokasi besok pagi."
    stale = await officer.post(f"{base}/balas", data={"version": seen, "body": draft})
    assert stale.status_code == 409
    # A rejected complaint takes no reply: the page has no reply form, the text is shown apart.
    assert 'id="f-body"' not in stale.text
    assert _textarea(stale.text, "kept") == draft
    assert "Menunggu → Ditolak" in _conflict(stale.text)
    messages = await fetch_rows(
        db_dsn, "SELECT 1 FROM messages WHERE complaint = $1", case["complaint"]
    )
    assert messages == []


async def test_a_message_from_the_anonymous_reporter_meanwhile_is_said_without_a_name(
    app: Litestar, as_role, people: dict[str, int], db_dsn: str
) -> None:
    category = await make_category(people["unit"], "Drainase", deadline_days=7)
    reporter = await make_user("citizen", "siti.pelapor")
    complaint = await make_complaint(
        reporter=reporter, unit=people["unit"], category=category, is_anonymous=True
    )
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{complaint}"
    seen = _version((await officer.get(base)).text)
    citizen = browser_client(app)
    try:
        await log_in(citizen, "siti.pelapor")
        sent = await citizen.post(
            f"/pengaduan/{complaint}/pesan", data={"message": "Airnya makin tinggi."}
        )
        assert sent.status_code == 303
    finally:
        await citizen.aclose()

    draft = "Petugas kami datang sore ini."
    stale = await officer.post(f"{base}/balas", data={"version": seen, "body": draft})
    assert stale.status_code == 409
    said = _conflict(stale.text)
    assert "Pelapor menulis pesan baru." in said
    assert "Siti" not in said and "siti" not in said
    # The new message is on the fresh page, the reply as typed in its box.
    assert "Airnya makin tinggi." in stale.text
    assert _textarea(stale.text, "body") == draft
    replies = await fetch_rows(
        db_dsn, "SELECT 1 FROM messages WHERE complaint = $1 AND author <> $2", complaint, reporter
    )
    assert replies == []


async def test_a_colleague_taking_the_complaint_meanwhile_is_named(
    as_role, case: dict[str, int], db_dsn: str
) -> None:
    await make_user("officer", "petugas2", unit=case["unit"])
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{case['complaint']}"
    seen = _version((await officer.get(base)).text)
    colleague = await as_role(None)
    await log_in(colleague, "petugas2")
    claimed = await colleague.post(
        f"{base}/ambil", data={"version": _version((await colleague.get(base)).text)}
    )
    assert claimed.status_code == 303

    stale = await officer.post(f"{base}/verifikasi", data={"version": seen}, headers=HTMX)
    assert stale.status_code == 409
    assert "Petugas: Belum ditugaskan → Petugas2." in _conflict(stale.text)
    (row,) = await fetch_rows(
        db_dsn, "SELECT status FROM complaints WHERE id = $1", case["complaint"]
    )
    assert row["status"] == "pending"


async def test_a_reply_sent_twice_is_one_reply_not_a_conflict_with_itself(
    as_role, case: dict[str, int], db_dsn: str
) -> None:
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{case['complaint']}"
    page = (await officer.get(base)).text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    form = {"version": _version(page), "body": "Sedang kami periksa.", "idempotency_key": key}
    assert (await officer.post(f"{base}/balas", data=form)).status_code == 303
    # The same form again (a double click, a resend after a lost answer): the same outcome.
    assert (await officer.post(f"{base}/balas", data=form)).status_code == 303
    messages = await fetch_rows(
        db_dsn, "SELECT 1 FROM messages WHERE complaint = $1", case["complaint"]
    )
    assert len(messages) == 1


async def test_a_form_without_a_version_is_taken_as_before(
    as_role, case: dict[str, int], db_dsn: str
) -> None:
    """Clients that send no version (an older page, a script) are not refused for it."""
    officer: httpx.AsyncClient = await as_role("officer")
    base = f"/petugas/pengaduan/{case['complaint']}"
    assert (await officer.post(f"{base}/verifikasi", data={})).status_code == 303
    assert (await officer.post(f"{base}/proses")).status_code == 303


async def test_the_handling_page_follows_its_complaint_and_a_note_reaches_staff_only(
    app: Litestar, as_role, case: dict[str, int]
) -> None:
    """The page's stream follows the complaint (access-checked by /langsung); a colleague's
    internal note reaches it as a queue event about the complaint, the reporter's stream on
    the same complaint hears nothing of it, and a public reply reaches both."""
    from tests.integration.test_live import StreamCall

    complaint = case["complaint"]
    officer: httpx.AsyncClient = await as_role("officer")
    page = (await officer.get(f"/petugas/pengaduan/{complaint}")).text
    assert f'data-sse-connect="/langsung?pengaduan={complaint}"' in page
    assert f'data-follow="{complaint}"' in page
    citizen: httpx.AsyncClient = await as_role("citizen")
    path = f"/langsung?pengaduan={complaint}"
    staff_stream = StreamCall(app, path, officer.cookies).start()
    reporter_stream = StreamCall(app, path, citizen.cookies).start()
    try:
        await staff_stream.ready()
        await reporter_stream.ready()
        await make_user("officer", "petugas2", unit=case["unit"])
        colleague = await as_role(None)
        await log_in(colleague, "petugas2")
        base = f"/petugas/pengaduan/{complaint}"
        noted = await colleague.post(f"{base}/catatan", data={"note": "Kontraktor lama."})
        assert noted.status_code == 303
        assert await staff_stream.next_event() == ("queue", {"id": complaint})
        replied = await colleague.post(f"{base}/balas", data={"body": "Segera kami cek."})
        assert replied.status_code == 303
        # The reporter's first events are the reply's (and its notification): the note never
        # reached them.
        told = [await reporter_stream.next_event(), await reporter_stream.next_event()]
        assert sorted(told) == [("complaint", {"id": complaint}), ("notification", {})]
        heard = [await staff_stream.next_event(), await staff_stream.next_event()]
        assert sorted(heard) == [("complaint", {"id": complaint}), ("queue", {"id": complaint})]
    finally:
        await staff_stream.close()
        await reporter_stream.close()
