"""The staff's text search (the queue, the admin list, their map and exports): its condition,
and its matches read first so that the page after it costs what it would without a search.

PostgreSQL cannot tell how rare a word is in titles: planned once for every word, it walked
the queue's order for a page and the count, every complaint for a word found nowhere (9 s at
1M); or it read a common word's every match from the indexes, once per group of the page
(250 ms at 1M for one in eight complaints). So `narrow` reads the matches first, planned for
the word, and as far as a limit: a rare word's few are then the page's only candidates; past
the limit the word is common, and the page walks its own order for the first matches."""

from __future__ import annotations

from typing import Any

from pengaduan import db

# The map's clusters and exports read every match: as ids while there are at most this many.
SEARCH_IDS = 10_000
# The matches, as text (no int[] codec lookup per connection), in a sub-select (one generic
# plan, not one per search).
MATCHES = "c.id = ANY((SELECT {}::text[]::int[])::int[])"
_WORDS = "c.search_document @@ plainto_tsquery('indonesian'::regconfig, {})"


def condition(q: str) -> tuple[Any, ...]:
    """A text search's condition and values: words of title and body (the stored document,
    complaints.search_document), any part of the title (its trigram index; not parts shorter
    than a trigram, "di", which would read every title)."""
    if len(q) < 3:
        return (_WORDS, q)
    return (f"c.title ILIKE {{}} OR {_WORDS}", f"%{db.escape_like(q)}%", q)


async def narrow(
    where: db.Where, q: str, *, limit: int, scope: str = "true", order: str = "", upto: int = 0
) -> int:
    """Adds the search for `q` to `where` and gives how many complaints match `where`, `scope`
    (SQL of its own, no values) and `q`, counted as far as `limit` + 1.

    At most `limit`: the condition added is their ids ("false" for none, which asks PostgreSQL
    nothing more); more: the search itself. The matches are read with a plan for this very
    word (`db.fetch_planned`): a rare word's through the indexes, a common word's first
    `limit` + 1 by a scan that stops there. At 1M, a word in one complaint in eight: 11 ms
    for all units' open ones, 45-90 ms for one unit's (its bitmaps).

    With `order` (SQL of ORDER BY) they are read in that order, and the condition is always
    the ids of the first `upto`: a page's and those before it. For one unit's open ones, in
    the order of its own index: a common word's walk stops at `limit` + 1 (22 against 87 ms
    for that word), a rarer one's matches are read from the indexes and sorted."""
    words = db.Where(first=len(where.args)).add(*condition(q))
    rows = await db.fetch_planned(
        f"SELECT c.id FROM complaints c WHERE {where.sql} AND {scope} AND {words.sql}"
        f"{f' ORDER BY {order}' if order else ''} LIMIT {int(limit) + 1}",
        *where.args,
        *words.args,
    )
    found = len(rows)
    if not rows:
        where.add("false")
    elif order:  # the page's and those before it (none past the last page: still counted)
        where.add(MATCHES, [str(row["id"]) for row in rows[:upto]])
    elif found > limit:
        where.add(*condition(q))
    else:
        where.add(MATCHES, [str(row["id"]) for row in rows])
    return found


def among_matches(where: db.Where) -> bool:
    """Whether `narrow` made `where` a search's few matches."""
    start = MATCHES.split("{}")[0]
    return any(condition.startswith(start) for condition in where.conditions)


def by_words(where: db.Where) -> bool:
    """Whether `narrow` found the search's word common: `where` holds the search itself."""
    start = _WORDS.split("{}")[0]
    return any(start in condition for condition in where.conditions)
