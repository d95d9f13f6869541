"""A queue row's age as text, kept per process (handling.queue_texts.cached_age_text): always
the text babel gives for that age, whichever key it was kept under."""

from __future__ import annotations

import random
from datetime import timedelta

from pengaduan.handling import queue_texts

HOUR = 3600
DAY = 24 * HOUR


def test_kept_age_texts_are_babels_for_every_age() -> None:
    rng = random.Random(13)
    ages = [timedelta(seconds=s) for s in range(0, 200)]
    # Around every step: half units (rounding) and 1.5 units (the next unit) of days, weeks,
    # months and years, to the second, and whole hours between.
    for unit in (DAY, 7 * DAY, 30 * DAY, 365 * DAY):
        for n in range(0, 8):
            for step in (unit * (n + 0.5), unit * 1.5 * max(n, 1), unit * n):
                ages += [timedelta(seconds=int(step) + d) for d in range(-2, 3)]
    ages += [timedelta(hours=h, seconds=d) for h in range(30, 24 * 40) for d in (-1, 0, 1)]
    ages += [timedelta(seconds=rng.randrange(0, 3 * 365 * DAY)) for _ in range(3000)]
    ages += [
        timedelta(seconds=rng.randrange(0, 60 * DAY), microseconds=rng.randrange(1, 10**6))
        for _ in range(1000)
    ]
    ages += [timedelta(seconds=-s) for s in (1, 90, 4000, 2 * DAY)]  # from the future
    for code in ("id", "en"):
        queue_texts._TEXTS.clear()
        for _ in range(2):  # the second time from what is kept
            for age in ages:
                assert queue_texts.cached_age_text(age, code) == queue_texts.age_text(age, code), (
                    age,
                    code,
                )
