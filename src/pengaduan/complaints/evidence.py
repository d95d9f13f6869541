"""Evidence files: what a file really is (by its bytes), cleaning images, checking PDFs,
storing them, the signed tokens that keep accepted files across a failed form, and the sweep
of stored blobs that no complaint refers to."""

from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from PIL import Image, ImageOps

from pengaduan.complaints.storage import FileSystemStorage, Storage
from pengaduan.settings import Settings
from pengaduan.web.i18n import _

FULL_SIZE = 1600
THUMB_SIZE = 320
MAX_PIXELS = 50_000_000  # a 50-megapixel photo is plenty; more is a decompression bomb
PDF_EOF_WINDOW = 1024
# Accepted files survive a failed form this long; the orphan sweep waits longer than this.
PENDING_MAX_AGE = timedelta(hours=6)
ORPHAN_GRACE = timedelta(days=1)

KINDS = {
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "webp": ("image/webp", ".webp"),
    "pdf": ("application/pdf", ".pdf"),
}
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"


class EvidenceRefused(Exception):
    """A file that cannot be evidence; the message names the file and says why."""


@dataclass(frozen=True)
class StoredEvidence:
    """A processed file in storage, ready to be recorded with a complaint."""

    original_name: str
    storage_key: str
    thumbnail_key: str | None
    mime_type: str
    size: int
    sha256: str

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")


@dataclass(frozen=True)
class PreparedFile:
    original_name: str
    kind: str
    data: bytes
    thumbnail: bytes | None


def storage_for(settings: Settings) -> Storage:
    return FileSystemStorage(settings.uploads_dir)


def detect_kind(data: bytes) -> str | None:
    """jpeg, png, webp or pdf, from the first bytes; None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    return None


def clean_name(name: str) -> str:
    """The file's own name (no folders, no control characters), at most 150 characters."""
    name = PureWindowsPath(PurePosixPath(name or "").name).name
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    name = name.strip().strip(".") or "file"
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else name[:150]
    return name


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.1f}"


def _flatten(image: Image.Image) -> Image.Image:
    """RGB or RGBA pixels only, rebuilt from raw bytes so no metadata of any kind comes along
    (EXIF with GPS, XMP, ICC, text chunks, comments)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, kind: str, *, thumbnail: bool = False) -> bytes:
    out = io.BytesIO()
    if thumbnail or kind == "jpeg":
        if image.mode == "RGBA":
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        quality = 70 if thumbnail else 82
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif kind == "png":
        image.save(out, "PNG", optimize=False, compress_level=7)
    else:
        image.save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


def _process_image(name: str, data: bytes, kind: str) -> tuple[bytes, bytes]:
    refused = EvidenceRefused(_("%(name)s is not a readable image.", name=name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format != kind.upper():
                raise refused
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise EvidenceRefused(
                    _("%(name)s has too many pixels; send a smaller photo.", name=name)
                )
            if kind == "jpeg":
                # Decode a reduced size straight away: fast and light on memory.
                scale = FULL_SIZE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (int(width * scale) + 1, int(height * scale) + 1))
            image.load()
            image = ImageOps.exif_transpose(image) or image
            clean = _flatten(image)
    except EvidenceRefused:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Warning) as exc:
        raise refused from exc
    clean.thumbnail((FULL_SIZE, FULL_SIZE), Image.Resampling.LANCZOS)
    full = _encode(clean, kind)
    small = clean.copy()
    small.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return full, _encode(small, kind, thumbnail=True)


def _check_pdf(name: str, data: bytes) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise EvidenceRefused(_("%(name)s is not a complete PDF document.", name=name))


def prepare(name: str, data: bytes, max_bytes: int) -> PreparedFile:
    """Check one uploaded file and turn it into what we store (CPU-bound: run in a thread).

    The type comes from the bytes, never the name or the browser's content type. Images are
    re-encoded from their pixels (orientation applied, every kind of metadata dropped),
    scaled to at most 1600 px with a 320 px thumbnail; PDFs are checked and kept as sent.
    """
    name = clean_name(name)
    if not data:
        raise EvidenceRefused(_("%(name)s is empty.", name=name))
    if len(data) > max_bytes:
        raise EvidenceRefused(
            _(
                "%(name)s is larger than %(max)s MB.",
                name=name,
                max=_megabytes(max_bytes),
            )
        )
    kind = detect_kind(data)
    if kind is None:
        raise EvidenceRefused(
            _(
                "%(name)s is not a photo (JPEG, PNG, WebP) or a PDF document, whatever its "
                "name says.",
                name=name,
            )
        )
    if kind == "pdf":
        _check_pdf(name, data)
        return PreparedFile(name, kind, data, None)
    full, thumbnail = _process_image(name, data, kind)
    return PreparedFile(name, kind, full, thumbnail)


def store(storage: Storage, prepared: PreparedFile) -> StoredEvidence:
    """Put a prepared file (and its thumbnail) into storage (blocking I/O: run in a thread)."""
    mime, suffix = KINDS[prepared.kind]
    key = storage.put(prepared.data, suffix)
    thumb = storage.put(prepared.thumbnail, ".jpg") if prepared.thumbnail is not None else None
    return StoredEvidence(
        original_name=prepared.original_name,
        storage_key=key,
        thumbnail_key=thumb,
        mime_type=mime,
        size=len(prepared.data),
        sha256=key.split(".", 1)[0],
    )


# --- files kept across a failed form ---------------------------------------------------------


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="pengaduan.evidence.pending")


def pending_token(settings: Settings, user_id: int, stored: StoredEvidence) -> str:
    """A signed reference to a stored file, valid for its uploader only, for a while."""
    return _serializer(settings).dumps({"u": user_id, **asdict(stored)})


def from_pending_token(
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
    if not storage.exists(stored.storage_key):
        return None
    if stored.thumbnail_key and not storage.exists(stored.thumbnail_key):
        return None
    return stored


# --- the orphan sweep ------------------------------------------------------------------------


async def referenced_keys(keys: list[str]) -> set[str]:
    """Which of `keys` an evidence row refers to (as the file or its thumbnail)."""
    from pengaduan.complaints.tables import EvidenceFile

    if not keys:
        return set()
    rows = await EvidenceFile.raw(
        "SELECT storage_key AS k FROM evidence_files WHERE storage_key = ANY({})"
        " UNION SELECT thumbnail_key FROM evidence_files WHERE thumbnail_key = ANY({})",
        keys,
        keys,
    )
    return {row["k"] for row in rows}


async def remove_orphans(storage: Storage, older_than: timedelta = ORPHAN_GRACE) -> int:
    """Delete blobs no evidence row refers to and that were last written before `older_than`.

    Blobs of a request that failed (its transaction rolled back) and files kept for a form
    that was never sent again end up here. The grace period, longer than a pending token
    lives, keeps the sweep from racing a request that is storing the same content right now.
    Returns how many blobs were deleted.
    """
    import asyncio

    keys = await asyncio.to_thread(
        lambda: list(storage.keys_older_than(older_than.total_seconds()))
    )
    removed = 0
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        keep = await referenced_keys(batch)
        for key in batch:
            if key not in keep:
                await asyncio.to_thread(storage.delete, key)
                removed += 1
    return removed
