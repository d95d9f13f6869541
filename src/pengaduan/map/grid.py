"""The map's grid and the view a map asks for.

A cell at level L is 360 / 2**L degrees wide and as many high (longitude from -180, latitude
from -90), so a cell's four children at level L + 1 lie inside it. Leaflet draws a tile of 256
pixels at zoom z over 360 / 2**z degrees of longitude: a cluster is a cell of level z + 2,
about 64 pixels across (near the equator, where a degree of latitude is as long as one of
longitude). The levels, the rounding and the sizes must stay the migration's
(2026-12-05T02:00).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pengaduan.i18n import _

# Levels complaint_cells counts at; a view's clusters are cells of the one at or just coarser
# than its zoom's (64 to 128 pixels across).
LEVELS = (5, 7, 9, 11, 13, 15, 17)
# Anonymous complaints show on public maps at the centre of their cell of this level
# (360 / 2**15 degrees: about 1.2 km in Indonesia), never closer.
ROUNDED_LEVEL = 15
# From this cluster level on the complaints themselves are read (the view is at most
# CELLS_ACROSS cells of 300 m across: a few km²).
POINTS_LEVEL = 18
# At most this many clusters across the longer side of a view, whatever zoom it claims.
CELLS_ACROSS = 32
MAX_ZOOM = 22
# Leaflet's Web Mercator stops here.
MAX_LATITUDE = 85.0


def size(level: int) -> float:
    """A cell's width and height in degrees."""
    return 360.0 / (1 << level)


def cell(level: int, longitude: float, latitude: float) -> tuple[int, int]:
    """The column and row of the cell holding a position (as the migration's SQL counts)."""
    return math.floor((longitude + 180) / size(level)), math.floor((latitude + 90) / size(level))


def rounded(latitude: float, longitude: float) -> tuple[float, float]:
    """Where an anonymous complaint shows in public: the centre of its ROUNDED_LEVEL cell."""
    step = size(ROUNDED_LEVEL)
    x, y = cell(ROUNDED_LEVEL, longitude, latitude)
    return (y + 0.5) * step - 90, (x + 0.5) * step - 180


def cell_bounds(level: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a cell."""
    step = size(level)
    return y * step - 90, x * step - 180, (y + 1) * step - 90, (x + 1) * step - 180


class BadView(ValueError):
    """The bounds or the zoom cannot be used; the message says why in the reader's language."""


def _number(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


@dataclass(frozen=True)
class View:
    """The part of the map shown (degrees) and Leaflet's zoom."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    @classmethod
    def parse(cls, bbox: str, zoom: str) -> View:
        """From `bbox=west,south,east,north` and `zoom=z`, clamped to the world."""
        try:
            west, south, east, north = (_number(part) for part in bbox.split(","))
        except ValueError:
            raise BadView(
                _("The map's bounds must be four numbers: west, south, east, north.")
            ) from None
        try:
            level = int(zoom)
        except ValueError:
            level = -1
        if not 0 <= level <= MAX_ZOOM:
            raise BadView(_("The zoom must be a whole number from 0 to %(max)d.", max=MAX_ZOOM))
        west, east = max(west, -180.0), min(east, 180.0)
        south, north = max(south, -MAX_LATITUDE), min(north, MAX_LATITUDE)
        if not (west < east and south < north):
            raise BadView(
                _("The map's bounds are empty: west must be less than east, south less than north.")
            )
        return cls(west, south, east, north, level)

    @property
    def level(self) -> int:
        """The clusters' level: the zoom's, or coarser when the view is wider than a screen of
        that zoom shows (the cost follows the clusters shown, never the zoom claimed)."""
        # A view narrower than a millimetre is as fine as one (no infinite level).
        span = max(self.east - self.west, self.north - self.south, 1e-8)
        widest = math.floor(math.log2(360.0 * CELLS_ACROSS / span))
        return max(0, min(self.zoom + 2, widest, MAX_ZOOM + 2))

    def cells(self, level: int) -> tuple[int, int, int, int]:
        """The first and last column and row of the cells of `level` the view touches."""
        x0, y0 = cell(level, self.west, self.south)
        x1, y1 = cell(level, self.east, self.north)
        return x0, x1, y0, y1


def stored_level(level: int) -> int:
    """The stored level at or just coarser than `level` (the coarsest for wider ones)."""
    return max([stored for stored in LEVELS if stored <= level], default=LEVELS[0])
