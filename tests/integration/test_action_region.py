"""The actions region of the staff complaint page kept once per shape (handling.action_region):
shared by complaints and visitors of the same shape, yet each page carries its own complaint's
paths and version, its visitor's CSRF token and fresh form keys, and a form given back with
what was typed shows it (issue 13, item 4)."""

from __future__ import annotations

import re

import httpx

from pengaduan.handling import action_region
from tests.conftest import browser_client, log_in
from tests.factories import make_complaint_in

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def _region(page: httpx.Response) -> str:
    assert page.status_code in (200, 422), page.text
    return page.text.split('<div id="complaint-actions" data-live-part>', 1)[1].split(
        "</section>", 1
    )[0]


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="_csrf_token" value="([^"]+)"', html))


def _versions(html: str) -> set[str]:
    return set(re.findall(r'name="version" value="([^"]+)"', html))


def _paths(html: str) -> set[str]:
    return set(re.findall(r'action="(/petugas/pengaduan/[^"]+)"', html))


async def test_complaints_of_one_shape_share_a_region_with_their_own_paths_and_tokens(
    app, as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    first = await make_complaint_in(d, status="in_progress", officer=d["officer"])
    second = await make_complaint_in(d, status="in_progress", officer=d["officer"])
    officer: httpx.AsyncClient = await as_role("officer")
    # The same officer on a second device: another session, another CSRF token.
    device = browser_client(app)
    await log_in(device, "petugas")
    try:
        action_region.clear()
        pages = {
            "first": await officer.get(f"/petugas/pengaduan/{first}"),
            "second": await officer.get(f"/petugas/pengaduan/{second}"),
            "device": await device.get(f"/petugas/pengaduan/{second}"),
            "again": await officer.get(f"/petugas/pengaduan/{second}"),
        }
        # One shape, one region kept.
        assert action_region.kept() == 1
        regions = {name: _region(page) for name, page in pages.items()}
        assert _tokens(regions["first"]) == {officer.cookies["csrftoken"]}
        assert _tokens(regions["second"]) == {officer.cookies["csrftoken"]}
        assert _tokens(regions["device"]) == {device.cookies["csrftoken"]}
        assert officer.cookies["csrftoken"] != device.cookies["csrftoken"]
        # Each complaint's own forms: resolve, reply, note, forward, assign.
        assert _paths(regions["first"]) == {
            f"/petugas/pengaduan/{first}/{action}"
            for action in ("selesai", "balas", "catatan", "teruskan", "tugaskan")
        }
        assert {path.rsplit("/", 1)[0] for path in _paths(regions["second"])} == {
            f"/petugas/pengaduan/{second}"
        }
        # Each complaint's own version, the same as the page's.
        for name, page in pages.items():
            [version] = _versions(regions[name])
            assert f'data-version="{version}"' in page.text
        assert _versions(regions["first"]) != _versions(regions["second"])
        # Fresh form keys: one per form (reply and note), none used twice.
        keys = [key for region in regions.values() for key in KEY.findall(region)]
        assert len(keys) == 8 and len(set(keys)) == 8
        # Nothing of the placeholders shows.
        assert not any("\x00" in page.text for page in pages.values())
        # Apart from the per-request values, the pages' regions are the same.
        same = {
            re.sub(r'value="[^"]+"', "", regions[name]).replace(str(first), str(second))
            for name in regions
        }
        assert len(same) == 1
    finally:
        await device.aclose()


async def test_a_region_follows_the_shape_of_each_complaint(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    verified = await make_complaint_in(d, status="verified", officer=d["officer"])
    unassigned = await make_complaint_in(d, status="verified")
    other_officers = await make_complaint_in(d, status="verified", officer=d["officer2"])
    officer: httpx.AsyncClient = await as_role("officer")
    action_region.clear()
    page = _region(await officer.get(f"/petugas/pengaduan/{verified}"))
    assert 'id="start"' in page and 'id="claim"' not in page and 'id="resolve"' not in page
    page = _region(await officer.get(f"/petugas/pengaduan/{unassigned}"))
    assert 'id="claim"' in page
    # Another officer's complaint: this officer may not reassign it, and is told who has it.
    page = _region(await officer.get(f"/petugas/pengaduan/{other_officers}"))
    assert 'id="f-officer"' not in page and "Petugas2" in page
    assert action_region.kept() == 3


async def test_a_refused_form_is_given_back_with_what_was_typed_and_not_kept(
    as_role, unit_data: dict[str, int]
) -> None:
    d = unit_data
    complaint = await make_complaint_in(d, status="in_progress", officer=d["officer"])
    officer: httpx.AsyncClient = await as_role("officer")
    path = f"/petugas/pengaduan/{complaint}"
    action_region.clear()
    page = await officer.get(path)
    [version] = _versions(_region(page))
    # No unit chosen: refused beside the unit, with the note typed kept.
    refused = await officer.post(
        f"{path}/teruskan",
        data={"unit": "", "forward_note": "Bukan <urusan> kami", "version": version},
    )
    assert refused.status_code == 422
    region = _region(refused)
    assert 'id="e-unit"' in region
    assert "Bukan &lt;urusan&gt; kami</textarea>" in region
    assert re.search(r'<details class="card" id="action-forward" data-live-part open>', region)
    assert _tokens(region) == {officer.cookies["csrftoken"]}
    assert action_region.kept() == 1  # the page's region only, not the refused one
    # The next page is the kept region: nothing typed, no error.
    region = _region(await officer.get(path))
    assert "Bukan &lt;urusan&gt; kami" not in region and 'id="e-unit"' not in region


async def test_the_menus_lists_are_read_again_only_when_the_queue_version_changes(
    as_role, unit_data: dict[str, int], count_queries: list[str], db_dsn: str
) -> None:
    """The lists the menus offer are kept under the officer's queue version (per unit,
    category and openness): a second view does not read them; a new outside agency or a
    renamed reply template raises the version (migration 2026-12-05T14:00) and shows at once."""
    from pengaduan.handling import services
    from tests.factories import make_response_template
    from tests.support.databases import fetch_rows

    d = unit_data
    template = await make_response_template(d["category"], "Sudah kami terima")
    complaint = await make_complaint_in(d, status="in_progress", officer=d["officer"])
    elsewhere = await make_complaint_in(
        d, status="in_progress", officer=d["officer"], category=d["other_category"]
    )
    officer: httpx.AsyncClient = await as_role("officer")
    services.MENUS_KEPT.clear()
    path = f"/petugas/pengaduan/{complaint}"

    async def view(target: str = path) -> tuple[str, list[str]]:
        count_queries.clear()
        page = await officer.get(target)
        assert page.status_code == 200, page.text
        return _region(page), [sql for sql in count_queries if "AS templates" in sql]

    region, menus_read = await view()
    assert len(menus_read) == 1 and "Sudah kami terima" in region and "Dinas Lain" in region
    region, menus_read = await view()
    assert menus_read == [] and "Sudah kami terima" in region and "Dinas Lain" in region
    # Another category, the same version: its own lists, read once (its templates differ).
    region, menus_read = await view(f"/petugas/pengaduan/{elsewhere}")
    assert len(menus_read) == 1 and "Sudah kami terima" not in region
    assert (await view(f"/petugas/pengaduan/{elsewhere}"))[1] == []

    await fetch_rows(db_dsn, "INSERT INTO outside_agencies (name) VALUES ('PLN Wilayah')")
    region, menus_read = await view()
    assert len(menus_read) == 1 and "PLN Wilayah" in region
    await fetch_rows(
        db_dsn, "UPDATE response_templates SET title = 'Laporan diterima' WHERE id = $1", template
    )
    region, menus_read = await view()
    assert len(menus_read) == 1
    assert "Laporan diterima" in region and "Sudah kami terima" not in region


def test_the_kept_menus_lists_are_bounded() -> None:
    """However many versions and complaint shapes come by, a process keeps at most 32
    versions and 2,048 sets of lists (web.pagecache.ByVersion)."""
    from pengaduan.handling import services

    kept = services.MENUS_KEPT
    kept.clear()
    try:
        for i in range(kept.entries * 2):
            kept.keep(1 + i // 10, (i, 1, True), {"units": "[]"})
            versions, entries = kept.size()
            assert entries <= kept.entries and versions <= kept.versions
    finally:
        kept.clear()
