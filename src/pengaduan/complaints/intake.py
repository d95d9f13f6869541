"""Filing a complaint that came from outside the web form: Open311, the app's API, mail,
WhatsApp/SMS. The same field rules as the form (`forms.parse_complaint`), the same evidence
checks as an upload (`evidence`), then `filing.create_complaint`: the same numbering, routing,
history, audit and notifications. A complaint that arrives without a category gets the top
suggestion (`categorising.suggest`), marked as suggested for the officer.

All or nothing: an attachment that fails its checks refuses the whole complaint (nothing is
written; the caller tells the sender which file and why).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from pengaduan import categorising
from pengaduan.complaints import evidence, filing, forms, imaging
from pengaduan.complaints.storage import Storage
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings

CHANNELS = ("web", "api", "open311", "email", "whatsapp", "sms")


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes


def _title_of(title: str, body: str) -> str:
    """The title as given (cut at the limit, on a word where possible), or the body's start
    when there is none (a text message has no subject)."""
    text = " ".join((title or body).split())
    if len(text) <= forms.TITLE_MAX:
        return text
    cut = text[: forms.TITLE_MAX - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > forms.TITLE_MAX // 2 else cut) + "…"


async def _category(category_id: int | None, title: str, body: str) -> tuple[int | None, bool]:
    if category_id is not None:
        return category_id, False
    suggestions = await categorising.suggest(f"{title}\n{body}", limit=1)
    if not suggestions:
        raise Refused(_("No category is open for complaints."), INVALID, field="category")
    return suggestions[0].category_id, True


async def _stored(
    attachments: Sequence[Attachment],
    settings: Settings,
    storage: Storage,
    images: imaging.ImageWorkers | None,
) -> list[evidence.StoredEvidence]:
    if len(attachments) > settings.upload_max_files:
        raise Refused(
            _("You can attach at most %(max)d files.", max=settings.upload_max_files),
            INVALID,
            field="evidence",
        )
    prepared: list[evidence.PreparedFile] = []
    for item in attachments:
        if images is not None:
            async with images.slot():
                prepared.append(
                    await images.prepare(item.name, item.data, settings.upload_max_bytes)
                )
        else:
            prepared.append(
                await asyncio.to_thread(
                    evidence.prepare, item.name, item.data, settings.upload_max_bytes
                )
            )
    stored: list[evidence.StoredEvidence] = []
    for item in prepared:
        kept = await evidence.store(storage, item)
        if kept not in stored:
            stored.append(kept)
    return stored


async def file_from_channel(
    *,
    channel: str,
    reporter_id: int,
    title: str,
    body: str,
    category_id: int | None,
    category_suggested: bool = False,
    latitude: float | None = None,
    longitude: float | None = None,
    location_text: str = "",
    is_anonymous: bool = False,
    is_public: bool = True,
    attachments: Sequence[Attachment] = (),
    idempotency_key: str | None = None,
    ip: str = "",
    settings: Settings,
    storage: Storage,
    images: imaging.ImageWorkers | None = None,
) -> filing.Submitted:
    """File a complaint that arrived by `channel` (one of CHANNELS). Refused(INVALID, field=)
    with the form's message for a field that breaks the form's rules, or naming the file
    that failed its checks. `images`: the web worker's image children (without them images
    are decoded in a thread, as the mail intake does one mail at a time)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    title = _title_of(title, body)
    category, suggested = await _category(category_id, title, body)
    form = {
        "title": title,
        "description": body,
        "category": str(category),
        "location_text": " ".join(location_text.split())[: forms.LOCATION_MAX],
        "latitude": "" if latitude is None else repr(latitude),
        "longitude": "" if longitude is None else repr(longitude),
        "urgency": "normal",
        "anonymous": "1" if is_anonymous else "",
        "private": "" if is_public else "1",
    }
    checked = forms.parse_complaint(form, None)
    if not checked.ok:
        field, message = next(iter(checked.errors.items()))
        raise Refused(message, INVALID, field=field)
    fields = checked.cleaned
    assert fields is not None
    fields.channel = channel
    fields.category_suggested = suggested or category_suggested
    stored = await _stored(attachments, settings, storage, images)
    return await filing.create_complaint(
        reporter_id=reporter_id,
        fields=fields,
        evidence=stored,
        idempotency_key=idempotency_key,
        ip=ip,
        settings=settings,
    )
