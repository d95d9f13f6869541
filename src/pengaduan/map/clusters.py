"""Clusters of complaints for the part of a map on screen, counted on the server.

Why two sources. A wide view (a whole province) holds up to every complaint: counting them from
the complaints at each pan would grow with the table (a million rows read per request). Instead
complaint_cells (map.tables) counts complaints per grid cell (map.grid) at every other level,
with what the maps filter by (unit, category, status, public, anonymous), kept exact by
statement-level triggers in the changing transaction. A view's clusters are the stored cells at
or just coarser than its zoom's, read from a range of the key's index (level, cx, cy) alone
(what is summed is included): a view of at most CELLS_ACROSS × CELLS_ACROSS clusters reads a
bounded number of rows however many complaints there are (the combinations of unit, category
and status in those cells bound it, not the table). Close up (cluster level POINTS_LEVEL and
finer, a few km²), the complaints themselves are read through the GiST index on
point(longitude, latitude) (complaints_position: a box is a range in both coordinates at once;
a btree on latitude would read the whole band of the province across), grouped the same way,
and a cluster of one names its complaint. Filters the cells do not hold (a text search, dates,
place, priority, overdue, "mine", "unassigned") also read the complaints, through whichever
index the filter has, at most POINTS_CAP of them (the answer then says it is partial).

No hot row: a per-cell row every submission in a busy cell must update and hold to commit would
queue those submissions one behind the other (issue 13 measured it for the daily aggregate).
The triggers add to the first *slot* of the key that no other transaction holds (FOR UPDATE
SKIP LOCKED) or insert a new slot, and readers sum the slots, as complaint_daily does
(migration 2026-12-04T13:00): a submission never waits for another. Slots per key stay at most
the submissions of that key under way at once (bench/submit_load.py --position puts every
submission in one cell: no lock waits among the backends, only WAL and CPU), and every ten
minutes a job (map.jobs) folds them back into one, so readers sum about one row per key. A bulk
change (an import) adds to slot 0 in key order in one statement instead.

Privacy: public maps read only public, not withdrawn complaints (archive.services.PUBLIC), and
an anonymous complaint only at the centre of its ROUNDED_LEVEL cell (about 1.2 km): its cell
counts carry the rounded positions' sums, a view includes it by its rounded cell, and finer
clusters than that cell keep it whole, so moving the edges of a view reveals nothing finer.
Officers read their unit only (handling.queue.scoped) and the exact positions.

Measured with bench/map_load.py (2 shared cores, in-process, median): at 1,000,000 complaints
the whole province 31 ms (archive) and 13 ms (queue), a city 36 ms, a street in the densest
part (3,808 complaints in view, read themselves) 97 ms; at 10,000 all under 30 ms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pengaduan import db
from pengaduan.archive.filters import ArchiveFilters
from pengaduan.archive.services import conditions as archive_conditions
from pengaduan.handling.queue import QueueFilters, statuses_of, with_search
from pengaduan.map import grid

POINTS_CAP = 5000


@dataclass(frozen=True)
class Clusters:
    """What a view shows: clusters (`count`, `lat`, `lon`, `bounds` [south, west, north,
    east]; a complaint read itself also has `id`, `number`, `title`, `status`), whether only
    part was read (`capped`), and where they came from ("cells" or "complaints")."""

    clusters: list[dict[str, Any]] = field(default_factory=list)
    capped: bool = False
    source: str = "cells"


def _rounded_sql(column: str, offset: int) -> str:
    step = f"{grid.size(grid.ROUNDED_LEVEL)!r}"
    return f"(floor((c.{column} + {offset}) / {step}) + 0.5) * {step} - {offset}"


def _position_sql(public: bool) -> tuple[str, str]:
    """(latitude, longitude) as the map shows them: rounded for anonymous ones in public."""
    if not public:
        return "c.latitude", "c.longitude"
    return (
        f"CASE WHEN c.is_anonymous THEN {_rounded_sql('latitude', 90)} ELSE c.latitude END",
        f"CASE WHEN c.is_anonymous THEN {_rounded_sql('longitude', 180)} ELSE c.longitude END",
    )


def _cluster(level: int, row: Any) -> dict[str, Any]:
    found = {
        "count": row["n"],
        "lat": round(row["lat"], 6),
        "lon": round(row["lon"], 6),
        "bounds": [round(b, 6) for b in grid.cell_bounds(level, row["gx"], row["gy"])],
    }
    if row.get("id") is not None and row["n"] == 1:
        found.update(id=row["id"], number=row["number"], title=row["title"], status=row["status"])
    return found


async def _from_cells(view: grid.View, where: db.Where, public: bool) -> Clusters:
    # Clusters are the stored cells at or just coarser than the view's (64 to 128 pixels):
    # one cell row per cluster and key, never four.
    level = stored = grid.stored_level(view.level)
    lat_sum, lon_sum = ("public_lat_sum", "public_lon_sum") if public else ("lat_sum", "lon_sum")
    # Each branch: the clusters of one level from the rows of `stored` (shift: cells per side).
    branches: list[tuple[int, str]] = []
    if public and level > grid.ROUNDED_LEVEL:
        kinds = [(level, "NOT k.is_anonymous"), (grid.ROUNDED_LEVEL, "k.is_anonymous")]
    else:
        kinds = [(level, "true")]
    for group_level, kind in kinds:
        shift = stored - group_level
        x0, x1, y0, y1 = view.cells(group_level)
        branches.append(
            (
                group_level,
                f"""SELECT {group_level} AS level, k.cx >> {shift} AS gx, k.cy >> {shift} AS gy,
                       sum(k.complaints)::int AS n, sum(k.{lat_sum}) AS lat_sum,
                       sum(k.{lon_sum}) AS lon_sum
                FROM complaint_cells k
                WHERE k.level = {stored}
                  AND k.cx BETWEEN {x0 << shift} AND {((x1 + 1) << shift) - 1}
                  AND k.cy BETWEEN {y0 << shift} AND {((y1 + 1) << shift) - 1}
                  AND {kind} AND {where.sql}
                GROUP BY 2, 3 HAVING sum(k.complaints) > 0""",
            )
        )
    sql = " UNION ALL ".join(f"({branch})" for _level, branch in branches)
    rows = await db.fetch(
        f"SELECT level, gx, gy, n, lat_sum / n AS lat, lon_sum / n AS lon FROM ({sql}) AS b",
        *where.args,
    )
    return Clusters([_cluster(row["level"], dict(row)) for row in rows], False, "cells")


async def _from_complaints(view: grid.View, where: db.Where, public: bool) -> Clusters:
    """The matching complaints in the view (at most POINTS_CAP), clustered like the cells."""
    level = min(view.level, grid.POINTS_LEVEL)
    lat, lon = _position_sql(public)
    # Public positions move up to half a rounded cell: the index's box is that much larger.
    margin = grid.size(grid.ROUNDED_LEVEL) / 2 if public else 0.0
    box = db.Where(first=len(where.args))
    west, south = box.param(view.west - margin), box.param(view.south - margin)
    east, north = box.param(view.east + margin), box.param(view.north + margin)
    if view.level >= grid.POINTS_LEVEL:
        inside = (
            f"point(c.longitude, c.latitude) <@ box(point({west}, {south}), point({east}, {north}))"
        )
    else:
        # A wide view read for its filter: PostgreSQL guesses any box holds 0.1 % of the rows
        # and would read the whole province through the position index; without that index
        # in reach it takes the filter's own (a text search's, the queue's).
        inside = f"c.longitude BETWEEN {west} AND {east} AND c.latitude BETWEEN {south} AND {north}"
    if public:
        inside += (
            f" AND {lon} BETWEEN {box.param(view.west)} AND {box.param(view.east)}"
            f" AND {lat} BETWEEN {box.param(view.south)} AND {box.param(view.north)}"
        )
    step = f"{grid.size(level)!r}"
    sql = f"""
        SELECT floor((p.lon + 180) / {step})::int AS gx, floor((p.lat + 90) / {step})::int AS gy,
               count(*)::int AS n, avg(p.lat) AS lat, avg(p.lon) AS lon,
               min(p.id) AS id, min(p.number) AS number, min(p.title) AS title,
               min(p.status) AS status
        FROM (
            SELECT c.id, c.number, c.title, c.status, {lat} AS lat, {lon} AS lon
            FROM complaints c
            WHERE {where.sql} AND c.latitude IS NOT NULL AND c.longitude IS NOT NULL
              AND {inside}
            LIMIT {POINTS_CAP + 1}
        ) AS p
        GROUP BY 1, 2
    """
    rows = [dict(row) for row in await db.fetch(sql, *where.args, *box.args)]
    capped = sum(row["n"] for row in rows) > POINTS_CAP
    return Clusters([_cluster(level, row) for row in rows], capped, "complaints")


async def archive_clusters(view: grid.View, filters: ArchiveFilters) -> Clusters:
    """Public complaints in the view (the archive's filters), anonymous ones rounded."""
    reads_text = filters.q or filters.date_from or filters.date_to or filters.location
    if view.level >= grid.POINTS_LEVEL or reads_text:
        return await _from_complaints(view, archive_conditions(filters), public=True)
    where = db.Where().add("k.is_public").add("k.status <> 'withdrawn'")
    if filters.category:
        where.add("k.category = {}", filters.category)
    if filters.status:
        where.add("k.status = {}", filters.status)
    return await _from_cells(view, where, public=True)


async def queue_clusters(
    view: grid.View, filters: QueueFilters, *, officer_id: int | None, unit_id: int | None
) -> Clusters:
    """The queue's complaints in the view: its filters, scoped as the queue is
    (handling.queue.scoped: `unit_id` an officer's unit, None every unit)."""
    narrower = filters.view in ("mine", "unassigned") or filters.priority or filters.overdue
    if view.level >= grid.POINTS_LEVEL or narrower or filters.q:
        where = await with_search(filters, officer_id, unit_id)
        where.add("c.status = ANY({})", list(statuses_of(filters)))
        if filters.priority:
            where.add("c.priority = {}", filters.priority)
        return await _from_complaints(view, where, public=False)
    where = db.Where()
    unit = unit_id if unit_id is not None else filters.unit
    if unit is not None:
        where.add("k.unit = {}", unit)
    where.add("k.status = ANY({})", list(statuses_of(filters)))
    if filters.category:
        where.add("k.category = {}", filters.category)
    return await _from_cells(view, where, public=False)
