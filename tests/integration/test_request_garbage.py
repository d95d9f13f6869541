"""A finished request leaves no reference cycle behind: everything it made is freed as it ends,
by reference counting, and the cyclic garbage collector has nothing of it to walk
(web.input.InputRequest, pengaduan.collector)."""

from __future__ import annotations

import gc

import httpx
from litestar.connection import ASGIConnection


async def test_a_finished_request_leaves_no_request_object_behind(as_role) -> None:
    admin: httpx.AsyncClient = await as_role("admin")
    await admin.get("/admin/pengaduan")  # the caches filled
    collections: list[str] = []

    def noted(phase: str, _info: dict) -> None:
        collections.append(phase)

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.callbacks.append(noted)
    try:
        for _attempt in range(3):  # again if a collection freed them in between
            collections.clear()
            for path in ("/admin/pengaduan", "/admin/pengaduan?status=verified", "/akun"):
                page = await admin.get(path, headers={"HX-Request": "true"})
                assert page.status_code == 200
            left = [o for o in gc.get_objects() if isinstance(o, ASGIConnection)]
            if not collections:
                break
        assert not collections, "a collection ran during every attempt"
    finally:
        gc.callbacks.remove(noted)
        if was_enabled:
            gc.enable()
    assert left == [], f"{len(left)} request objects outlived their requests"


async def test_the_serving_app_collects_on_its_clock(app) -> None:
    collector = app.state.collector
    assert collector is not None and collector.running
    assert collector.every == 1
    assert not gc.isenabled()  # CPython's automatic collections are off while it runs
