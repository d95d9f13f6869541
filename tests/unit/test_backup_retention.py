"""Which scheduled backups are kept: the newest of each of N days, then of M weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pengaduan.backup.schedule import made_at, retained

# A Wednesday.
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_one_a_day_for_sixty_days_keeps_seven_days_and_four_weeks() -> None:
    made = [NOW - timedelta(days=n) for n in range(60)]
    keep = retained(made, keep_daily=7, keep_weekly=4)
    daily = {NOW - timedelta(days=n) for n in range(7)}
    assert daily <= keep
    weekly = sorted(keep - daily, reverse=True)
    assert len(weekly) == 4
    # The newest of each earlier ISO week: a Sunday each, none in the weeks the days cover.
    assert all(w.weekday() == 6 for w in weekly)
    weeks = {w.isocalendar()[:2] for w in weekly}
    assert len(weeks) == 4
    assert not weeks & {d.isocalendar()[:2] for d in daily}
    assert weekly[0] == datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def test_two_on_one_day_keep_the_newer_and_days_without_one_do_not_count() -> None:
    morning, evening = NOW, NOW + timedelta(hours=12)
    week_ago = NOW - timedelta(days=30)
    keep = retained([morning, evening, week_ago], keep_daily=2, keep_weekly=0)
    assert keep == {evening, week_ago}


def test_nothing_to_keep_from_nothing_and_zero_weeks_keeps_only_days() -> None:
    assert retained([], 7, 4) == set()
    made = [NOW - timedelta(days=n) for n in range(20)]
    assert retained(made, 3, 0) == set(made[:3])


def test_only_our_archive_names_count() -> None:
    assert made_at(Path("pengaduan-20261202-020000.backup")) == NOW
    assert made_at(Path("pengaduan-20261202-020000.backup.partial")) is None
    assert made_at(Path("notes.txt")) is None
