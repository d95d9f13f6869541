"""The audit log browser: newest first, paged, filtered by actor, action, target and period
(days in Asia/Jakarta), showing who, what, to what, when, from where and the data."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest


async def _execute(dsn: str, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _entry(
    dsn: str,
    actor: int | None,
    action: str,
    at: datetime,
    *,
    target: tuple[str, str] = ("", ""),
    data: dict | None = None,
    ip: str = "10.1.2.3",
) -> None:
    await _execute(
        dsn,
        "INSERT INTO audit_log (actor, action, target_type, target_id, data, at, ip)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        actor,
        action,
        target[0],
        target[1],
        json.dumps(data or {}),
        at,
        ip,
    )


@pytest.fixture
async def admin(as_role, people: dict[str, int], db_dsn: str) -> httpx.AsyncClient:
    await _execute(db_dsn, "UPDATE users SET language = 'en' WHERE username = 'admin'")
    client = await as_role("admin")
    await _execute(db_dsn, "TRUNCATE audit_log")  # the login's own entry
    return client


def _order(text: str) -> list[str]:
    """The actions in the order the page shows them."""
    return re.findall(r'<td data-action="([a-z_.]+)">', text)


async def test_newest_first_with_who_what_target_when_where_and_data(
    admin: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    base = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    await _entry(
        db_dsn,
        people["admin"],
        "unit.create",
        base,
        target=("unit", "7"),
        data={"name": 'Dinas "Baru"', "auto_assign": False},
        ip="192.0.2.9",
    )
    await _entry(
        db_dsn, None, "complaint.close", base + timedelta(hours=2), target=("complaint", "5"), ip=""
    )
    await _entry(
        db_dsn,
        people["officer"],
        "complaint.assign",
        base + timedelta(hours=1),
        target=("complaint", "5"),
        data={"from": None, "to": 2},
    )
    page = await admin.get("/admin/audit")
    assert page.status_code == 200
    assert _order(page.text) == ["complaint.close", "complaint.assign", "unit.create"]
    text = page.text
    assert ">admin</a>" in text and ">petugas</a>" in text and "system" in text
    assert "192.0.2.9" in text
    # 03:00 UTC is 10:00 in Jakarta.
    assert "10:00" in text
    # The data as labelled values, in the order written: officer 2 by username.
    assert _details(text) == [
        [("Before", "—"), ("After", "petugas")],
        [("Name", 'Dinas "Baru"'), ("Automatic assignment", "No")],
    ]
    assert 'href="/admin/audit?target_type=complaint&amp;target_id=5"' in text


def _details(text: str) -> list[list[tuple[str, str]]]:
    """Each entry's labelled values (entries without data left out)."""
    return [
        [
            (html.unescape(label), html.unescape(value))
            for label, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block)
        ]
        for block in re.findall(r'<dl class="facts data">(.*?)</dl>', text)
    ]


