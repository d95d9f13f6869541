"""Test data for the integration tests, written straight to the tables with every field
chosen: units, users, categories, response templates, complaints, evidence. The journeys that
make these rows for real (registration, submission, upload) are tested on their own.

Call them inside a test or fixture that uses the `app` (its pool is open)."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

PASSWORD = "kata-sandi-uji-123"

_numbers = itertools.count(1)


async def make_unit(name: str = "Dinas Uji") -> int:
    from pengaduan.agency.tables import Unit

    rows = await Unit.insert(Unit(name=name)).returning(Unit.id)
    return rows[0]["id"]


async def make_user(
    role: str,
    username: str,
    *,
    password: str = PASSWORD,
    unit: int | None = None,
    email: str | None = None,
    confirmed: bool = True,
) -> int:
    """A user written directly (citizens' personal data is filled in by registration tests)."""
    from pengaduan.accounts.passwords import hash_password
    from pengaduan.accounts.tables import User

    rows = await User.insert(
        User(
            username=username,
            full_name=username.title(),
            role=role,
            unit=unit,
            email=email or f"{username}@uji.test",
            email_confirmed_at=datetime.now(UTC) if confirmed else None,
            nip="1" * 18 if role == "officer" and username == "petugas" else None,
            password_hash=await hash_password(password, 4),
        )
    ).returning(User.id)
    return rows[0]["id"]


async def make_category(
    unit: int,
    name: str = "Jalan Rusak",
    *,
    deadline_days: int = 14,
    icon: str = "🛣️",
    active: bool = True,
) -> int:
    """A category whose complaints go to `unit`."""
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


async def make_response_template(category: int | None, title: str = "Terima kasih") -> int:
    from pengaduan.agency.tables import ResponseTemplate

    rows = await ResponseTemplate.insert(
        ResponseTemplate(category=category, title=title, body="Terima kasih atas laporannya.")
    ).returning(ResponseTemplate.id)
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
    tracking_code: str = "KODE1234",
    history: bool = True,
    **columns: Any,
) -> int:
    """A complaint as the submit code leaves it, plus whatever `columns` say (resolved_at,
    is_public, ...). Submitted an hour ago, due seven days after; with `history` its first
    status-history row (pending) too. Without a category, one is made for the unit."""
    from pengaduan.complaints.tables import Complaint, StatusHistory

    if category is None:
        category = await make_category(unit, f"Kategori {next(_numbers)}", deadline_days=7)
    submitted_at = submitted_at or datetime.now(UTC) - timedelta(hours=1)
    rows = await Complaint.insert(
        Complaint(
            number=number or f"ADU-2026-{next(_numbers):06d}",
            tracking_code=tracking_code,
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
            **columns,
        )
    ).returning(Complaint.id)
    complaint_id = rows[0]["id"]
    if history:
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


async def make_complaint_in(world: dict[str, int], **fields: Any) -> int:
    """`make_complaint` with the reporter, unit and category of a test's `world` (its
    "citizen", "unit" and "category") unless `fields` says otherwise."""
    fields.setdefault("reporter", world["citizen"])
    fields.setdefault("unit", world["unit"])
    fields.setdefault("category", world["category"])
    return await make_complaint(**fields)


async def attach_evidence(complaint_id: int, reporter_id: int) -> int:
    """A small photo stored for real and recorded on the complaint."""
    from pengaduan.complaints import evidence
    from pengaduan.complaints.storage import FileSystemStorage
    from pengaduan.complaints.tables import EvidenceFile
    from pengaduan.settings import get_settings
    from tests.support.images import jpeg

    stored = await evidence.store(
        FileSystemStorage(get_settings().uploads_dir),
        evidence.prepare("foto.jpg", jpeg((64, 48)), 10_000_000),
    )
    rows = await EvidenceFile.insert(
        EvidenceFile(
            complaint=complaint_id,
            uploaded_by=reporter_id,
            uploaded_at=datetime.now(UTC),
            **dataclasses.asdict(stored),
        )
    ).returning(EvidenceFile.id)
    return rows[0]["id"]
