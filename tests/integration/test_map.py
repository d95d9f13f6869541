"""The map's clusters: counted per cell by the triggers (exact through inserts, changes and
deletes, never waiting for another submission), read for the bounds of a view at wide and
close zooms, public complaints only on the archive's map with anonymous ones rounded, the
officer's unit only on the queue's, and the lists behind the maps without JavaScript."""

from __future__ import annotations

import asyncio
import gzip
from html.parser import HTMLParser
from typing import Any

import asyncpg
import httpx
import pytest

from pengaduan import db
from pengaduan.map import grid
from pengaduan.map.jobs import compact_cells
from tests.factories import make_complaint_in

BANDUNG = (-6.9147, 107.6098)
PROVINCE = {"bbox": "106,-8,109,-6", "zoom": "8"}  # clusters from the cells
ARCHIVE = "/arsip/peta/titik"
QUEUE = "/petugas/antrean/peta/titik"


def close(lat: float, lon: float, margin: float = 0.002) -> dict[str, str]:
    """A street-level view around a position (the complaints themselves are read)."""
    return {"bbox": f"{lon - margin},{lat - margin},{lon + margin},{lat + margin}", "zoom": "17"}


async def clusters(client: httpx.AsyncClient, path: str, **params: str) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def total(answer: dict[str, Any]) -> int:
    return sum(c["count"] for c in answer["clusters"])


async def place(world: dict[str, int], lat: float, lon: float, **fields: Any) -> int:
    return await make_complaint_in(world, latitude=lat, longitude=lon, **fields)


async def direct_counts() -> dict[tuple, int]:
    """complaint_cells summed over slots, as the complaints give it counted directly."""
    rows = await db.fetch(
        "SELECT level, cx, cy, unit, category, status, is_public, is_anonymous,"
        " sum(complaints)::int AS n FROM complaint_cells GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        " HAVING sum(complaints) <> 0"
    )
    return {tuple(row)[:-1]: row["n"] for row in rows}


