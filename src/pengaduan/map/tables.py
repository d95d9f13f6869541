"""The per-cell counts of complaints the map reads at wide zooms instead of the complaints."""

from piccolo.columns import Boolean, DoublePrecision, Integer, Varchar
from piccolo.table import Table

from pengaduan.db import ENGINE


class ComplaintCell(Table, tablename="complaint_cells", db=ENGINE):
    """Complaints with a position counted per grid cell (map.grid: `level`, column `cx`, row
    `cy`) and what the maps filter by: unit, category, status, public, anonymous.

    Kept exact by statement-level triggers on complaints in the changing transaction
    (migration 2026-12-05T02:00); readers sum over rows, because a key may have several slots
    (`shard`): a submission adds to the first slot of its key that no other transaction holds,
    or to a new one, and never waits for another's commit (as complaint_daily does). The sums
    of positions give each cluster its centre; `public_*` place anonymous complaints at the
    centre of their rounded cell (map.grid.ROUNDED_LEVEL), the only positions public maps read.
    (key, shard) is unique (an index made by raw SQL)."""

    level = Integer()
    cx = Integer()
    cy = Integer()
    unit = Integer(default=0)
    category = Integer(default=0)
    status = Varchar(length=16)
    is_public = Boolean(default=True)
    is_anonymous = Boolean(default=False)
    shard = Integer(default=0)
    complaints = Integer(default=0)
    lat_sum = DoublePrecision(default=0.0)
    lon_sum = DoublePrecision(default=0.0)
    public_lat_sum = DoublePrecision(default=0.0)
    public_lon_sum = DoublePrecision(default=0.0)
