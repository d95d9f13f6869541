"""Anonymity that holds everywhere: the reporter of an anonymous complaint is named in no page,
fragment, export, report, notification, mail, live event or audit view that an officer or an
admin can reach, whatever the reporter did on it (submit, edit, message, withdraw, reopen,
rate) and whatever user filter is tried.

The pages are found by walking the app's own route table, so a new page is swept too (a new
kind of path parameter fails the walk until it is given a value here).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import pytest
from litestar import Litestar

from pengaduan.clock import JAKARTA
from pengaduan.complaints import lifecycle
from pengaduan.complaints.lifecycle import Actor
from pengaduan.db import migrations
from pengaduan.events import publish
from pengaduan.handling.jobs import escalate_overdue
from pengaduan.notifications.outbox import worker as outbox_worker
from pengaduan.settings import Settings
from tests.conftest import browser_client, log_in
from tests.factories import PASSWORD, attach_evidence, make_category, make_complaint
from tests.integration.test_access import ALLOWED, registered_routes
from tests.integration.test_complaints_citizen import storage  # noqa: F401
from tests.integration.test_live import StreamCall
from tests.support.databases import drop_database, recreate_database, settings_for
from tests.support.mail import SmtpSink

# Distinctive values, so that finding one anywhere means the reporter was named.
REPORTER = {
    "full_name": "Kusumawardhani Prameswari",
    "nik": "3273015208850004",
    "phone": "0812-9988-7766",
    "address": "Jl. Melati Rahasia No. 77, Bandung",
    "email": "kusuma.rahasia@contoh.test",
    "username": "kusumarahasia",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
}
SECRETS = {
    "username": "kusumarahasia",
    "full name": "Kusumawardhani Prameswari",
    "email": "kusuma.rahasia@contoh.test",
    "phone": "81299887766",  # in every form: 0812…, +62812…, 62812…
    "phone as typed": "0812-9988-7766",
    "NIK": "3273015208850004",
    "address": "Melati Rahasia",
}
WAIT = 10.0


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [name for name, value in SECRETS.items() if value.lower() in lowered]


async def _execute(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _form_key(client: httpx.AsyncClient) -> str:
    page = await client.get("/pengaduan/baru")
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)


def _form(category: int, key: str | None = None, **overrides: str) -> dict[str, str]:
    """The complaint form's fields (with the new-complaint form's key when given)."""
    fields = {
        "title": "Lampu jalan padam di gang sempit",
        "description": "Sudah dua minggu gelap, warga takut lewat malam hari.",
        "category": str(category),
        "location_text": "Gang Kenari, Bandung",
        "urgency": "normal",
        "anonymous": "1",
        **overrides,
    }
    return fields if key is None else {"idempotency_key": key, **fields}


async def _submit(client: httpx.AsyncClient, category: int, **overrides: str) -> int:
    data = _form(category, await _form_key(client), **overrides)
    response = await client.post("/pengaduan/baru", data=data)
    assert response.status_code == 303, response.text[:2000]
    return int(re.fullmatch(r"/pengaduan/(\d+)/terkirim", response.headers["location"]).group(1))


async def _send_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]
) -> None:
    """Post a form as the browser would from `page`: its hidden fields (a form key, say) too."""
    html = (await client.get(page)).text
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', html, flags=re.S)
    assert form, f"no form for {action} on {page}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))
    response = await client.post(action, data={**hidden, **data})
    assert response.status_code == 303, (action, response.status_code, response.text[:2000])


# --- live events ------------------------------------------------------------------------------


class Listener:
    """A stream read in the background, every block kept, until the sentinel arrives."""

    def __init__(self, call: StreamCall) -> None:
        self.call = call
        self.blocks: list[str] = []
        self.task: asyncio.Task | None = None

    async def start(self) -> Listener:
        await self.call.opened()
        assert self.call.status == 200, self.call.status
        return self

    async def until(self, sentinel: dict[str, Any]) -> str:
        while True:
            block = await self.call.next_block()
            assert block is not None, "the stream ended before the sentinel"
            self.blocks.append(block)
            data = [json.loads(line[6:]) for line in block.split("\n") if line.startswith("data: ")]
            if sentinel in data:
                return "\n\n".join(self.blocks)


@pytest.fixture
async def listeners(app: Litestar) -> AsyncIterator[Any]:
    opened: list[StreamCall] = []

    async def listen(client: httpx.AsyncClient, path: str = "/langsung") -> Listener:
        call = StreamCall(app, path, client.cookies).start()
        opened.append(call)
        return await Listener(call).start()

    yield listen
    for call in opened:
        await call.close()


# --- the story --------------------------------------------------------------------------------


@pytest.fixture
async def story(
    app: Litestar,
    people: dict[str, int],
    storage,  # noqa: F811
    db_dsn: str,
    smtp_sink: SmtpSink,
    listeners,
    settings: Settings,
) -> dict[str, Any]:
    """An anonymous reporter who does everything a reporter can on two anonymous complaints,
    with the staff's live streams open throughout and the outbox delivered at the end."""
    world: dict[str, Any] = dict(people)
    world["category"] = await make_category(people["unit"], "Penerangan Jalan", deadline_days=7)
    # Another complaint of the unit: its queue event closes the live streams' recording.
    world["other"] = await make_complaint(
        reporter=people["citizen"], unit=people["unit"], category=world["category"]
    )

    reporter = browser_client(app)
    officer = browser_client(app)
    admin = browser_client(app)
    world["clients"] = {"officer": officer, "admin": admin}
    await log_in(officer, "petugas")
    await log_in(admin, "admin")
    response = await reporter.post("/daftar", data=REPORTER)
    assert response.status_code == 303, response.text[:2000]
    (row,) = await _execute(
        db_dsn,
        "UPDATE users SET email_confirmed_at = now() WHERE username = $1 RETURNING id",
        REPORTER["username"],
    )
    world["reporter"] = row["id"]
    await log_in(reporter, REPORTER["username"])

    streams = [await listeners(officer), await listeners(admin)]
    a = await _submit(reporter, world["category"])
    b = await _submit(reporter, world["category"], title="Pohon tumbang menutup jalan")
    world["a"], world["b"] = a, b
    world["file"] = await attach_evidence(a, world["reporter"])
    streams += [
        await listeners(officer, f"/langsung?pengaduan={a}"),
        await listeners(admin, f"/langsung?pengaduan={a}"),
    ]

    # Edit, message, withdraw (the second complaint).
    await _send_form(
        reporter,
        f"/pengaduan/{a}/ubah",
        f"/pengaduan/{a}/ubah",
        _form(world["category"], title="Lampu jalan padam di Gang Kenari"),
    )
    await _send_form(
        reporter, f"/pengaduan/{a}", f"/pengaduan/{a}/pesan", {"message": "Ada kabar terbaru?"}
    )
    # Withdrawn through the confirmation page (the way without JavaScript).
    await _send_form(reporter, f"/pengaduan/{b}/cabut", f"/pengaduan/{b}/cabut", {})

    staff = Actor(user_id=people["officer"], role="officer", unit_id=people["unit"])
    await lifecycle.apply(a, "verify", staff, settings=settings)
    await lifecycle.apply(a, "start", staff, settings=settings)
    await lifecycle.apply(a, "resolve", staff, text="Lampu sudah diganti.", settings=settings)
    # Reopen; overdue meanwhile, so the unit's admins and the officer are told by mail.
    await _send_form(
        reporter, f"/pengaduan/{a}", f"/pengaduan/{a}/buka-kembali", {"reason": "Padam lagi."}
    )
    await _execute(
        db_dsn, "UPDATE complaints SET due_at = now() - interval '1 day' WHERE id = $1", a
    )
    assert await escalate_overdue(settings) == 1
    await lifecycle.apply(a, "resolve", staff, text="Kabel diganti juga.", settings=settings)
    await _send_form(
        reporter,
        f"/pengaduan/{a}",
        f"/pengaduan/{a}/nilai",
        {"score": "4", "comment": "Terima kasih."},
    )
    statuses = await _execute(
        db_dsn, "SELECT id, status FROM complaints WHERE id = ANY($1)", [a, b]
    )
    assert {r["id"]: r["status"] for r in statuses} == {a: "closed", b: "withdrawn"}
    world["numbers"] = [
        r["number"]
        for r in await _execute(
            db_dsn, "SELECT number FROM complaints WHERE id = ANY($1) ORDER BY id", [a, b]
        )
    ]

    # The sentinel: an event about another complaint of the unit, after everything else.
    await publish([f"queue_{people['unit']}"], {"event": "edited", "complaint": world["other"]})
    sentinel = {"id": world["other"]}
    world["live"] = [await s.until(sentinel) for s in streams]

    mail_settings = settings_for(db_dsn, **smtp_sink.settings_env())
    delivered = 0
    while sent := await outbox_worker.deliver_due(mail_settings):
        delivered += sent
    world["mails"] = await smtp_sink.wait_for_async(delivered)
    yield world
    for client in (reporter, officer, admin):
        await client.aclose()