async def expected_counts() -> dict[tuple, int]:
    expected: dict[tuple, int] = {}
    rows = await db.fetch(
        "SELECT latitude, longitude, unit, category, status, is_public, is_anonymous"
        " FROM complaints WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    )
    for row in rows:
        for level in grid.LEVELS:
            x, y = grid.cell(level, row["longitude"], row["latitude"])
            key = (level, x, y, row["unit"], row["category"], row["status"], row["is_public"],
                   row["is_anonymous"])  # fmt: skip
            expected[key] = expected.get(key, 0) + 1
    return expected


async def test_cells_count_exactly_through_inserts_changes_and_deletes(unit_data) -> None:
    a = await place(unit_data, *BANDUNG)
    b = await place(unit_data, BANDUNG[0] + 0.3, BANDUNG[1] - 0.4, is_anonymous=True)
    await make_complaint_in(unit_data)  # no position: not on any map
    assert await direct_counts() == await expected_counts()
    await db.execute(
        "UPDATE complaints SET status = 'verified', is_public = false WHERE id = $1", a
    )
    await db.execute("UPDATE complaints SET latitude = latitude + 0.5 WHERE id = $1", b)
    await db.execute("UPDATE complaints SET title = 'judul baru'")  # nothing the map counts
    assert await direct_counts() == await expected_counts()
    await db.execute("DELETE FROM status_history")
    await db.execute("DELETE FROM complaints WHERE id = $1", a)
    assert await direct_counts() == await expected_counts()
    # A bulk import takes the one-statement path; the rebuild gives the same counts.
    await db.execute(
        "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
        " status, priority, is_anonymous, is_public, latitude, longitude, submitted_at,"
        " updated_at, citizen_urgency, location_text)"
        " SELECT 'ADU-2026-9' || g, 'KODE', $1, $2, $3, 't', 'b', 'pending', 'normal',"
        " g % 3 = 0, true, -6.9 + g * 0.001, 107.6 + g * 0.002, now(), now(), 'normal', ''"
        " FROM generate_series(1, 40) AS g",
        unit_data["citizen"],
        unit_data["category"],
        unit_data["unit"],
    )
    assert await direct_counts() == await expected_counts()
    await db.fetchval("SELECT complaint_cells_rebuild()")
    assert await direct_counts() == await expected_counts()


async def test_a_submission_never_waits_for_another_in_the_same_cell(unit_data, db_dsn) -> None:
    """The cell rows are slots: a transaction holding one does not hold up the next."""
    insert = (
        "INSERT INTO complaints (number, tracking_code, reporter, category, unit, title, body,"
        " status, priority, is_anonymous, is_public, latitude, longitude, submitted_at,"
        " updated_at, citizen_urgency, location_text)"
        " VALUES ($1, 'KODE', $2, $3, $4, 't', 'b', 'pending', 'normal', false, true,"
        f" {BANDUNG[0]}, {BANDUNG[1]}, now(), now(), 'normal', '')"
    )
    args = (unit_data["citizen"], unit_data["category"], unit_data["unit"])
    first, second = await asyncpg.connect(db_dsn), await asyncpg.connect(db_dsn)
    try:
        await second.execute("SET lock_timeout = '2s'")
        holding = first.transaction()
        await holding.start()
        await first.execute(insert, "ADU-2026-800001", *args)
        # Committed while the first still holds its cell rows (lock_timeout would raise).
        await asyncio.wait_for(second.execute(insert, "ADU-2026-800002", *args), 5)
        await holding.commit()
    finally:
        await first.close()
        await second.close()
    assert await direct_counts() == await expected_counts()
    slots = await db.fetchval(
        "SELECT count(*) FROM complaint_cells WHERE level = 17 AND status = 'pending'"
    )
    assert slots == 2
    # The scheduled job folds them back into one, counts unchanged.
    assert await compact_cells() > 0
    assert await direct_counts() == await expected_counts()
    slots = await db.fetchval(
        "SELECT count(*) FROM complaint_cells WHERE level = 17 AND status = 'pending'"
    )
    assert slots == 1


async def test_the_archive_map_counts_the_public_complaints_in_the_bounds(
    unit_data, client
) -> None:
    await place(unit_data, *BANDUNG)
    await place(unit_data, BANDUNG[0] + 0.01, BANDUNG[1] + 0.01, status="resolved")
    await place(unit_data, -7.8, 110.36)  # Yogyakarta: outside the province's view
    await place(unit_data, *BANDUNG, is_public=False)
    await place(unit_data, *BANDUNG, status="withdrawn")
    wide = await clusters(client, ARCHIVE, **PROVINCE)
    assert (total(wide), wide["source"], wide["capped"]) == (2, "cells", False)
    for c in wide["clusters"]:
        south, west, north, east = c["bounds"]
        assert south <= c["lat"] <= north and west <= c["lon"] <= east
        assert "number" not in c  # a cell does not name its complaints
    near = await clusters(client, ARCHIVE, **close(*BANDUNG))
    assert near["source"] == "complaints"
    (point,) = near["clusters"]
    assert point["count"] == 1 and point["url"] == f"/arsip/{point['number']}"
    assert "id" not in point and point["status_label"]
    resolved = await clusters(client, ARCHIVE, status="resolved", **PROVINCE)
    assert total(resolved) == 1
    # Filters only the complaints hold (a text search) read them, with the same privacy.
    searched = await clusters(client, ARCHIVE, q="berlubang", **PROVINCE)
    assert (total(searched), searched["source"]) == (2, "complaints")


async def test_anonymous_complaints_show_only_at_their_rounded_position(
    unit_data, client, as_role
) -> None:
    exact = (BANDUNG[0] + 0.0031, BANDUNG[1] + 0.0042)
    number = "ADU-2026-777777"
    await place(unit_data, *exact, is_anonymous=True, number=number)
    rounded = grid.rounded(*exact)
    assert abs(rounded[0] - exact[0]) + abs(rounded[1] - exact[1]) > 0.001
    # Close up: the position given is the rounded one; a view around the exact position
    # that leaves out the rounded one does not show it at all.
    (point,) = (await clusters(client, ARCHIVE, **close(*rounded)))["clusters"]
    assert (point["lat"], point["lon"]) == (round(rounded[0], 6), round(rounded[1], 6))
    assert point["number"] == number
    assert (await clusters(client, ARCHIVE, **close(*exact, margin=0.0005)))["clusters"] == []
    # Every zoom from the cells too: no centre closer than the rounded one.
    for zoom in range(6, 16):
        margin = grid.size(zoom) * 2
        view = {"bbox": f"{exact[1] - margin},{exact[0] - margin},{exact[1] + margin},"
                f"{exact[0] + margin}", "zoom": str(zoom)}  # fmt: skip
        (c,) = (await clusters(client, ARCHIVE, **view))["clusters"]
        assert (c["lat"], c["lon"]) == pytest.approx(rounded, abs=1e-6), zoom
    # The officer's map shows where it is.
    officer = await as_role("officer")
    (mine,) = (await clusters(officer, QUEUE, **close(*exact)))["clusters"]
    assert (mine["lat"], mine["lon"]) == (round(exact[0], 6), round(exact[1], 6))


async def test_the_queue_map_shows_only_what_the_officer_may_see(unit_data, as_role) -> None:
    await place(unit_data, *BANDUNG, priority="urgent")
    await place(unit_data, BANDUNG[0] + 0.05, BANDUNG[1], status="closed")
    await place(unit_data, *BANDUNG, is_public=False)  # private: officers see it
    await place(
        unit_data, *BANDUNG, unit=unit_data["other_unit"], category=unit_data["other_category"]
    )
    officer, admin = await as_role("officer"), await as_role("admin")
    assert total(await clusters(officer, QUEUE, **PROVINCE)) == 2  # open ones of the unit
    assert total(await clusters(officer, QUEUE, status="any", **PROVINCE)) == 3
    assert total(await clusters(officer, QUEUE, unit=str(unit_data["other_unit"]), **PROVINCE)) == 2
    assert total(await clusters(admin, QUEUE, **PROVINCE)) == 3
    other = str(unit_data["other_unit"])
    assert total(await clusters(admin, QUEUE, unit=other, **PROVINCE)) == 1
    urgent = await clusters(officer, QUEUE, priority="urgent", **PROVINCE)
    assert (total(urgent), urgent["source"]) == (1, "complaints")
    near = await clusters(officer, QUEUE, **close(*BANDUNG))
    assert total(near) == 2
    assert all(c["url"].startswith("/petugas/pengaduan/") for c in near["clusters"] if "url" in c)
    assert (await clusters(officer, QUEUE, view="mine", **PROVINCE))["clusters"] == []


async def test_bad_bounds_are_refused_with_a_message(client) -> None:
    for params in (
        {"bbox": "1,2,3", "zoom": "5"},
        {"bbox": "a,b,c,d", "zoom": "5"},
        {"bbox": "nan,1,2,3", "zoom": "5"},
        {"bbox": "109,-6,106,-8", "zoom": "5"},
        {"bbox": "106,-8,109,-6", "zoom": "99"},
        {"bbox": "1e308,-8,1e309,-6", "zoom": "5"},
        {},
    ):
        response = await client.get(ARCHIVE, params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]


async def test_the_narrowest_view_is_answered(client) -> None:
    tiny = {"bbox": "107.6,-6.9,107.6000000000000001,-6.8999999999999999", "zoom": "22"}
    assert (await client.get(ARCHIVE, params=tiny)).status_code in (200, 400)
    denormal = {"bbox": "0,0,5e-324,5e-324", "zoom": "22"}
    assert (await clusters(client, ARCHIVE, **denormal))["clusters"] == []


async def test_a_view_wider_than_its_zoom_is_counted_coarser() -> None:
    """A client claiming street zoom for a whole country gets at most CELLS_ACROSS² clusters."""
    view = grid.View.parse("95,-11,141,6", "19")
    x0, x1, y0, y1 = view.cells(view.level)
    assert view.level < grid.POINTS_LEVEL
    assert (x1 - x0 + 1) <= grid.CELLS_ACROSS + 1 and (y1 - y0 + 1) <= grid.CELLS_ACROSS + 1


async def test_the_map_pages_lead_to_the_lists_and_back(unit_data, client, as_role) -> None:
    page = await client.get("/arsip/peta", params={"category": unit_data["category"]})
    assert page.status_code == 200
    assert f'href="/arsip?category={unit_data["category"]}"' in page.text
    assert "leaflet-1.9.4.js" in page.text and 'class="map-fallback"' in page.text
    assert "tile.openstreetmap.org" in page.headers["content-security-policy"]
    listing = await client.get("/arsip")
    assert 'href="/arsip/peta"' in listing.text and "leaflet" not in listing.text
    officer = await as_role("officer")
    queue = await officer.get("/petugas/antrean", params={"status": "any"})
    assert 'href="/petugas/antrean/peta?view=unit&amp;status=any"' in queue.text
    queue_map = await officer.get("/petugas/antrean/peta", params={"status": "any"})
    assert 'href="/petugas/antrean?view=unit&amp;status=any"' in queue_map.text
    assert (await client.get("/petugas/antrean/peta")).status_code in (302, 303, 401, 403)
    assert (await client.get(QUEUE, params=PROVINCE)).status_code in (302, 303, 401, 403)


class _Subresources(HTMLParser):
    """What a browser fetches on its own for a page (as bench/page_bytes.py counts them)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if (
            tag == "link"
            and a.get("href")
            and {"stylesheet", "icon"} & set((a.get("rel") or "").split())
        ):
            self.urls.append(a["href"] or "")
        elif tag in ("script", "img") and a.get("src"):
            self.urls.append(a["src"] or "")


async def _on_the_wire(client: httpx.AsyncClient, url: str) -> tuple[int, str]:
    """(compressed bytes as sent, the body's text)."""
    import brotli

    async with client.stream("GET", url, headers={"Accept-Encoding": "br, gzip"}) as response:
        assert response.status_code == 200, url
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    encoding = response.headers.get("content-encoding", "")
    body = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, bytes)(raw)
    return len(raw), body.decode("utf-8", "replace")


async def test_the_complaint_forms_first_visit_loads_no_map(people, as_role) -> None:
    """The picker's map comes only when asked for: the form's first visit stays under 30 KB
    compressed with everything it loads (bench/page_bytes.py measures the same)."""
    citizen = await as_role("citizen")
    wire, html = await _on_the_wire(citizen, "/pengaduan/baru")
    parser = _Subresources()
    parser.feed(html)
    assert parser.urls and not [u for u in parser.urls if "leaflet" in u or "map." in u]
    assert "leaflet-1.9.4.js" in html  # named for the picker, fetched only when pressed
    for url in dict.fromkeys(parser.urls):
        wire += (await _on_the_wire(citizen, url))[0]
    assert wire <= 30 * 1024, wire
