"""The staff's text search (handling.queue): found through its matches when they are few, and
through the queue's own order when they are many, with the same answers either way."""

from __future__ import annotations

import pytest
from litestar import Litestar

from pengaduan.handling import queue
from tests.factories import make_complaint_in


@pytest.fixture
async def searched(app: Litestar, unit_data: dict[str, int]) -> dict[str, int]:
    ids = {
        "bridge": await make_complaint_in(unit_data, title="Jembatan Cikapundung retak"),
        "lamp": await make_complaint_in(
            unit_data, title="Penerangan mati", body="Lampu jalan RT 05 mati sejak Senin."
        ),
        "closed": await make_complaint_in(unit_data, title="Jembatan kayu lapuk", status="closed"),
    }
    for n in range(5):
        await make_complaint_in(unit_data, title=f"Sampah menumpuk {n}")
    return ids


async def _found(q: str, **filters: str) -> tuple[set[int], int]:
    rows, total = await queue.list_complaints(
        queue.QueueFilters(view="all", q=q, **filters), officer_id=None, unit_id=None
    )
    return {row["id"] for row in rows}, total


@pytest.mark.parametrize("through_matches", [True, False])
async def test_the_same_answers_through_the_matches_and_through_the_order(
    searched: dict[str, int], monkeypatch: pytest.MonkeyPatch, through_matches: bool
) -> None:
    if not through_matches:
        monkeypatch.setattr(queue, "SEARCH_IDS", 0)  # every search counts as a common one
    # Part of a title (trigram), a word of the body (the stored document), nothing at all.
    assert await _found("mbatan cika") == ({searched["bridge"]}, 1)
    assert await _found("lampu") == ({searched["lamp"]}, 1)
    assert await _found("zzzzqqq") == (set(), 0)
    # The queue's own filters still apply: the closed one only with status "any".
    assert await _found("jembatan") == ({searched["bridge"]}, 1)
    assert await _found("jembatan", status="any") == ({searched["bridge"], searched["closed"]}, 2)


async def test_a_part_shorter_than_a_trigram_searches_the_words(
    searched: dict[str, int],
) -> None:
    """Two letters cannot be found in the titles' trigram index (every title would be read):
    they search the words: "RT" finds the word, "ng" (part of "Cikapundung") no
    title."""
    assert await _found("RT") == ({searched["lamp"]}, 1)  # "Lampu jalan RT 05 ..."
    assert await _found("ng") == (set(), 0)