# --- what staff can reach ---------------------------------------------------------------------

REACHABLE = ("officer", "admin")


def _fill(path: str, world: dict[str, Any], complaint: int, number: str, notes: list[int]) -> str:
    path = path.replace("{complaint_id:int}", str(complaint))
    path = path.replace("{file_id:int}", str(world["file"]))
    path = path.replace("{number:str}", number)
    path = path.replace("{token:str}", "not-a-valid-token")
    path = path.replace("{user_id:int}", str(world["reporter"]))
    path = path.replace("{unit_id:int}", str(world["unit"]))
    path = path.replace("{category_id:int}", str(world["category"]))
    path = path.replace("{template_id:int}", "1")
    path = path.replace("{agency_id:int}", "1")  # no outside agency in the story: 404
    path = path.replace("{notification_id:int}", str(notes[0] if notes else 1))
    # Open311: the anonymous complaint as a service request, its category as a service.
    path = path.replace("{request_id:str}", f"{number}.json")
    path = path.replace("{code:str}", f"{world['category']}.xml")
    path = path.replace("{path:str}", "tidak-ada")  # the JSON API's unknown paths
    assert "{" not in path, f"give the sweep a value for the parameter in {path}"
    return path


def _audit_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="audit-\d+">.*?</tr>', html, flags=re.S)


