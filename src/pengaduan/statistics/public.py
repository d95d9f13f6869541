"""The public aggregates: the transparency page's figures, kept a minute per view and process,
and the home page's count of public complaints per status (from the tallies, exact as the
daily aggregate is, so the two pages give the same numbers)."""

from __future__ import annotations

import time

from pengaduan.complaints import tallies
from pengaduan.complaints.statuses import STATUSES
from pengaduan.statistics import figures, queries
from pengaduan.statistics.filters import StatsFilters, today_in_jakarta

PUBLIC_CACHE_SECONDS = 60
_public_cache: dict[str, tuple[float, figures.Figures]] = {}


async def public_figures(filters: StatsFilters) -> figures.Figures:
    """Figures over public complaints only, computed at most once a minute per view and
    process (the page is open to everyone; a minute's delay in public numbers is fine)."""
    key = filters.query_string()
    now = time.monotonic()
    cached = _public_cache.get(key)
    if cached and now - cached[0] < PUBLIC_CACHE_SECONDS and cached[1].end > today_in_jakarta():
        return cached[1]
    result = await figures.compute(filters, public_only=True)
    if len(_public_cache) > 256:
        _public_cache.clear()
    _public_cache[key] = (now, result)
    return result


def clear_public_cache() -> None:
    _public_cache.clear()


async def public_status_counts() -> dict[str, int]:
    """The public complaints in each status, all time (withdrawn ones left out, as the archive
    and the transparency page leave them out), from the tallies kept per category and status
    (complaints.tallies): the same numbers as the transparency page's all-time view, whatever
    the number of days behind them."""
    stored = await tallies.public_per_status()
    counts = {code: stored.get(code, 0) for code in STATUSES}
    counts.pop(queries.PUBLIC_WITHDRAWN, None)
    return counts
