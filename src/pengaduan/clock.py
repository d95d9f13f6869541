"""The agency's clock: Indonesian Western Time (WIB, UTC+7), in which complaint numbers count
years, days are counted for statistics and filters, and dates are shown."""

from __future__ import annotations

from zoneinfo import ZoneInfo

JAKARTA = ZoneInfo("Asia/Jakarta")
