"""Evidence images are decoded in bounded child processes: a hostile image costs the web
worker nothing and its child a bounded amount, busy image slots answer 503 with the form
kept, and a child that dies is replaced."""

from __future__ import annotations

import asyncio
import io
from contextlib import AsyncExitStack

import httpx
import psutil
import pytest
from litestar import Litestar
from PIL import Image

from pengaduan.complaints.imaging import ImageWorkers
from pengaduan.complaints.storage import FileSystemStorage
from pengaduan.errors import Refused
from tests.conftest import browser_client
from tests.integration import test_complaints_citizen as filing
from tests.integration.test_complaints_citizen import (
    blobs,
    count,
    files,
    form_key,
    good_form,
)
from tests.support.databases import fetch_rows
from tests.support.images import black_png, jpeg
from tests.support.waiting import wait_until_async

# The filing tests' fixtures: a citizen's client, a category to file under, the storage.
citizen, world, storage = filing.citizen, filing.world, filing.storage

MB = 1024 * 1024
# The target for one request: peak growth ≤ 300 MB. The web worker itself (here:
# the test process, which runs the app) must barely notice the images at all.
CHILD_BOUND = 300 * MB
WORKER_BOUND = 64 * MB


def _peak_rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _reset_peak_rss() -> None:
    # Linux: "5" resets the peak resident set size to the current one.
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _image_children() -> list[psutil.Process]:
    """This process's image children: the processes its fork server started."""
    found: list[psutil.Process] = []
    for server in psutil.Process().children():
        try:
            if "multiprocessing.forkserver" in " ".join(server.cmdline()):
                found += server.children()
        except psutil.NoSuchProcess:
            continue
    return found


def _decoding_child() -> psutil.Process | None:
    """An image child in the middle of a large decode (over 100 MB resident)."""
    for process in _image_children():
        try:
            if process.memory_info().rss > 100 * MB:
                return process
        except psutil.NoSuchProcess:
            continue
    return None


async def test_a_7000_pixel_square_png_costs_the_web_worker_nothing_and_its_child_a_bound(
    app: Litestar,
    citizen: httpx.AsyncClient,
    world: dict[str, int],
    db_dsn: str,
    storage: FileSystemStorage,
) -> None:
    dark = black_png(7000, 7000)  # 143 KB; 196 MB once decoded
    assert len(dark) < 200_000
    key = await form_key(citizen)
    _reset_peak_rss()
    before = _peak_rss()
    response = await citizen.post(
        "/pengaduan/baru",
        data=good_form(world, key),
        files=files(("gelap1.png", dark), ("gelap2.png", dark)),
    )
    growth = _peak_rss() - before
    assert response.status_code == 303, response.text[:2000]
    assert growth <= WORKER_BOUND, f"the web worker grew by {growth // MB} MB"
    workers: ImageWorkers = app.state.image_workers
    assert 0 < workers.peak_child_rss <= CHILD_BOUND, workers.peak_child_rss // MB

    # Still cleaned and scaled as every photo is.
    rows = await fetch_rows(db_dsn, "SELECT * FROM evidence_files ORDER BY id")
    assert len(rows) == 2 and rows[0]["storage_key"] == rows[1]["storage_key"]
    full = Image.open(io.BytesIO(await storage.read(rows[0]["storage_key"])))
    assert full.format == "PNG" and full.size == (1600, 1600)
    thumb = Image.open(io.BytesIO(await storage.read(rows[0]["thumbnail_key"])))
    assert thumb.size == (320, 320)


async def test_an_upload_while_every_image_slot_is_taken_gets_503_and_keeps_the_typed_text(
    app: Litestar,
    citizen: httpx.AsyncClient,
    world: dict[str, int],
    db_dsn: str,
    storage: FileSystemStorage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    workers: ImageWorkers = app.state.image_workers
    monkeypatch.setattr(workers, "wait_seconds", 0)  # answer at once instead of after 5 s
    key = await form_key(citizen)
    data = good_form(world, key, title="Lampu jalan mati sejak Senin")
    photo = files(("lampu.jpg", jpeg((64, 48))))
    async with AsyncExitStack() as held:
        for _ in range(workers.jobs):
            await held.enter_async_context(workers.slot())
        response = await citizen.post("/pengaduan/baru", data=data, files=photo)
        async with browser_client(app) as visitor:  # the same person, choosing English
            visitor.cookies = httpx.Cookies(citizen.cookies)
            await visitor.post("/bahasa", data={"lang": "en"})
            english = await visitor.post("/pengaduan/baru", data=data, files=photo)
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) > 0
    html = response.text
    assert "Belum ada yang tersimpan" in html  # the user's language (Indonesian by default)
    assert 'id="form-error"' in html
    assert "Lampu jalan mati sejak Senin" in html and "Jl. Merdeka No. 5, Bandung" in html
    assert "Lubang besar sekitar satu meter" in html and f'value="{key}"' in html
    assert english.status_code == 503 and "Nothing was saved" in english.text
    assert await count(db_dsn, "complaints") == 0 and not blobs(storage)

    # With the slots free again the same form goes through.
    response = await citizen.post("/pengaduan/baru", data=data, files=photo)
    assert response.status_code == 303
    assert await count(db_dsn, "evidence_files") == 1


async def test_a_killed_image_child_is_replaced_and_its_image_tried_again() -> None:
    others = {process.pid for process in _image_children()}  # the app's, if it has some
    workers = ImageWorkers(1)
    try:
        task = asyncio.create_task(workers.prepare("gelap.png", black_png(7000, 7000), 10 * MB))
        child = await wait_until_async(
            _decoding_child, "an image child decoding the image", 60, poll=0.005
        )
        child.kill()
        prepared = await task
        assert workers.broken_pools == 1
        assert Image.open(io.BytesIO(prepared.data)).size == (1600, 1600)
        # The new pool goes on serving.
        small = await workers.prepare("kecil.jpg", jpeg((64, 48)), 10 * MB)
        assert Image.open(io.BytesIO(small.data)).size == (64, 48)
    finally:
        await workers.close()
    await wait_until_async(
        lambda: not {process.pid for process in _image_children()} - others,
        "the image children to stop",
        60,
        poll=0.005,
    )


async def test_an_image_whose_child_dies_every_time_is_refused_with_its_name() -> None:
    workers = ImageWorkers(1)
    try:
        task = asyncio.create_task(workers.prepare("racun.png", black_png(7000, 7000), 10 * MB))

        def kill_a_decoding_child() -> bool:
            if task.done():
                return True
            child = _decoding_child()
            if child is not None:
                child.kill()
            return False

        await wait_until_async(kill_a_decoding_child, "the image to be refused", 60, poll=0.005)
        with pytest.raises(Refused, match=r"racun\.png"):
            task.result()
        assert workers.broken_pools == 2
        # Nothing else is refused because of it.
        small = await workers.prepare("kecil.jpg", jpeg((64, 48)), 10 * MB)
        assert small.thumbnail is not None
    finally:
        await workers.close()
