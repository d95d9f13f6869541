"""Evidence files: what a file really is (by its bytes), cleaning images, checking PDFs,
storing them, and the sweep of stored blobs that no complaint refers to. (Files kept across
a failed form: complaints.kept_files.)"""

from __future__ import annotations

import io
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import ExifTags, Image

from pengaduan import db
from pengaduan.complaints.storage import FileSystemStorage, S3Storage, Storage
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings

FULL_SIZE = 1600
THUMB_SIZE = 320
MAX_PIXELS = 50_000_000  # a 50-megapixel photo is plenty; more is a decompression bomb
# What decoding one image may hold, at most; the pixel limit of each kind follows from it
# (see _decode_cost). The image children (complaints.imaging) are capped a little above it.
DECODE_BUDGET = 256 * 1024 * 1024
# WebP: libwebp's canvases, Pillow's copy of the frame, and the image (15.4 measured).
WEBP_COST = 16.0
TILE_SIDE = 1024  # pixels a side of the tiles an image is converted and shrunk in
# EXIF orientation → the turn that makes the picture upright.
ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
PDF_EOF_WINDOW = 1024
# The orphan sweep waits longer than accepted files survive a failed form
# (kept_files.PENDING_MAX_AGE).
ORPHAN_GRACE = timedelta(days=1)

KINDS = {
    "jpeg": ("image/jpeg", ".jpg"),
    "png": ("image/png", ".png"),
    "webp": ("image/webp", ".webp"),
    "pdf": ("application/pdf", ".pdf"),
}
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"


def refused(message: str) -> Refused:
    """A file that cannot be evidence; the message names the file and says why."""
    return Refused(message, INVALID, field="evidence")


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
    """The evidence storage the settings choose (one object per configuration: an S3
    backend keeps its connections open between requests)."""
    if settings.storage == "s3":
        return _s3_storage(
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_prefix,
        )
    return _filesystem_storage(settings.uploads_dir)


@lru_cache(maxsize=8)
def _filesystem_storage(folder: Path) -> FileSystemStorage:
    return FileSystemStorage(folder)


@lru_cache(maxsize=8)
def _s3_storage(
    bucket: str, endpoint_url: str, region: str, key_id: str, secret: str, prefix: str
) -> S3Storage:
    return S3Storage(
        bucket,
        endpoint_url=endpoint_url,
        region=region,
        access_key_id=key_id,
        secret_access_key=secret,
        prefix=prefix,
    )


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


