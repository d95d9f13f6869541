"""Files sent with a new complaint, from the website's form or the app alike: how many a
complaint takes, each read no further than the limit, checked and cleaned in an image child
(complaints.imaging), stored; a message for each file refused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pengaduan.complaints import evidence, imaging
from pengaduan.complaints.storage import Storage
from pengaduan.errors import Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings


class Upload(Protocol):
    """A sent file (Litestar's UploadFile is one)."""

    filename: str

    async def read(self, size: int = -1) -> bytes: ...


async def attach(
    uploads: Sequence[Upload],
    *,
    accepted: list[evidence.StoredEvidence],
    workers: imaging.ImageWorkers,
    storage: Storage,
    settings: Settings,
) -> list[str]:
    """Add the uploads that pass to `accepted` (files already accepted, e.g. kept from an
    earlier try of the form), at most the settings' number of files in all; returns a message
    per file refused or left out. Raises OSError when storage fails, ImageWorkersBusy when no
    image slot came free."""
    problems: list[str] = []
    uploads = [u for u in uploads if u.filename]
    room = max(settings.upload_max_files - len(accepted), 0)
    if len(uploads) > room:
        problems.append(
            _(
                "You can attach at most %(max)d files. Not attached: %(names)s.",
                max=settings.upload_max_files,
                names=", ".join(evidence.clean_name(u.filename) for u in uploads[room:]),
            )
        )
        uploads = uploads[:room]
    if not uploads:
        return problems
    # One slot for the whole complaint: its files are decoded one after the other.
    async with workers.slot():
        for upload in uploads:
            # Never read more than the limit (plus one byte, to know it was over).
            data = await upload.read(settings.upload_max_bytes + 1)
            try:
                prepared = await workers.prepare(upload.filename, data, settings.upload_max_bytes)
            except Refused as refused:
                problems.append(refused.message)
                continue
            stored = await evidence.store(storage, prepared)
            if stored not in accepted:
                accepted.append(stored)
    return problems
