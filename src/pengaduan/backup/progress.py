"""A progress bar on standard error when it is a terminal; nothing at all otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    """Counts `done` towards `total` (bytes or entries) and redraws at most ten times a second."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self._shown = sys.stderr.isatty()
        self._drawn_at = 0.0

    def advance(self, amount: int) -> None:
        self.done += amount
        if self._shown and time.monotonic() - self._drawn_at > 0.1:
            self._draw()

    def _draw(self) -> None:
        self._drawn_at = time.monotonic()
        share = min(self.done / self.total, 1.0)
        bar = "#" * int(share * 30)
        sys.stderr.write(f"\r{self.label:<10} [{bar:<30}] {share:4.0%}")
        sys.stderr.flush()

    def finish(self) -> None:
        if self._shown:
            self.done = self.total
            self._draw()
            sys.stderr.write("\n")
            sys.stderr.flush()
