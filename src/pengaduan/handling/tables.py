"""How often what the staff's queues show has changed: the key of their page cache."""

from piccolo.columns import BigInt, Integer
from piccolo.table import Table

from pengaduan.db import ENGINE

# The row of what every unit's queue shows besides its complaints (categories, units, staff).
SHARED = 0


class QueueVersion(Table, tablename="queue_versions", db=ENGINE):
    """Counters per unit (and `SHARED`), raised by database triggers in the same transaction
    as any change to a complaint of that unit, or to categories, units or staff (migration
    2026-11-23T19:00). Counters only grow. A unit has several rows ("slots", migration
    2026-12-04T13:00): a change raises the first slot no other transaction holds, or adds one,
    so concurrent submissions never wait on each other here. A staff session lookup reads the
    sum of the counters its queues depend on (`accounts.sessions`): while it is unchanged, a
    page rendered from the same inputs is still right (`web.pagecache`)."""

    unit = Integer(index=True)
    version = BigInt(default=0)
