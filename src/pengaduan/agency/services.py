"""Queries about units and categories."""

from __future__ import annotations

from typing import Any

from pengaduan.agency.tables import Category


async def active_categories() -> list[dict[str, Any]]:
    """Active categories with their unit's name, alphabetically."""
    return (
        await Category.select(
            Category.id,
            Category.name,
            Category.description,
            Category.icon,
            Category.deadline_days,
            Category.default_unit.name.as_alias("unit_name"),
        )
        .where(Category.is_active.eq(True))
        .order_by(Category.name)
    )
