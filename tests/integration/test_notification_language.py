"""Notifications are kept as a kind and parameters and said in the reader's language when
read (issue 18 item 2); rows from before are read back into kind and parameters by the
migration, and a text it cannot recognise is shown as written."""

from __future__ import annotations

import json
import os

import asyncpg
import httpx
from litestar import Litestar

from pengaduan import db
from pengaduan.complaints.tables import Complaint
from pengaduan.db import migrations
from tests.conftest import reads_in
from tests.factories import make_category, make_complaint
from tests.support.databases import drop_database, recreate_database

# The migration that adds notifications.params, and the one before it.
PARAMS_MIGRATION = "2026-12-04T16:00:00:000000"
BEFORE_PARAMS = "2026-12-04T14:00:00:000000"


async def _number(complaint_id: int) -> str:
    row = await Complaint.select(Complaint.number).where(Complaint.id == complaint_id).first()
    return row["number"]


async def test_a_notification_written_in_indonesian_reads_in_the_readers_language(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    category = await make_category(people["unit"])
    verified = await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"]
    )
    rejected = await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"], title="Lampu mati"
    )
    # The officer works in Indonesian (the default); the citizen's account language is "id".
    officer: httpx.AsyncClient = await as_role("officer")
    assert (await officer.post(f"/petugas/pengaduan/{verified}/verifikasi")).status_code == 303
    response = await officer.post(
        f"/petugas/pengaduan/{rejected}/tolak", data={"reason": "Bukan kewenangan kota."}
    )
    assert response.status_code == 303
    first, second = await _number(verified), await _number(rejected)

    citizen: httpx.AsyncClient = await as_role("citizen")
    reads_in(citizen, "en")
    page = (await citizen.get("/notifikasi")).text
    assert f"Your complaint {first} has been verified" in page
    assert f"Your complaint {second} was rejected" in page
    assert "Verified" in page and "Bukan kewenangan kota." in page  # the reason as written
    assert "Pengaduan Anda" not in page and "Terverifikasi" not in page

    # The same rows, read in Indonesian.
    reads_in(citizen, "id")
    page = (await citizen.get("/notifikasi")).text
    assert f"Pengaduan Anda {first} telah diverifikasi" in page
    assert "Terverifikasi" in page and "Your complaint" not in page

    # Marking one read answers its item again, in the language of that request.
    reads_in(citizen, "en")
    [row] = await db.fetch(
        'SELECT id FROM notifications WHERE "user" = $1 AND kind = $2',
        people["citizen"],
        "verified",
    )
    item = await citizen.post(f"/notifikasi/{row['id']}/baca", headers={"HX-Request": "true"})
    assert f"Your complaint {first} has been verified" in item.text


async def test_the_status_is_kept_as_a_code_and_the_text_in_the_writers_language_as_a_fallback(
    app: Litestar, people: dict[str, int], as_role
) -> None:
    category = await make_category(people["unit"])
    complaint = await make_complaint(
        reporter=people["citizen"], category=category, unit=people["unit"]
    )
    officer: httpx.AsyncClient = await as_role("officer")
    reads_in(officer, "en")  # the writer's language plays no part
    assert (await officer.post(f"/petugas/pengaduan/{complaint}/verifikasi")).status_code == 303
    [row] = await db.fetch(
        'SELECT kind, params, title, body FROM notifications WHERE "user" = $1',
        people["citizen"],
    )
    number = await _number(complaint)
    assert row["kind"] == "verified"
    assert json.loads(row["params"]) == {"number": number, "status": "verified"}
    # As the recipient's account language says (Indonesian), for readers of the stored text.
    assert (row["title"], row["body"]) == (
        f"Pengaduan Anda {number} telah diverifikasi",
        "Terverifikasi",
    )


def test_an_unknown_kind_or_a_row_without_parameters_shows_its_stored_text() -> None:
    from pengaduan.notifications import texts

    assert texts.title_and_body("verified", None, "Teks lama", "Isi") == ("Teks lama", "Isi")
    assert texts.title_and_body("baru", {"number": "X"}, "Teks lama", "") == ("Teks lama", "")


# --- the migration ------------------------------------------------------------------------------

