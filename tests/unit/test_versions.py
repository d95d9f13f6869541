"""A complaint's version as its forms carry it (complaints.versions): written and read back."""

from __future__ import annotations

from datetime import UTC, datetime

from pengaduan.complaints.versions import Version, version_of


def test_a_version_reads_back_as_written() -> None:
    row = {
        "updated_at": datetime(2026, 12, 4, 16, 30, 0, 123456, tzinfo=UTC),
        "message_count": 3,
        "status": "in_progress",
        "officer_id": 7,
        "unit_id": 2,
    }
    version = version_of(row)
    assert Version.parse(str(version)) == version
    # The locking reads name the columns as the table does: the same version.
    locked = {**row, "officer": 7, "unit": 2}
    del locked["officer_id"], locked["unit_id"]
    assert version_of(locked) == version
    # Unassigned, never changed.
    bare = Version(0, 0, "pending", None, 1)
    assert str(bare) == "0.0.pending.0.1" and Version.parse(str(bare)) == bare


def test_anything_else_is_no_version() -> None:
    for text in (None, "", "1.2.3", "a.0.pending.0.1", "1.0.pending.0.1.9", "9" * 30 + ".0.x.0.1"):
        assert Version.parse(text) is None, text
