"""What a logged-in page costs in SQL statements, rendered from the database (not the page
cache): the account page and the staff complaint page ask a fixed few queries however much
they show (issue 13, item 4). A count that grows back fails here."""

from __future__ import annotations

import httpx
import pytest

from pengaduan.web import pagecache
from tests.conftest import browser_client, log_in
from tests.integration.agency_fixtures import make_response_template
from tests.integration.test_handling import _complaint, count_queries, unit_data

__all__ = ["count_queries", "unit_data"]  # fixtures, used by name


async def test_the_account_page_costs_two_queries_however_many_sessions(
    app, as_role, count_queries: list[str]
) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    page = await citizen.get("/akun")
    assert page.status_code == 200 and page.text.count("<li>") >= 1
    for _ in range(3):  # more sessions of the same account, each listed on the page
        other = browser_client(app)
        await log_in(other, "warga")
        await other.aclose()
    count_queries.clear()
    page = await citizen.get("/akun")
    assert page.status_code == 200
    assert "Warga" in page.text  # the account
    sessions = page.text.split('id="sess-h"', 1)[1].split("</ul>", 1)[0]
    assert sessions.count("<li>") == 4
    assert sessions.count('class="badge"') == 1  # this device, once
    # The session lookup; the account with its sessions.
    assert len(count_queries) == 2, count_queries


@pytest.mark.parametrize("status", ["pending", "in_progress"])
async def test_the_staff_complaint_page_costs_four_queries(
    as_role, unit_data: dict[str, int], count_queries: list[str], status: str
) -> None:
    d = unit_data
    complaint = await _complaint(d, title="Jembatan retak", status=status)
    await make_response_template(d["category"], "Sedang kami tinjau")
    await make_response_template(None, "Untuk semua kategori")
    officer: httpx.AsyncClient = await as_role("officer")
    await officer.get(f"/petugas/pengaduan/{complaint}")
    pagecache.clear()
    count_queries.clear()
    page = await officer.get(f"/petugas/pengaduan/{complaint}")
    assert page.status_code == 200
    assert "Jembatan retak" in page.text
    # The reply templates (the category's and the shared one); the other unit to forward to.
    assert "Sedang kami tinjau" in page.text and "Untuk semua kategori" in page.text
    assert "Dinas Lain" in page.text
    # The session lookup, the complaint, its timeline, and every list the page offers
    # (evidence, templates, units, officers and for a pending one the categories) as one.
    assert len(count_queries) == 4, count_queries
