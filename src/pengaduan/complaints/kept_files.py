"""Files kept across a failed form: a file accepted from a form that is shown again (another
field was wrong) stays in storage, and the form carries a signed token naming it, so the
reporter need not choose it again."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from pengaduan.complaints.evidence import StoredEvidence
from pengaduan.complaints.storage import Storage
from pengaduan.settings import Settings

# Accepted files survive a failed form this long (evidence.ORPHAN_GRACE is longer).
PENDING_MAX_AGE = timedelta(hours=6)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="pengaduan.evidence.pending")


def pending_token(settings: Settings, user_id: int, stored: StoredEvidence) -> str:
    """A signed reference to a stored file, valid for its uploader only, for a while."""
    return _serializer(settings).dumps({"u": user_id, **asdict(stored)})


async def from_pending_token(
    settings: Settings, storage: Storage, user_id: int, token: str
) -> StoredEvidence | None:
    """The stored file a token names, if the token is genuine, fresh, theirs, and the blob is
    still there; otherwise None."""
    try:
        data: dict[str, Any] = _serializer(settings).loads(
            token, max_age=int(PENDING_MAX_AGE.total_seconds())
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.pop("u", None) != user_id:
        return None
    try:
        stored = StoredEvidence(**data)
    except TypeError:
        return None
    if not await storage.exists(stored.storage_key):
        return None
    if stored.thumbnail_key and not await storage.exists(stored.thumbnail_key):
        return None
    return stored