def _phrases(text: str) -> list[str]:
    """What each entry's "what" column says, tags removed."""
    cells = re.findall(r'<td data-action="[a-z_.]+">(.*?)(?:<dl|</td>)', text, flags=re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


async def test_actions_read_as_phrases_and_data_as_labelled_values_in_each_language(
    admin: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    """Codes such as account.login and the JSON data were shown as stored: now a phrase in
    the reader's language (the code beside it, for the filter), and the data with labels,
    names for ids, translated statuses and roles; a code or key nobody described yet is
    shown as stored."""
    base = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
    unit = people["unit"]
    await _entry(db_dsn, people["citizen"], "account.login", base, target=("user", "1"))
    await _entry(
        db_dsn,
        people["officer"],
        "complaint.verify",
        base + timedelta(minutes=1),
        target=("complaint", "5"),
        data={"from": "pending", "to": "verified", "priority": "high", "unit": unit},
    )
    await _entry(
        db_dsn,
        people["admin"],
        "user.role_changed",
        base + timedelta(minutes=2),
        target=("user", "3"),
        data={"from": "citizen", "to": "officer", "unit": unit},
    )
    await _entry(
        db_dsn,
        people["admin"],
        "unit.update",
        base + timedelta(minutes=3),
        target=("unit", str(unit)),
        data={"changes": {"name": ["Dinas Lama", "Dinas Uji"], "auto_assign": [False, True]}},
    )
    await _entry(
        db_dsn,
        None,
        "complaint.overdue_escalated",
        base + timedelta(minutes=4),
        target=("complaint", "5"),
        data={"due_at": "2026-03-01 03:00:00+00:00", "notified": [people["admin"], 999999]},
    )
    await _entry(
        db_dsn,
        people["admin"],
        "account.password_desk",  # a code this version does not describe
        base + timedelta(minutes=5),
        target=("user", "1"),
        data={"checked": "nik", "count": 2},
    )

    english = (await admin.get("/admin/audit")).text
    assert _phrases(english) == [
        "account.password_desk",
        "Told the unit's admins about an overdue complaint complaint.overdue_escalated",
        "Edited a unit unit.update",
        "Changed a user's role user.role_changed",
        "Verified a complaint complaint.verify",
        "Logged in account.login",
    ]
    assert _details(english) == [
        [("checked", "nik"), ("count", "2")],
        [("Deadline", "3/1/26, 10:00\u202fAM"), ("Told", "admin, #999999")],
        [("Name", "Dinas Lama → Dinas Uji"), ("Automatic assignment", "No → Yes")],
        [("Before", "Citizen"), ("After", "Officer"), ("Unit", "Dinas Uji")],
        [("Before", "Pending"), ("After", "Verified"), ("Unit", "Dinas Uji"), ("Priority", "High")],
    ]
    assert "{" not in "".join(_phrases(english))  # no raw JSON anywhere

    await _execute(db_dsn, "UPDATE users SET language = 'id' WHERE username = 'admin'")
    await admin.post("/bahasa", data={"lang": "id", "next": "/admin/audit"})
    indonesian = (await admin.get("/admin/audit")).text
    assert _phrases(indonesian)[-2:] == [
        "Memverifikasi pengaduan complaint.verify",
        "Masuk ke akun account.login",
    ]
    assert _details(indonesian)[-1] == [
        ("Sebelumnya", "Menunggu"),
        ("Sesudahnya", "Terverifikasi"),
        ("Unit", "Dinas Uji"),
        ("Prioritas", "Tinggi"),
    ]
    # The history on a unit's own page reads the same way.
    unit_page = (await admin.get(f"/admin/unit/{unit}")).text
    assert "Mengubah unit" in unit_page and "<code>unit.update</code>" not in unit_page


async def test_filters_by_actor_action_target_and_period(
    admin: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    jakarta_midnight = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)  # 2 March 00:00 WIB
    await _entry(
        db_dsn,
        people["admin"],
        "user.create",
        jakarta_midnight - timedelta(minutes=1),
        target=("user", "2"),
    )
    await _entry(
        db_dsn, people["admin"], "user.role_changed", jakarta_midnight, target=("user", "3")
    )
    await _entry(
        db_dsn,
        people["officer"],
        "complaint.assign",
        jakarta_midnight + timedelta(hours=1),
        target=("complaint", "3"),
    )
    await _entry(
        db_dsn,
        people["admin"],
        "unit.update",
        jakarta_midnight + timedelta(days=1),
        target=("unit", "3"),
    )

    async def shown(query: str) -> list[str]:
        response = await admin.get(f"/admin/audit?{query}")
        assert response.status_code == 200
        return _order(response.text)

    assert await shown("actor=petugas") == ["complaint.assign"]
    assert await shown("actor=ADMIN") == ["unit.update", "user.role_changed", "user.create"]
    assert await shown("actor=nobody") == []
    assert await shown("action=user.") == ["user.role_changed", "user.create"]
    assert await shown("action=user_") == []  # no wildcards
    assert await shown("target_type=user&target_id=3") == ["user.role_changed"]
    assert await shown("target_id=3") == ["unit.update", "complaint.assign", "user.role_changed"]
    assert await shown("from=2026-03-02&to=2026-03-02") == ["complaint.assign", "user.role_changed"]
    assert await shown("to=2026-03-01") == ["user.create"]
    assert await shown("from=2026-03-03") == ["unit.update"]
    assert await shown("actor=admin&action=user&from=2026-03-02") == ["user.role_changed"]


async def test_a_bad_date_is_reported_and_left_out(
    admin: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    await _entry(db_dsn, people["admin"], "user.create", datetime(2026, 3, 1, tzinfo=UTC))
    bad = await admin.get("/admin/audit?from=kemarin&actor=admin")
    assert bad.status_code == 200
    assert 'id="e-from"' in bad.text and 'value="kemarin"' in bad.text
    assert _order(bad.text) == ["user.create"]
    backwards = await admin.get("/admin/audit?from=2026-03-05&to=2026-03-01")
    assert "The end date is before the start date." in backwards.text


async def test_pages_of_fifty_and_htmx_gets_only_the_results(
    admin: httpx.AsyncClient, people: dict[str, int], db_dsn: str
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(55):
        await _entry(
            db_dsn,
            people["admin"],
            "unit.update",
            start + timedelta(minutes=n),
            target=("unit", str(n)),
        )
    first = await admin.get("/admin/audit?action=unit.")
    assert len(_order(first.text)) == 50
    assert 'href="/admin/audit?action=unit.&amp;page=2"' in first.text
    assert ">unit 54</a>" in first.text and ">unit 4</a>" not in first.text
    second = await admin.get("/admin/audit?action=unit.&page=2", headers={"HX-Request": "true"})
    assert "<html" not in second.text and "HX-Request" in second.headers["vary"]
    assert len(_order(second.text)) == 5 and ">unit 0</a>" in second.text
    assert "page=3" not in second.text and 'href="/admin/audit?action=unit."' in second.text
