"""The maps in Chromium at a phone's size, with tiles from a local stub (nothing leaves the
machine): the archive's map clusters and opens a complaint, the officer reaches the queue's
map from the queue, the complaint form's picker loads the map only when asked and fills the
position, and without JavaScript the map page leads to the list."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from e2e.conftest import LiveServer, reset_demo
from e2e.data import OFFICER_PASSWORD
from e2e.pages import log_in
from tests.support.tiles import TileStub

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def site(live_server: LiveServer, page: Page, tile_stub: TileStub) -> Iterator[str]:
    """The demo data; every request the page makes stays on this machine."""
    reset_demo(live_server)
    elsewhere: list[str] = []

    def watch(request: Request) -> None:
        if not request.url.startswith((live_server.url, tile_stub.url, "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", watch)
    yield live_server.url
    assert elsewhere == []


def test_the_archive_map_clusters_and_opens_a_complaint(
    site: str, page: Page, tile_stub: TileStub
) -> None:
    page.goto(site + "/arsip")
    page.locator("a.archive-map-link").click()
    page.wait_for_url(site + "/arsip/peta")
    map_box = page.locator("#map")
    expect(map_box).to_have_attribute("data-shown", re.compile(r"^[1-9]\d*$"))
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    assert any(path.endswith(".png") for path in tile_stub.served)
    box = map_box.bounding_box()
    assert box and box["width"] <= 360
    # Clusters open into smaller ones until single complaints show; one opens its page.
    for _ in range(8):
        if page.locator(".map-pin").count():
            break
        drawn = map_box.get_attribute("data-drawn")
        page.locator(".map-cluster").first.click()
        page.wait_for_function(
            "drawn => document.querySelector('#map').dataset.drawn !== drawn", arg=drawn
        )
    page.locator(".map-pin").first.click()
    link = page.locator(".map-popup a")
    expect(link).to_have_attribute("href", re.compile(r"^/arsip/ADU-\d{4}-\d+$"))
    link.click()
    page.wait_for_url(site + "/arsip/ADU-*")


def test_the_officer_opens_the_queue_as_a_map(site: str, page: Page) -> None:
    log_in(page, site, ("petugas.pupr", OFFICER_PASSWORD), landing="/petugas")
    page.goto(site + "/petugas/antrean")
    page.locator("a.queue-map-link").click()
    page.wait_for_url(site + "/petugas/antrean/peta*")
    expect(page.locator("#map")).to_have_attribute("data-shown", re.compile(r"^[1-9]\d*$"))
    page.locator("a.map-list-link").click()
    page.wait_for_url(site + "/petugas/antrean*")


def test_the_picker_loads_the_map_when_asked_and_fills_the_position(site: str, page: Page) -> None:
    log_in(page, site)
    page.goto(site + "/pengaduan/baru")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof window.L") == "undefined"  # no map on the form's first load
    page.locator("#location button.pick").click()
    picker = page.locator("#map-picker")
    expect(picker).to_be_visible()
    expect(picker.locator(".leaflet-tile-loaded").first).to_be_visible()
    box = picker.bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2 - 20)
    expect(page.locator("#f-latitude")).to_have_value(re.compile(r"^-6\.\d{6}$"))
    expect(page.locator("#f-longitude")).to_have_value(re.compile(r"^107\.\d{6}$"))
    expect(picker.locator(".map-pin")).to_have_count(1)


def test_without_javascript_the_map_page_leads_to_the_list(live_server, nojs_page: Page) -> None:
    reset_demo(live_server)
    nojs_page.goto(live_server.url + "/arsip/peta")
    fallback = nojs_page.locator(".map-fallback a")
    expect(fallback).to_be_visible()
    fallback.click()
    nojs_page.wait_for_url(live_server.url + "/arsip")
    expect(nojs_page.locator("ol.archive-list li").first).to_be_visible()
