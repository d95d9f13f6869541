"""What a queue row shows (the officers' queue and the admin complaint list): the columns
the page's statement reads for each complaint of the page (handling.queue's `page` CTE: id,
rank, due_at), and the names of a `packed` row's values (handling.queue_rows,
handling.admin_list)."""

from __future__ import annotations

from typing import Any

from pengaduan import db
from pengaduan.complaints.statuses import OPEN_SQL

# What the queue shows of each row of the page (the `page` CTE: id, rank, due_at), the raw
# age last: each column's expression and name.
SHOWN = (
    ("c.id", "id"),
    ("c.number", "number"),
    ("c.title", "title"),
    ("c.status", "status"),
    ("c.priority", "priority"),
    ("c.due_at", "due_at"),
    ("u.name", "unit_name"),
    ("cat.name", "category_name"),
    ("cat.icon", "category_icon"),
    ("c.category_suggested", "category_suggested"),
    ("c.officer", "officer_id"),
    ("o.full_name", "officer_name"),
    (f"coalesce(c.due_at < now() AND c.status IN ({OPEN_SQL}), false)", "is_overdue"),
    (
        f"coalesce(c.due_at >= now() AND c.due_at < now() + interval '24 hours'"
        f" AND c.status IN ({OPEN_SQL}), false)",
        "is_due_soon",
    ),
)
# The names of what `packed` rows hold, in their order (`page_sql`).
PACKED_FIELDS = tuple(name for _, name in SHOWN)
COLUMNS = "".join(f"\n       {sql} AS {name}," for sql, name in SHOWN) + (
    "\n       now() - c.submitted_at AS age"
)
JOINS = """
FROM page
JOIN complaints c ON c.id = page.id
JOIN units u ON u.id = c.unit
JOIN categories cat ON cat.id = c.category
LEFT JOIN users o ON o.id = c.officer"""
ORDER = "ORDER BY page.rank, page.due_at, page.id"


def unpacked(packed: str) -> dict[str, Any]:
    """A `packed` row's fields by name, as the columns would give them."""
    return db.unpacked(packed, PACKED_FIELDS, ("due_at",))
