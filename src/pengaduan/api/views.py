"""The JSON API's answers from what the services read: a complaint as its reporter sees it
(the same reads as the website's complaint page), a page of "my complaints", a category."""

from __future__ import annotations

from typing import Any

from pengaduan import db
from pengaduan.api import schemas
from pengaduan.complaints import reading, statuses
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.i18n import _


def not_found() -> Refused:
    """Somebody else's complaint, or none: the same answer (nothing said about which)."""
    return Refused(_("This complaint does not exist."), NOT_FOUND)


def summary(row: dict[str, Any]) -> schemas.Summary:
    return schemas.Summary(
        id=row["id"],
        number=row["number"],
        title=row["title"],
        status=row["status"],
        status_label=statuses.label(row["status"]),
        category_name=row["category_name"],
        submitted_at=row["submitted_at"],
        due_at=row["due_at"],
        updated_at=row["updated_at"],
        overdue=row["overdue_since"] is not None,
        is_anonymous=row["is_anonymous"],
        is_public=row["is_public"],
    )


def _entry(entry: dict[str, Any]) -> schemas.TimelineEntry:
    if entry["kind"] == "status":
        return schemas.TimelineEntry(
            kind="status",
            at=entry["at"],
            status=entry["status"],
            status_label=statuses.label(entry["status"]),
            old_status=entry["old_status"],
            note=entry["note"] or None,
        )
    return schemas.TimelineEntry(
        kind="message",
        at=entry["at"],
        body=entry["body"],
        official=entry["official"],
        by_reporter=entry["by_reporter"],
        author_role=entry["author_role"],
        author_name=entry["author_name"] or None,
    )


async def detail(complaint_id: int, reporter_id: int) -> schemas.Detail:
    """The reporter's own complaint with its public timeline and evidence; refused as not
    found for anybody else's."""
    async with db.one_connection():  # the reads of one answer: one pool connection
        complaint = await reading.complaint_for_reporter(complaint_id, reporter_id)
        if complaint is None:
            raise not_found()
        timeline = await reading.public_timeline(complaint_id, reporter_id)
        files = await reading.evidence_of(complaint_id)
    rating = None
    if complaint["rating_score"] is not None:
        rating = schemas.RatingOut(
            score=complaint["rating_score"],
            comment=complaint["rating_comment"] or "",
            rated_at=complaint["rated_at"],
        )
    return schemas.Detail(
        id=complaint["id"],
        number=complaint["number"],
        tracking_code=complaint["tracking_code"],
        title=complaint["title"],
        description=complaint["body"],
        category_id=complaint["category"],
        category_name=complaint["category_name"],
        unit_name=complaint["unit_name"],
        location_text=complaint["location_text"] or "",
        latitude=complaint["latitude"],
        longitude=complaint["longitude"],
        urgency=complaint["citizen_urgency"],
        status=complaint["status"],
        status_label=statuses.label(complaint["status"]),
        is_anonymous=complaint["is_anonymous"],
        is_public=complaint["is_public"],
        submitted_at=complaint["submitted_at"],
        verified_at=complaint["verified_at"],
        resolved_at=complaint["resolved_at"],
        closed_at=complaint["closed_at"],
        due_at=complaint["due_at"],
        updated_at=complaint["updated_at"],
        overdue=complaint["overdue_since"] is not None,
        rating=rating,
        actions=schemas.Actions(
            can_withdraw=complaint["can_withdraw"],
            can_message=complaint["can_message"],
            can_rate=complaint["can_rate"],
            can_reopen=complaint["can_reopen"],
        ),
        timeline=[_entry(entry) for entry in timeline],
        evidence=[
            schemas.EvidenceOut(
                id=f["id"], name=f["original_name"], mime_type=f["mime_type"], size=f["size"]
            )
            for f in files
        ],
    )


def category(row: dict[str, Any]) -> schemas.CategoryOut:
    return schemas.CategoryOut(
        id=row["id"],
        name=row["name"],
        description=row["description"] or "",
        icon=row["icon"] or "",
        unit_name=row["unit_name"] or "",
        deadline_days=row["deadline_days"],
    )