def _check_page(
    url: str, text: str, world: dict[str, Any], problems: list[str], label: str
) -> None:
    """Nothing names the reporter. Pages about accounts name their users, of course: there
    the anonymous complaints must not be found instead; and in the audit log the reporter's
    own account entries may name them, but no entry about the anonymous complaints may."""
    complaint_marks = [*world["numbers"], f"complaint {world['a']}<", f"complaint {world['b']}<"]
    if url.startswith("/admin/pengguna"):
        found = [m for m in complaint_marks if m in text]
        if found:
            problems.append(f"{label} {url}: lists the anonymous complaints {found}")
        return
    if url.startswith("/admin/audit"):
        for row in _audit_rows(text):
            about = any(m in row for m in complaint_marks[2:])
            if about and leaks(row):
                problems.append(f"{label} {url}: an entry names the reporter: {leaks(row)}")
            if leaks(row) and not about and "target_type=complaint" in row:
                problems.append(f"{label} {url}: the reporter is named on a complaint entry")
        return
    if found := leaks(text):
        problems.append(f"{label} {url}: {found}")


def _mail_text(message: EmailMessage) -> str:
    """Headers and every text part, decoded (parts travel quoted-printable or base64)."""
    parts = [f"{key}: {value}" for key, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def _text_of(response: httpx.Response) -> str:
    """The response as text; a spreadsheet (a zip of XML files) unpacked first."""
    content = response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            content = b"\n".join(archive.read(name) for name in archive.namelist())
    return content.decode("utf-8", errors="replace")


async def _sweep_routes(
    app: Litestar,
    world: dict[str, Any],
    db_dsn: str,
    role: str,
    problems: list[str],
    shown: set[str],
) -> int:
    client: httpx.AsyncClient = world["clients"][role]
    user_id = world["officer" if role == "officer" else "admin"]
    notes = [
        r["id"]
        for r in await _execute(
            db_dsn, 'SELECT id FROM notifications WHERE "user" = $1 ORDER BY id', user_id
        )
    ]
    month = datetime.now(JAKARTA).strftime("%Y-%m")
    variants = ["", f"?status=any&view=all&unit={world['unit']}&month={month}&period=all"]
    pages = 0
    for (method, path), access in sorted(registered_routes(app).items()):
        if method != "GET" or role not in ALLOWED.get(access or "", set()):
            continue
        if path.startswith("/static/") or path == "/langsung":
            continue  # files; the stream is listened to throughout the story
        if path.startswith("/dev/"):
            continue  # development tools (the local mailbox), 404 in production: no staff page
        urls = set()
        for complaint, number in zip((world["a"], world["b"]), world["numbers"], strict=True):
            for variant in variants:
                urls.add(_fill(path, world, complaint, number, notes) + variant)
        for url in sorted(urls):
            for headers in ({}, {"HX-Request": "true"}):
                response = await client.get(url, headers=headers)
                assert response.status_code < 500, (url, response.status_code)
                text = _text_of(response)
                if response.status_code == 200 and any(n in text for n in world["numbers"]):
                    shown.add(url.partition("?")[0])
                _check_page(url, text, world, problems, f"{role} GET{' (htmx)' if headers else ''}")
                pages += 1
    return pages


async def test_no_page_export_mail_event_or_audit_view_names_an_anonymous_reporter(
    app: Litestar, story: dict[str, Any], db_dsn: str
) -> None:
    world = story
    problems: list[str] = []

    # Every page and fragment an officer or an admin can open, plain and through htmx.
    shown: set[str] = set()
    for role in REACHABLE:
        assert await _sweep_routes(app, world, db_dsn, role, problems, shown) > 50
    # The sweep saw the complaints where they are (else it would prove nothing).
    a = world["a"]
    for page in (
        f"/petugas/pengaduan/{a}",
        "/petugas/antrean",
        "/admin/pengaduan",
        "/admin/pengaduan/ekspor.csv",
        "/admin/pengaduan/ekspor.xlsx",
        "/admin/audit",
        f"/arsip/{world['numbers'][0]}",
    ):
        assert page in shown, f"{page} never showed the complaints: {sorted(shown)}"
    admin = world["clients"]["admin"]

    labels = []
    # The audit log about each complaint, and filtered by every way of naming the reporter.
    for complaint in (world["a"], world["b"]):
        url = f"/admin/audit?target_type=complaint&target_id={complaint}"
        text = (await admin.get(url)).text
        assert len(_audit_rows(text)) >= 2, text[:3000]
        if found := leaks(text):
            problems.append(f"admin GET {url}: {found}")
        labels.append("Pelapor (anonim)" in text)
    for name in ("username", "email", "full name", "NIK", "phone"):
        url = f"/admin/audit?actor={quote(SECRETS[name])}"
        text = (await admin.get(url)).text
        for row in _audit_rows(text):
            # The entry's target link, exactly: `target_id=4` must not match a user 4's entry
            # nor complaint 41's.
            about = re.findall(r"target_type=complaint&amp;target_id=(\d+)\b", row)
            if {str(world["a"]), str(world["b"])} & set(about):
                problems.append(f"admin GET {url}: finds an entry about an anonymous complaint")
    # Searching the complaint lists and their exports for the reporter finds nothing.
    for name, value in SECRETS.items():
        for base in (
            "/admin/pengaduan",
            "/admin/pengaduan/ekspor.csv",
            "/admin/pengaduan/ekspor.xlsx",
            "/petugas/antrean",
        ):
            url = f"{base}?view=all&status=any&q={quote(value)}"
            content = _text_of(await admin.get(url))
            if any(number in content for number in world["numbers"]):
                problems.append(f"admin GET {url}: searching the {name} finds the complaint")

    # Mail to anyone but the reporter (the overdue escalation among them).
    staff_mails = [m for m in world["mails"] if REPORTER["email"] not in m.recipients]
    assert staff_mails, "the staff got no mail: the sweep of mails would prove nothing"
    for mail in staff_mails:
        if found := leaks(_mail_text(mail.message)):
            problems.append(f"mail to {mail.recipients}: {found}")
    # In-app notifications of the staff, as stored (the text and the parameters it is
    # written from when read).
    for row in await _execute(
        db_dsn,
        "SELECT n.title, n.body, n.params::text AS params FROM notifications n"
        " JOIN users u ON u.id = n.\"user\" WHERE u.role <> 'citizen'",
    ):
        if found := leaks(f"{row['title']} {row['body']} {row['params']}"):
            problems.append(f"notification {row['title']!r}: {found}")
    # Live events heard by the staff's streams.
    for text in world["live"]:
        if found := leaks(text):
            problems.append(f"live event: {found}")

    assert problems == []
    assert labels == [True, True], "the reporter's entries say who acted: the reporter"
    # The handling page shows the reporter's message and status changes as the reporter's.
    page = (await world["clients"]["officer"].get(f"/petugas/pengaduan/{world['a']}")).text
    assert "Ada kabar terbaru?" in page and "Pelapor (anonim)" in page


async def test_the_audit_log_keeps_no_link_to_an_anonymous_reporter(
    story: dict[str, Any], db_dsn: str
) -> None:
    rows = await _execute(
        db_dsn,
        "SELECT action, actor, ip, by_anonymous_reporter FROM audit_log"
        " WHERE target_type = 'complaint' AND target_id = ANY($1) ORDER BY id",
        [str(story["a"]), str(story["b"])],
    )
    by_reporter = [r for r in rows if r["by_anonymous_reporter"]]
    actions = sorted({r["action"] for r in by_reporter})
    assert actions == [
        "complaint.close",
        "complaint.edit",
        "complaint.rate",
        "complaint.reopen",
        "complaint.submit",
        "complaint.withdraw",
    ]
    assert all(r["actor"] is None and r["ip"] == "" for r in by_reporter)
    assert story["reporter"] not in {r["actor"] for r in rows}
    # The staff's own actions keep their names.
    assert story["officer"] in {r["actor"] for r in rows if r["action"] == "complaint.verify"}


async def test_a_complaint_made_anonymous_later_loses_the_name_in_earlier_entries(
    as_role, people: dict[str, int], db_dsn: str
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    category = await make_category(people["unit"], "Penerangan Jalan", deadline_days=7)
    complaint = await _submit(citizen, category, anonymous="")
    named = await _execute(
        db_dsn,
        "SELECT actor FROM audit_log WHERE target_type = 'complaint' AND target_id = $1",
        str(complaint),
    )
    assert [r["actor"] for r in named] == [people["citizen"]]
    page = f"/pengaduan/{complaint}/ubah"
    await _send_form(citizen, page, page, _form(category))
    rows = await _execute(
        db_dsn,
        "SELECT action, actor, ip, by_anonymous_reporter FROM audit_log"
        " WHERE target_type = 'complaint' AND target_id = $1",
        str(complaint),
    )
    assert sorted(r["action"] for r in rows) == ["complaint.edit", "complaint.submit"]
    assert all(r["actor"] is None and r["ip"] == "" and r["by_anonymous_reporter"] for r in rows)


async def test_the_migration_scrubs_entries_written_before_the_rule(pg_server_dsn: str) -> None:
    """Entries as the old code wrote them (the reporter's id and address) lose both."""
    name = f"pengaduan_anonymity_{datetime.now(UTC):%H%M%S%f}"
    dsn = await recreate_database(pg_server_dsn, name)
    try:
        await migrations.migrate(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            # Back to the schema before the migration, with the rows the old code wrote.
            await conn.execute(
                "DELETE FROM migration WHERE name = '2026-12-04T10:00:00:000000';"
                " ALTER TABLE audit_log DROP COLUMN by_anonymous_reporter;"
                " INSERT INTO units (name) VALUES ('Dinas');"
                " INSERT INTO users (username, full_name, role, password_hash)"
                " VALUES ('warga2', 'Warga Dua', 'citizen', 'x'), ('petugas', 'P', 'officer', 'x');"
                " INSERT INTO categories (name, default_unit) VALUES ('Jalan', 1);"
            )
            for number, anonymous in (("ADU-2026-000001", True), ("ADU-2026-000002", False)):
                await conn.execute(
                    "INSERT INTO complaints (number, tracking_code, reporter, category, unit,"
                    " title, body, status, is_anonymous, submitted_at, updated_at)"
                    " VALUES ($1, 'KODE', 1, 1, 1, 't', 'b', 'pending', $2, now(), now())",
                    number,
                    anonymous,
                )
            for complaint, actor in (("1", 1), ("1", 2), ("2", 1)):
                await conn.execute(
                    "INSERT INTO audit_log (actor, action, target_type, target_id, data, at, ip)"
                    " VALUES ($1, 'complaint.submit', 'complaint', $2, '{}', now(), '10.0.0.7')",
                    actor,
                    complaint,
                )
        finally:
            await conn.close()
        assert await migrations.migrate(dsn) == ["2026-12-04T10:00:00:000000"]
        rows = await _execute(
            dsn,
            "SELECT target_id, actor, ip, by_anonymous_reporter FROM audit_log ORDER BY id",
        )
        assert [tuple(r) for r in rows] == [
            ("1", None, "", True),  # the anonymous reporter: scrubbed
            ("1", 2, "10.0.0.7", False),  # staff on the anonymous complaint: kept
            ("2", 1, "10.0.0.7", False),  # the reporter of a named complaint: kept
        ]
    finally:
        await drop_database(pg_server_dsn, name)