OLD_ROWS = [
    # kind, title, body as the code of before wrote them (Indonesian and English)
    ("verified", "Pengaduan Anda ADU-2026-000007 telah diverifikasi", "Terverifikasi"),
    ("in_progress", "Pengaduan Anda ADU-2026-000007 sedang diproses", "Diproses"),
    ("rejected", "Your complaint ADU-2026-000008 was rejected", "Not our city."),
    ("submitted", "Pengaduan ADU-2026-000009 diterima", "Jalan (pasar) berlubang"),
    ("reply", "Balasan baru pada pengaduan Anda ADU-2026-000007", "Kami cek besok."),
    ("assigned", "Complaint ADU-2026-000007 is assigned to you", "Lampu mati"),
    (
        "overdue",
        "Pengaduan ADU-2026-000007 melewati tenggat",
        "Lampu (jalan) mati (Dinas PU) sudah melewati tenggat dan masih terbuka.",
    ),
    # Not recognised: kept as written.
    ("verified", "Sesuatu yang lain", "Terverifikasi"),
    ("custom", "Pengumuman", "Kantor tutup besok."),
]
EXPECTED = [
    {"number": "ADU-2026-000007", "status": "verified"},
    {"number": "ADU-2026-000007", "status": "in_progress"},
    {"number": "ADU-2026-000008", "status": "rejected", "text": "Not our city."},
    {"number": "ADU-2026-000009", "title": "Jalan (pasar) berlubang"},
    {"number": "ADU-2026-000007", "text": "Kami cek besok."},
    {"number": "ADU-2026-000007", "title": "Lampu mati"},
    {"number": "ADU-2026-000007", "title": "Lampu (jalan) mati", "unit": "Dinas PU"},
    None,
    None,
]


async def test_the_migration_reads_old_texts_back_into_kind_and_parameters(
    pg_server_dsn: str,
) -> None:
    name = f"notif_params_{os.getpid()}"
    dsn = await recreate_database(pg_server_dsn, name)
    try:
        await migrations.migrate(dsn, up_to=BEFORE_PARAMS)
        conn = await asyncpg.connect(dsn)
        try:
            user = await conn.fetchval(
                "INSERT INTO users (username, full_name, role, password_hash)"
                " VALUES ('lama', 'Lama', 'citizen', 'x') RETURNING id"
            )
            await conn.executemany(
                'INSERT INTO notifications ("user", kind, title, body, is_read, created_at)'
                " VALUES ($1, $2, $3, $4, false, now())",
                [(user, *row) for row in OLD_ROWS],
            )
        finally:
            await conn.close()

        applied = await migrations.migrate(dsn)
        assert PARAMS_MIGRATION in applied

        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT kind, title, body, params FROM notifications ORDER BY id"
            )
        finally:
            await conn.close()
        from pengaduan.notifications import texts

        got = [json.loads(r["params"]) if r["params"] is not None else None for r in rows]
        assert got == EXPECTED
        # The old text stays on every row; an English reader now sees the converted ones in
        # English and the unrecognised ones as written.
        assert [(r["title"], r["body"]) for r in rows] == [row[1:] for row in OLD_ROWS]
        with texts.in_language("en"):
            seen = [texts.for_reader(dict(r)) for r in rows]
        assert (seen[1]["title"], seen[1]["body"]) == (
            "Your complaint ADU-2026-000007 is being handled",
            "In progress",
        )
        assert seen[6]["body"] == "Lampu (jalan) mati (Dinas PU) was due and is still open."
        assert (seen[7]["title"], seen[8]["title"]) == ("Sesuatu yang lain", "Pengumuman")
    finally:
        await drop_database(pg_server_dsn, name)


def test_a_queued_mail_is_written_again_from_what_the_outbox_keeps() -> None:
    """The outbox keeps a mail's template and codes as JSON; sending writes it again in the
    recipient's language, times and statuses included."""
    from datetime import UTC, datetime

    from pengaduan.notifications import texts

    due = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    overdue = texts.mail_spec(
        "overdue",
        {
            "number": "ADU-2026-000007",
            "title": "Lampu mati",
            "unit": "Dinas PU",
            "due_at": due,
            "status": "in_progress",
            "link": "https://x.test/petugas/pengaduan/7",
        },
        user_id=3,
    )
    kept = json.loads(json.dumps(overdue))
    english = texts.render_notification_mail(kept, language="en", full_name="Budi")
    indonesian = texts.render_notification_mail(kept, language="id", full_name="Budi")
    assert english.subject == "Overdue: complaint ADU-2026-000007"
    assert "(In progress)" in english.text and "(Diproses)" in indonesian.text
    assert "2026" in english.text  # the due date, a time again

    reply = texts.mail_spec(
        "notification",
        {"link": "https://x.test/pengaduan/7", "settings_link": "https://x.test/notifikasi"},
        user_id=3,
        notification={"kind": "reply", "params": {"number": "ADU-2026-000007", "text": "Oke."}},
    )
    mail = texts.render_notification_mail(
        json.loads(json.dumps(reply)), language="en", full_name="Budi"
    )
    assert mail.subject == "New reply on your complaint ADU-2026-000007"
    assert "Oke." in mail.text and "Hello Budi," in mail.text
