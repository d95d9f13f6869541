"""Test data for the agency and assignment tests: categories, response templates, complaints
written straight to the tables (the submit journey is tested elsewhere)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

_numbers = itertools.count(1)


async def make_category(unit: int, name: str = "Jalan Rusak", *, active: bool = True) -> int:
    from pengaduan.agency.tables import Category

    rows = await Category.insert(
        Category(name=name, icon="🛣️", default_unit=unit, deadline_days=14, is_active=active)
    ).returning(Category.id)
    return rows[0]["id"]


async def make_response_template(category: int | None, title: str = "Terima kasih") -> int:
    from pengaduan.agency.tables import ResponseTemplate

    rows = await ResponseTemplate.insert(
        ResponseTemplate(category=category, title=title, body="Terima kasih atas laporannya.")
    ).returning(ResponseTemplate.id)
    return rows[0]["id"]


async def make_complaint(
    *,
    reporter: int,
    category: int,
    unit: int,
    officer: int | None = None,
    status: str = "pending",
    title: str = "Jalan berlubang di depan pasar",
    due_at: datetime | None = None,
    resolved_at: datetime | None = None,
    **columns: Any,
) -> int:
    """A complaint as the submit code would leave it (plus whatever `columns` say)."""
    from pengaduan.complaints.tables import Complaint

    now = datetime.now(UTC)
    rows = await Complaint.insert(
        Complaint(
            number=f"ADU-2026-{next(_numbers):06d}",
            tracking_code="ABCD2345",
            reporter=reporter,
            category=category,
            unit=unit,
            officer=officer,
            title=title,
            body="Lubang besar membahayakan pengendara motor.",
            status=status,
            submitted_at=now - timedelta(days=1),
            due_at=due_at or now + timedelta(days=13),
            resolved_at=resolved_at,
            **columns,
        )
    ).returning(Complaint.id)
    return rows[0]["id"]
