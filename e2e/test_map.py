"""The maps in Chromium at a phone's size, with tiles from a local stub (nothing leaves the
machine): the archive's map clusters and opens a complaint, the officer reaches the queue's
map from the queue, the complaint form's picker loads the map only when asked and fills the
position, and without JavaScript the map page leads to the list."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, Request, expect

from e2e.conftest import LiveServer, reset_demo
from e2e.data import OFFICER_PASSWORD
from e2e.pages import log_in

ROOT = Path(__file__).resolve().parents[1]


class TileStub:
    """An HTTP server answering every /{z}/{x}/{y}.png with one grey tile, counting them."""

    def __init__(self) -> None:
        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), (220, 226, 230)).save(buffer, "PNG")
        tile, served = buffer.getvalue(), []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args: object) -> None:
                pass

        self.served = served
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileStub]:
    stub = TileStub()
    yield stub
    stub.close()


@pytest.fixture(scope="module")
def map_server(e2e_dsn: str, tiles: TileStub) -> Iterator[LiveServer]:
    """The app with its maps' tiles from the stub, opening over the demo complaints."""
    server = LiveServer(
        e2e_dsn,
        ROOT / "var" / "e2e-map",
        extra_env={
            "PENGADUAN_MAP_TILE_URL": tiles.url + "/{z}/{x}/{y}.png",
            "PENGADUAN_MAP_ATTRIBUTION": "© Peta Uji contributors",
            "PENGADUAN_MAP_VIEW": "-6.9,107.6,12",
        },
    )
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture
def site(map_server: LiveServer, page: Page, tiles: TileStub) -> Iterator[str]:
    """The demo data on the map server; every request the page makes stays on this machine."""
    reset_demo(map_server)
    elsewhere: list[str] = []

    def watch(request: Request) -> None:
        if not request.url.startswith((map_server.url, tiles.url, "data:", "blob:")):
            elsewhere.append(request.url)

    page.on("request", watch)
    yield map_server.url
    assert elsewhere == []


def test_the_archive_map_clusters_and_opens_a_complaint(site: str, page: Page, tiles) -> None:
    page.goto(site + "/arsip")
    page.locator("a.archive-map-link").click()
    page.wait_for_url(site + "/arsip/peta")
    map_box = page.locator("#map")
    expect(map_box).to_have_attribute("data-shown", re.compile(r"^[1-9]\d*$"))
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("Peta Uji")
    assert any(path.endswith(".png") for path in tiles.served)
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


def test_without_javascript_the_map_page_leads_to_the_list(map_server, nojs_page: Page) -> None:
    reset_demo(map_server)
    nojs_page.goto(map_server.url + "/arsip/peta")
    fallback = nojs_page.locator(".map-fallback a")
    expect(fallback).to_be_visible()
    fallback.click()
    nojs_page.wait_for_url(map_server.url + "/arsip")
    expect(nojs_page.locator("ol.archive-list li").first).to_be_visible()
