"""Suggesting a category for a text: naive Bayes over what the officers' classifications taught
(categorising.learning), read fresh from PostgreSQL on every call, so a classification counts
for the very next suggestion in every worker.

Each complaint counts a term once (binarised multinomial naive Bayes, which suits short texts):
a category's score is its share of the classified complaints times, for every term of the text
it has seen, how often its complaints use that term, smoothed (ALPHA over VOCABULARY) so an
unseen pair is unlikely rather than impossible. Terms no category has seen say nothing and are
left out. Two indexed reads, whatever the number of complaints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pengaduan import db
from pengaduan.categorising.terms import terms_of

ALPHA = 1.0
# The smoothing's vocabulary: roughly the number of distinct words of complaints in one
# category. Its exact value barely moves the ranking (bench/categorise.py).
VOCABULARY = 20_000

# One round trip: the active categories with their totals (kind 0), then the counts of the
# text's terms per category (kind 1), each term one index range over its shards.
COUNTS_SQL = """
SELECT 0 AS kind, k.id AS category, k.name AS label,
       greatest(0, coalesce(sum(c.documents), 0))::bigint AS n,
       greatest(0, coalesce(sum(c.terms), 0))::bigint AS terms
FROM categories k LEFT JOIN category_counts c ON c.category = k.id
WHERE k.is_active
GROUP BY k.id, k.name
UNION ALL
SELECT 1, category, term, sum(documents), 0 FROM category_terms
WHERE term = ANY($1::varchar[])
GROUP BY term, category HAVING sum(documents) > 0
"""


@dataclass(frozen=True)
class Suggestion:
    """A category for a text, with its probability (0 to 1) among the active categories."""

    category_id: int
    name: str
    score: float


@dataclass(frozen=True)
class Ranking:
    """Every active category, best first, and how many of the text's terms the officers'
    classifications have seen (none: the ranking is only which categories are commonest)."""

    suggestions: list[Suggestion]
    known_terms: int


async def rank(text: str) -> Ranking:
    """The active categories ranked for `text` (all alike before any complaint was
    classified; none when no category is active)."""
    rows = await db.fetch(COUNTS_SQL, terms_of(text))
    categories = [r for r in rows if r["kind"] == 0]
    if not categories:
        return Ranking([], 0)
    total = sum(c["n"] for c in categories)
    seen: dict[str, dict[int, int]] = {}
    for row in rows:
        if row["kind"] == 1:
            seen.setdefault(row["label"], {})[row["category"]] = row["n"]
    scores = []
    for category in categories:
        score = math.log((category["n"] + 1) / (total + len(categories)))
        denominator = math.log(category["terms"] + ALPHA * VOCABULARY)
        for by_category in seen.values():
            score += math.log(by_category.get(category["category"], 0) + ALPHA) - denominator
        scores.append((score, category["category"], category["label"]))
    best = max(s for s, _id, _name in scores)
    weights = [(math.exp(s - best), i, name) for s, i, name in scores]
    whole = sum(w for w, _i, _name in weights)
    ranked = sorted(weights, key=lambda w: (-w[0], w[1]))
    return Ranking([Suggestion(i, name, w / whole) for w, i, name in ranked], len(seen))


async def suggest(text: str, *, limit: int = 3) -> list[Suggestion]:
    """Up to `limit` active categories for `text`, best first, with their probabilities
    (between 0 and 1)."""
    return (await rank(text)).suggestions[:limit]
