"""HEAD is answered for every GET route, for every role, as the GET is but without a body."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from tests.integration.test_access import (  # noqa: F401  (fixtures used by name)
    ROLES,
    ROUTE_TABLE,
    _concrete,
    agency_ids,
    evidence_ids,
)

# What may differ between two answers to the same request.
VOLATILE = {"date", "content-length", "set-cookie", "etag", "last-modified"}


@pytest.mark.usefixtures("agency_ids", "evidence_ids")
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
async def test_head_answers_like_get_without_a_body(
    app: Litestar, people: dict[str, int], as_role, role: str | None
) -> None:
    client: httpx.AsyncClient = await as_role(role)
    problems = []
    for (method, path), _access in sorted(ROUTE_TABLE.items()):
        if method != "GET":
            continue
        url = _concrete(path, people)
        got = await client.get(url)
        head = await client.head(url)
        if head.status_code != got.status_code:
            problems.append(f"HEAD {path}: {head.status_code}, GET {got.status_code}")
            continue
        if head.content:
            problems.append(f"HEAD {path}: a body of {len(head.content)} bytes")
        want = {k: v for k, v in got.headers.items() if k not in VOLATILE}
        have = {k: v for k, v in head.headers.items() if k not in VOLATILE}
        if have != want:
            problems.append(f"HEAD {path}: headers differ: {set(have.items()) ^ set(want.items())}")
    assert problems == []


async def test_head_of_a_page_gives_its_length(client: httpx.AsyncClient) -> None:
    got = await client.get("/masuk", headers={"accept-encoding": "identity"})
    head = await client.head("/masuk", headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(got.content)


async def test_head_of_the_live_stream_ends(app: Litestar, as_role) -> None:
    citizen: httpx.AsyncClient = await as_role("citizen")
    head = await citizen.head("/langsung", headers={"accept": "text/event-stream"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/event-stream")
