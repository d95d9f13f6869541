"""Exports read back as a spreadsheet would: exactly the filtered rows, never the reporter of an
anonymous complaint, audited, capped."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import openpyxl
import pytest

from pengaduan.audit.tables import AuditLog
from pengaduan.statistics import exports
from tests.factories import make_category, make_complaint, make_unit, make_user


@pytest.fixture
async def listed(people: dict[str, int]) -> dict[str, object]:
    """Unit A: three complaints (one anonymous, by "Rahasiawan"), one of them resolved;
    unit B: one. The admin list's default shows open ones only."""
    now = datetime.now(UTC)
    unit_b = await make_unit("Dinas Lain")
    cat_a = await make_category(people["unit"], "Jalan Rusak", deadline_days=7)
    cat_b = await make_category(unit_b, "Lampu Jalan", deadline_days=7)
    secret = await make_user("citizen", "rahasiawan")
    made = {
        "open": await make_complaint(
            reporter=people["citizen"],
            unit=people["unit"],
            category=cat_a,
            title="Jalan berlubang di Jl. Merdeka",
            number="ADU-2026-000101",
            submitted_at=now - timedelta(days=3),
        ),
        "anonymous": await make_complaint(
            reporter=secret,
            unit=people["unit"],
            category=cat_a,
            title="Pungutan di kantor kelurahan",
            number="ADU-2026-000102",
            is_anonymous=True,
            status="verified",
            submitted_at=now - timedelta(days=2),
        ),
        "resolved": await make_complaint(
            reporter=people["citizen"],
            unit=people["unit"],
            category=cat_a,
            title="Aspal mengelupas",
            number="ADU-2026-000103",
            status="resolved",
            resolved_at=now - timedelta(hours=5),
            submitted_at=now - timedelta(days=4),
        ),
        "other_unit": await make_complaint(
            reporter=people["citizen"],
            unit=unit_b,
            category=cat_b,
            title="Lampu mati",
            number="ADU-2026-000104",
        ),
    }
    return {"unit_a": people["unit"], "unit_b": unit_b, **made}


def _csv_rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx_rows(response: httpx.Response) -> list[list[object]]:
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


async def test_complaint_list_exports_hold_exactly_the_filtered_rows(
    as_role, listed: dict[str, object]
) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    query = f"?unit={listed['unit_a']}"  # open complaints (the list's default) of unit A
    response = await admin.get(f"/admin/pengaduan/ekspor.csv{query}")
    assert response.status_code == 200
    # One charset, not two (Litestar adds it to every text/* type).
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = _csv_rows(response)
    header, body = rows[0], rows[1:]
    number, reporter = 0, len(header) - 1
    assert sorted(r[number] for r in body) == ["ADU-2026-000101", "ADU-2026-000102"]
    by_number = {r[number]: r for r in body}
    assert by_number["ADU-2026-000101"][reporter] == "Warga"
    assert by_number["ADU-2026-000102"][reporter] == "Anonim"
    assert "Rahasiawan" not in response.content.decode("utf-8-sig")

    response = await admin.get(f"/admin/pengaduan/ekspor.xlsx{query}&status=any")
    assert response.status_code == 200
    assert response.headers["content-type"] == exports.XLSX_TYPE
    rows = _xlsx_rows(response)
    assert sorted(r[number] for r in rows[1:]) == [
        "ADU-2026-000101",
        "ADU-2026-000102",
        "ADU-2026-000103",
    ]
    cells = [str(c) for row in rows for c in row if c is not None]
    assert "Rahasiawan" not in " ".join(cells)
    assert any(isinstance(c, datetime) for c in rows[1]), "times are spreadsheet dates"

    entries = await AuditLog.select(AuditLog.action, AuditLog.data).where(
        AuditLog.action == "export.complaints"
    )
    assert len(entries) == 2
    assert '"rows": 2' in entries[0]["data"] and '"format": "csv"' in entries[0]["data"]


async def test_an_export_beyond_the_cap_is_refused_with_a_message(
    as_role, listed: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "EXPORT_LIMIT", 1)
    admin = await as_role("admin")
    response = await admin.get("/admin/pengaduan/ekspor.csv?status=any")
    assert response.status_code == 422
    assert "4" in response.text and "filter" in response.text.lower()


async def test_statistics_exports_read_back(as_role, listed: dict[str, object]) -> None:
    admin = await as_role("admin")
    csv_response = await admin.get(f"/admin/statistik/ekspor.csv?unit={listed['unit_a']}")
    assert csv_response.status_code == 200
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = _csv_rows(csv_response)
    summary = {r[0]: r[1] for r in rows if len(r) == 2}
    assert summary["Jumlah pengaduan"] == "3"
    xlsx_response = await admin.get(f"/admin/statistik/ekspor.xlsx?unit={listed['unit_a']}")
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_response.content), read_only=True)
    first = {row[0]: row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)}
    assert first["Jumlah pengaduan"] == 3
    assert len(workbook.worksheets) == 7
    assert "Rahasiawan" not in csv_response.content.decode("utf-8-sig")
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action)]
    assert actions.count("export.statistics") == 2


async def test_exports_are_for_admins_only(as_role, listed: dict[str, object]) -> None:
    for role in ("citizen", "officer"):
        client = await as_role(role)
        for url in ("/admin/pengaduan/ekspor.csv", "/admin/statistik/ekspor.xlsx"):
            assert (await client.get(url)).status_code == 403