def megabytes(size: int) -> str:
    """A size in MB as limits are told to people ("10", "0.5")."""
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.1f}"


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _decode_cost(image: Image.Image, kind: str) -> float:
    """Bytes a pixel that decoding this image holds at its peak (measured with Pillow 11-13)."""
    if kind == "webp":
        return WEBP_COST
    if kind == "jpeg":
        if not image.info.get("progressive"):
            return 1.0  # decoded at about the size we keep (draft), a few rows at a time
        # libjpeg keeps every coefficient (2 bytes) of every component until the last scan.
        sampling = [(layer[1], layer[2]) for layer in getattr(image, "layer", [])]
        if not sampling:
            return 8.0
        most = max(h for h, _v in sampling) * max(v for _h, v in sampling)
        return 2.0 * sum(h * v for h, v in sampling) / most
    # PNG: decoded whole (Pillow cannot decode it smaller), up to 4 bytes a pixel.
    return 4.0


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """A WebP's canvas size from its first chunk header, or None. Pillow's WebP reader
    allocates the whole canvas (twice) as it opens the file, before any size can be
    checked, so the check comes first."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30:
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        return width, int.from_bytes(data[28:30], "little") & 0x3FFF
    return None


def _shrunk(image: Image.Image, factor: int) -> Image.Image:
    """RGB or RGBA pixels only, shrunk by a whole factor (box average), built tile by tile
    into a new image so no metadata of any kind comes along (EXIF with GPS, XMP, ICC, text
    chunks, comments).

    Tiles keep memory bounded: besides the decoded image only the (small) result and one
    tile of about a megapixel exist at once, whatever the image's mode or shape. Tile sides
    are multiples of the factor, so each tile's boxes are the whole image's boxes."""
    mode = "RGBA" if _has_alpha(image) else "RGB"
    width, height = image.size
    out = Image.new(mode, (-(-width // factor), -(-height // factor)))
    side = max(factor, TILE_SIDE // factor * factor)
    for top in range(0, height, side):
        for left in range(0, width, side):
            tile = image.crop((left, top, min(left + side, width), min(top + side, height)))
            tile = tile.convert(mode)
            if factor > 1:
                tile = tile.reduce(factor)
            out.paste(tile, (left // factor, top // factor))
    return out


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


def process_image(name: str, data: bytes, kind: str) -> tuple[bytes, bytes]:
    """The image re-encoded from its pixels (upright, no metadata, at most FULL_SIZE px)
    and its thumbnail. CPU- and memory-heavy: the app runs it in an image worker process
    (`complaints.imaging`), never in the web worker itself.

    Memory: JPEGs are decoded at about the size we keep (`draft`); other formats cannot be
    decoded smaller, so the decoded image (at most 4 bytes a pixel) is the one large thing,
    and the pixel limit bounds it."""
    unreadable = refused(_("%(name)s is not a readable image.", name=name))
    too_many = refused(_("%(name)s has too many pixels; send a smaller photo.", name=name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            size = _webp_size(data) if kind == "webp" else None
            if size is not None and size[0] * size[1] > DECODE_BUDGET / WEBP_COST:
                raise too_many
            image = Image.open(io.BytesIO(data))
            if image.format != kind.upper():
                raise unreadable
            width, height = image.size
            if width * height > min(MAX_PIXELS, DECODE_BUDGET / _decode_cost(image, kind)):
                raise too_many
            if kind == "jpeg":
                # Decode a reduced size straight away: fast and light on memory.
                scale = FULL_SIZE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (int(width * scale) + 1, int(height * scale) + 1))
            image.load()
            turn = ORIENTATION.get(image.getexif().get(ExifTags.Base.Orientation, 1))
            clean = _shrunk(image, max(1, max(image.size) // FULL_SIZE))
            image.close()
            del image
            if turn is not None:
                clean = clean.transpose(turn)
    except Refused:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        MemoryError,
        Image.DecompressionBombError,
        Warning,
    ) as exc:
        raise unreadable from exc
    clean.thumbnail((FULL_SIZE, FULL_SIZE), Image.Resampling.LANCZOS)
    full = _encode(clean, kind)
    small = clean.copy()
    small.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return full, _encode(small, kind, thumbnail=True)


def _check_pdf(name: str, data: bytes) -> None:
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-PDF_EOF_WINDOW:]:
        raise refused(_("%(name)s is not a complete PDF document.", name=name))


def check(name: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """The cleaned name and the kind of an uploaded file, from its bytes (never its name or
    the browser's content type); refused when it is empty, too large, of another
    kind, or a PDF that is not complete. Cheap: no image is decoded here."""
    name = clean_name(name)
    if not data:
        raise refused(_("%(name)s is empty.", name=name))
    if len(data) > max_bytes:
        raise refused(
            _(
                "%(name)s is larger than %(max)s MB.",
                name=name,
                max=megabytes(max_bytes),
            )
        )
    kind = detect_kind(data)
    if kind is None:
        raise refused(
            _(
                "%(name)s is not a photo (JPEG, PNG, WebP) or a PDF document, whatever its "
                "name says.",
                name=name,
            )
        )
    if kind == "pdf":
        _check_pdf(name, data)
    return name, kind


def prepare(name: str, data: bytes, max_bytes: int) -> PreparedFile:
    """Check one uploaded file and turn it into what we store, in this process (the app
    goes through `imaging.ImageWorkers.prepare`, which decodes images in a child process).

    Images are re-encoded from their pixels (orientation applied, every kind of metadata
    dropped), scaled to at most 1600 px with a 320 px thumbnail; PDFs are kept as sent.
    """
    name, kind = check(name, data, max_bytes)
    if kind == "pdf":
        return PreparedFile(name, kind, data, None)
    full, thumbnail = process_image(name, data, kind)
    return PreparedFile(name, kind, full, thumbnail)


async def store(storage: Storage, prepared: PreparedFile) -> StoredEvidence:
    """Put a prepared file (and its thumbnail) into storage. The image children hand their
    bytes back to the worker; only the worker writes to storage."""
    mime, suffix = KINDS[prepared.kind]
    key = await storage.put(prepared.data, suffix)
    thumb = (
        await storage.put(prepared.thumbnail, ".jpg") if prepared.thumbnail is not None else None
    )
    return StoredEvidence(
        original_name=prepared.original_name,
        storage_key=key,
        thumbnail_key=thumb,
        mime_type=mime,
        size=len(prepared.data),
        sha256=key.split(".", 1)[0],
    )


# --- the orphan sweep ------------------------------------------------------------------------


async def referenced_keys(keys: list[str]) -> set[str]:
    """Which of `keys` an evidence row refers to (as the file or its thumbnail)."""
    if not keys:
        return set()
    rows = await db.fetch(
        "SELECT storage_key AS k FROM evidence_files WHERE storage_key = ANY($1::text[])"
        " UNION SELECT thumbnail_key FROM evidence_files WHERE thumbnail_key = ANY($1::text[])",
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
    keys = await storage.keys_older_than(older_than.total_seconds())
    removed = 0
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        keep = await referenced_keys(batch)
        for key in batch:
            if key not in keep:
                await storage.delete(key)
                removed += 1
    return removed
