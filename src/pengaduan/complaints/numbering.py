"""Numbering a complaint: its public number (ADU-YYYY-NNNNNN, from one PostgreSQL sequence)
and its tracking code (what a reporter without an account follows it with)."""

from __future__ import annotations

import secrets

from pengaduan import db

# The year in a number is the year in Jakarta when the complaint was filed.
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def number_for(year: int, value: int) -> str:
    return f"ADU-{year}-{value:06d}"


# Numbers come from one PostgreSQL sequence (migration 2026-12-04T13:00): nextval() takes no
# lock that lasts to commit, so submissions never queue behind each other for a number. Its
# values continue across years (ADU-2026-000812 may be followed by ADU-2027-000813): every
# number stays unique, existing ones stay valid and no DDL runs at a year's turn. A rolled-back
# submission leaves a gap (README, "Performance notes").
NUMBER_SEQUENCE = "complaint_numbers"
NUMBER_PATTERN = "^ADU-[0-9]{4}-[0-9]+$"
# Moves the sequence past the highest number already stored (bulk demo data writes numbers
# itself), never back. `$1`: NUMBER_PATTERN.
SYNC_NUMBERS_SQL = f"""
SELECT setval('{NUMBER_SEQUENCE}', stored.n) FROM (
    SELECT max(split_part(number, '-', 3)::bigint) AS n FROM complaints WHERE number ~ $1
) AS stored
WHERE stored.n >= (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END
                   FROM {NUMBER_SEQUENCE})
"""


async def sync_number_sequence() -> None:
    """Numbers written around the sequence (bulk demo data) got ahead of it: catch up."""
    await db.fetch(SYNC_NUMBERS_SQL, NUMBER_PATTERN)
