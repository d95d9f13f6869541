"""Route handlers run the app's guard with themselves, not a copy made per request
(web.handlers); the guard still decides as before."""

from __future__ import annotations

import httpx
import pytest
from litestar.handlers import base


async def test_no_copy_of_the_handler_per_request(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies = []
    monkeypatch.setattr(base, "copy", lambda obj: copies.append(obj) or obj)
    assert (await client.get("/masuk")).status_code == 200
    # The access guard still sends a visitor without a session to the login page.
    response = await client.get("/akun")
    assert response.status_code in (302, 303) and "/masuk" in response.headers["location"]
    assert copies == []
