"""What the JSON API tests share: a client without cookies (as an app is), logging in for a
token, and the headers that send it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

from tests.factories import PASSWORD


@asynccontextmanager
async def app_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def token_for(client: httpx.AsyncClient, identifier: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/api/v1/login",
        json={"identifier": identifier, "password": password},
        headers={"User-Agent": "PengaduanApp/1.0 (Android 14)"},
    )
    assert response.status_code == 201, response.text
    assert "set-cookie" not in response.headers  # no session, no CSRF token: only the token
    return response.json()["token"]


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}
