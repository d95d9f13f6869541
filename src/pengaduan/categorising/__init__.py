"""Suggesting a complaint's category from its text, for the form and for complaints that
arrive without one (mail, WhatsApp/SMS).

This is the baseline every smarter suggestion must beat: the categories officers set most
often, best first. Its signature is what the channels rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

from pengaduan import db


@dataclass(frozen=True)
class Suggestion:
    category_id: int
    name: str
    score: float


# The categories of the latest 10,000 verified complaints (their category is an officer's
# decision), so the cost does not grow with the table.
_FREQUENT_SQL = """
SELECT c.id, c.name, count(k.category)::float AS n
FROM categories c
LEFT JOIN (
    SELECT category FROM complaints WHERE verified_at IS NOT NULL
    ORDER BY submitted_at DESC LIMIT 10000
) AS k ON k.category = c.id
WHERE c.is_active
GROUP BY c.id, c.name
ORDER BY n DESC, c.id
LIMIT $1
"""


async def suggest(text: str, *, limit: int = 3) -> list[Suggestion]:
    """Up to `limit` active categories for a complaint with this text, best first (scores
    between 0 and 1)."""
    rows = await db.fetch(_FREQUENT_SQL, limit)
    total = sum(r["n"] for r in rows) or 1.0
    return [Suggestion(r["id"], r["name"], r["n"] / total) for r in rows]
