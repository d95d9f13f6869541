"""Test data for handling: categories and complaints written directly, every field chosen."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

_numbers = itertools.count(1)


async def make_category(
    name: str, unit: int, *, deadline_days: int = 7, icon: str = "🛣️", active: bool = True
) -> int:
    from pengaduan.agency.tables import Category

    rows = await Category.insert(
        Category(
            name=name,
            icon=icon,
            default_unit=unit,
            deadline_days=deadline_days,
            is_active=active,
        )
    ).returning(Category.id)
    return rows[0]["id"]


async def make_complaint(
    *,
    reporter: int,
    unit: int,
    category: int | None = None,
    title: str = "Jalan berlubang di depan pasar",
    body: str = "Lubang besar di jalan, berbahaya bagi pengendara motor.",
    status: str = "pending",
    priority: str = "normal",
    officer: int | None = None,
    is_anonymous: bool = False,
    submitted_at: datetime | None = None,
    due_at: datetime | None = None,
    number: str | None = None,
    **extra: Any,
) -> int:
    """A complaint (with its first history row); the category is made for the unit if none."""
    from pengaduan.complaints.tables import Complaint, StatusHistory

    if category is None:
        category = await make_category(f"Kategori {next(_numbers)}", unit)
    now = datetime.now(UTC)
    submitted_at = submitted_at or now - timedelta(hours=1)
    rows = await Complaint.insert(
        Complaint(
            number=number or f"ADU-2026-{next(_numbers):06d}",
            tracking_code="KODE1234",
            reporter=reporter,
            category=category,
            unit=unit,
            officer=officer,
            title=title,
            body=body,
            status=status,
            priority=priority,
            is_anonymous=is_anonymous,
            submitted_at=submitted_at,
            due_at=due_at if due_at is not None else submitted_at + timedelta(days=7),
            updated_at=submitted_at,
            **extra,
        )
    ).returning(Complaint.id)
    complaint_id = rows[0]["id"]
    await StatusHistory.insert(
        StatusHistory(
            complaint=complaint_id,
            old_status=None,
            new_status="pending",
            changed_by=reporter,
            changed_at=submitted_at,
        )
    )
    return complaint_id
