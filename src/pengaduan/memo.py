"""The per-process memos' one rule: bounded, emptied when full.

Rendered rows, translated texts, paths, query strings and opened personal data are kept in
plain dicts per process. Each entry costs microseconds to make again, so a full dict is
simply emptied (no order kept per read, as an LRU would): `keep` is that rule, in one place.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def keep(store: dict[K, V], key: K, value: V, most: int) -> V:
    """`value`, kept in `store` under `key`; a store already holding `most` entries is emptied
    first."""
    if len(store) >= most:
        store.clear()
    store[key] = value
    return value
