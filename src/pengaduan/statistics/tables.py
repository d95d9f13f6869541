"""The daily aggregate of complaints the statistics read instead of a million complaint rows."""

from piccolo.columns import Boolean, Date, Integer, Varchar
from piccolo.table import Table

from pengaduan.db import ENGINE


class ComplaintDaily(Table, tablename="complaint_daily", db=ENGINE):
    """Complaints counted per submission day (in Asia/Jakarta) and everything the statistics
    group or filter by: unit, category, officer (0: none), current status, public or not.

    Kept exact by statement-level triggers on complaints and ratings, in the same transaction
    as the change (migration 2026-12-02T14:00); `pengaduan stats-rebuild` recounts it from the
    complaints. Readers sum over rows: a key may have several ("slots", `shard`, migration
    2026-12-04T13:00), because a trigger adds to the first slot of the key no other transaction
    holds, or to a new one, and so never waits for another submission's commit. The rebuild
    writes one slot per key. (key, shard) is unique (an index made by raw SQL)."""

    day = Date()
    unit = Integer()
    category = Integer()
    officer = Integer(default=0)
    status = Varchar(length=16)
    is_public = Boolean(default=True)
    shard = Integer(default=0)
    complaints = Integer(default=0)
    # resolved_at set (resolved, or closed after resolution).
    resolved = Integer(default=0)
    # resolved_at set and not after due_at.
    resolved_on_time = Integer(default=0)
    rating_sum = Integer(default=0)
    rating_count = Integer(default=0)
    # Resolved within 1, 3, 7, 14, 30 days (each after the one before), or later.
    resolved_1d = Integer(default=0)
    resolved_3d = Integer(default=0)
    resolved_7d = Integer(default=0)
    resolved_14d = Integer(default=0)
    resolved_30d = Integer(default=0)
    resolved_more = Integer(default=0)
    # First answered within 4, 12, 24, 48 hours (each after the one before), or later.
    responded_4h = Integer(default=0)
    responded_12h = Integer(default=0)
    responded_1d = Integer(default=0)
    responded_2d = Integer(default=0)
    responded_more = Integer(default=0)
