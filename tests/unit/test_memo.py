"""The per-process memos' rule (pengaduan.memo.keep): bounded, emptied when full."""

from __future__ import annotations

from pengaduan.memo import keep


def test_keep_returns_the_value_and_empties_a_full_store() -> None:
    store: dict[str, int] = {}
    assert keep(store, "a", 1, 2) == 1
    assert keep(store, "b", 2, 2) == 2
    assert store == {"a": 1, "b": 2}
    # Full: emptied first, then the new entry.
    assert keep(store, "c", 3, 2) == 3
    assert store == {"c": 3}
    # A key kept again replaces its value, within the bound.
    keep(store, "c", 4, 2)
    assert store == {"c": 4}
