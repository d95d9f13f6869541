"""Learning from the officers: a complaint's terms counted under the category an officer gave
it, in the transaction that gives it, so the next suggestion already knows (no restart, no
job). And the recount from the complaints already classified (`pengaduan categorise rebuild`).

A complaint counts once it is verified (`verified_at` set: verification is where an officer
classifies it), under its category of the moment; forwarding a verified complaint to another
category moves it there. Its text no longer changes then (the reporter edits only while it is
pending), so moving it takes away exactly what was added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from pengaduan import db
from pengaduan.categorising.terms import complaint_text, terms_of

# Rows per category and term (see tables.py): a complaint adds to its id's shard.
SHARDS = 4
BATCH = 5000

# One statement per table, each taking its rows' locks in key order, the terms first: two
# classifications at once never wait on each other in a circle. A count never goes below 0
# through an update (it could only after a change made outside the app; readers ignore such a
# row, and the rebuild puts it right).
_MOVE_TERMS = """
INSERT INTO category_terms AS t (term, category, shard, documents)
SELECT term, category, $1, sum(delta) FROM (
    SELECT unnest($2::varchar[]) AS term, $3::int AS category, 1 AS delta
    UNION ALL
    SELECT unnest($2::varchar[]), $4::int, -1 WHERE $4::int IS NOT NULL
) AS moved
GROUP BY term, category
ORDER BY term, category
ON CONFLICT (term, category, shard)
DO UPDATE SET documents = greatest(0, t.documents + EXCLUDED.documents)
"""
_MOVE_COUNTS = """
INSERT INTO category_counts AS c (category, shard, documents, terms)
SELECT category, $1, sign, sign * $2 FROM (
    VALUES ($3::int, 1), ($4::int, -1)
) AS moved (category, sign)
WHERE category IS NOT NULL
ORDER BY category
ON CONFLICT (category, shard) DO UPDATE SET
    documents = greatest(0, c.documents + EXCLUDED.documents),
    terms = greatest(0, c.terms + EXCLUDED.terms)
"""


async def _move(complaint_id: int, terms: list[str], to: int, away_from: int | None) -> None:
    shard = complaint_id % SHARDS
    await db.execute(_MOVE_TERMS, shard, terms, to, away_from)
    await db.execute(_MOVE_COUNTS, shard, len(terms), to, away_from)


async def _complaint(complaint_id: int) -> tuple[list[str], int, bool] | None:
    """The complaint's terms, its category and whether it counts (is verified)."""
    row = await db.fetchrow(
        "SELECT title, body, category, verified_at IS NOT NULL AS counted FROM complaints"
        " WHERE id = $1",
        complaint_id,
    )
    if row is None:
        return None
    return terms_of(complaint_text(row["title"], row["body"])), row["category"], row["counted"]


async def classified(complaint_id: int) -> None:
    """An officer verified the complaint: its terms count for its category (as the
    verification left it). Call in the transaction that verifies it, after the change."""
    found = await _complaint(complaint_id)
    if found is not None:
        await _move(complaint_id, found[0], found[1], None)


async def recategorised(complaint_id: int, before: int) -> None:
    """The complaint's category changed from `before` (a forward): a verified one moves its
    terms to the category it has now; one not yet verified counted nowhere and waits for its
    verification. Call in the transaction that changes it, after the change."""
    found = await _complaint(complaint_id)
    if found is not None and found[2] and found[1] != before:
        await _move(complaint_id, found[0], found[1], before)


async def rebuild(include: Callable[[int], bool] | None = None) -> int:
    """Count again every verified complaint under its category (those `include(id)` accepts,
    when given: a bench holds some back); returns how many. One transaction that shuts out
    classifications meanwhile (they wait for it) while suggestions go on with the old counts.
    Everything is written to shard 0, where later classifications add alongside."""
    terms: Counter[tuple[str, int]] = Counter()
    counts: dict[int, list[int]] = {}
    done = 0
    async with db.ENGINE.transaction() as transaction:
        await db.execute("LOCK TABLE category_terms, category_counts IN EXCLUSIVE MODE")
        last = 0
        while True:
            rows = await db.fetch(
                "SELECT id, category, title, body FROM complaints"
                " WHERE id > $1 AND verified_at IS NOT NULL ORDER BY id LIMIT $2",
                last,
                BATCH,
            )
            if not rows:
                break
            last = rows[-1]["id"]
            for row in rows:
                if include is not None and not include(row["id"]):
                    continue
                found = terms_of(complaint_text(row["title"], row["body"]))
                category = row["category"]
                terms.update((term, category) for term in found)
                count = counts.setdefault(category, [0, 0])
                count[0] += 1
                count[1] += len(found)
                done += 1
        await db.execute("DELETE FROM category_terms")
        await db.execute("DELETE FROM category_counts")
        copy = transaction.connection.copy_records_to_table
        await copy(
            "category_terms",
            records=[(term, category, 0, n) for (term, category), n in sorted(terms.items())],
            columns=["term", "category", "shard", "documents"],
        )
        await copy(
            "category_counts",
            records=[(category, 0, n, t) for category, (n, t) in sorted(counts.items())],
            columns=["category", "shard", "documents", "terms"],
        )
    await db.execute("ANALYZE category_terms")
    return done
