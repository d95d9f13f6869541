"""What a citizen sends with a complaint, checked without a database: file types by content,
file names, PDFs, image cleaning, coordinates, pending-file tokens, content-addressed storage."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from pengaduan.complaints import evidence, forms, kept_files
from pengaduan.complaints.storage import FileSystemStorage, InvalidKey
from pengaduan.errors import Refused
from pengaduan.settings import Settings


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"%PDF-1.7\n", "pdf"),
        (b"GIF89a", None),
        (b"<html><script>", None),
        (b"Ini catatan", None),
        (b"", None),
    ],
)
def test_the_kind_of_file_is_read_from_its_first_bytes(head: bytes, kind: str | None) -> None:
    assert evidence.detect_kind(head) == kind


def test_file_names_lose_folders_and_control_characters() -> None:
    assert evidence.clean_name("../../etc/passwd") == "passwd"
    assert evidence.clean_name("C:\\Users\\andi\\foto.jpg") == "foto.jpg"
    assert evidence.clean_name("fo\x00to\n.jpg") == "foto.jpg"
    assert evidence.clean_name("") == "file"
    long = evidence.clean_name("a" * 300 + ".jpeg")
    assert len(long) <= 150 and long.endswith(".jpeg")


def test_a_renamed_text_file_and_a_truncated_pdf_are_refused_by_name() -> None:
    with pytest.raises(Refused, match=r"catatan\.jpg"):
        evidence.prepare("catatan.jpg", b"hanya teks", 1000)
    with pytest.raises(Refused, match=r"surat\.pdf"):
        evidence.prepare("surat.pdf", b"%PDF-1.4\n" + b"x" * 5000, 100_000)
    with pytest.raises(Refused, match=r"besar\.pdf"):
        evidence.prepare("besar.pdf", b"%PDF-1.4\n%%EOF", 5)
    with pytest.raises(Refused, match=r"kosong\.jpg"):
        evidence.prepare("kosong.jpg", b"", 5)
    # A JPEG header in front of garbage is no image either.
    with pytest.raises(Refused, match=r"rusak\.jpg"):
        evidence.prepare("rusak.jpg", b"\xff\xd8\xff" + b"\0" * 100, 1000)


def test_images_are_rebuilt_from_pixels_scaled_and_thumbnailed() -> None:
    buffer = io.BytesIO()
    image = Image.new("RGB", (3000, 1000), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    image.save(buffer, "JPEG", exif=exif, comment=b"rumah saya")
    prepared = evidence.prepare("foto.jpg", buffer.getvalue(), 10_000_000)
    full = Image.open(io.BytesIO(prepared.data))
    assert full.size == (1600, 533) and not full.getexif() and "comment" not in full.info
    assert b"KameraHP" not in prepared.data and b"rumah saya" not in prepared.data
    thumb = Image.open(io.BytesIO(prepared.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) == 320


@pytest.mark.parametrize(
    ("mode", "size", "factor"), [("RGB", (2100, 1300), 2), ("P", (1111, 3001), 3)]
)
def test_large_images_are_shrunk_tile_by_tile_exactly_as_whole(
    mode: str, size: tuple[int, int], factor: int
) -> None:
    noise = Image.effect_noise(size, 80).convert(mode)
    expected = noise.convert("RGB").reduce(factor)
    shrunk = evidence._shrunk(noise, factor)
    assert shrunk.size == expected.size and shrunk.tobytes() == expected.tobytes()
    assert not shrunk.info


@pytest.mark.parametrize(
    ("kind", "size"), [("jpeg", (6000, 4000)), ("png", (5000, 3400)), ("webp", (3600, 2400))]
)
def test_large_photos_are_turned_upright_stripped_and_scaled(
    kind: str, size: tuple[int, int]
) -> None:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))  # the top left corner
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    exif[0x0112] = 6  # Orientation: taken holding the phone upright
    buffer = io.BytesIO()
    image.save(buffer, kind.upper(), exif=exif)
    prepared = evidence.prepare(f"foto.{kind}", buffer.getvalue(), 50_000_000)
    assert b"KameraHP" not in prepared.data and b"Exif" not in prepared.data
    full = Image.open(io.BytesIO(prepared.data))
    assert full.size == (round(1600 * size[1] / size[0]), 1600) and not full.getexif()
    # Upright: the blue corner that was top left is now top right.
    assert full.convert("RGB").getpixel((full.width - 5, 5))[2] > 150
    assert full.convert("RGB").getpixel((5, 5))[0] > 150
    assert max(Image.open(io.BytesIO(prepared.thumbnail)).size) == 320


def test_pixel_limits_follow_what_decoding_costs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evidence, "DECODE_BUDGET", 16 * 1024 * 1024)  # small images suffice

    def refused(kind: str, size: tuple[int, int], **options: object) -> bool:
        buffer = io.BytesIO()
        Image.new("RGB", size).save(buffer, kind.upper(), **options)
        try:
            evidence.process_image("x", buffer.getvalue(), kind)
        except Refused as error:
            assert "piksel" in str(error)
            return True
        return False

    # WebP is decoded whole, three times over (16 bytes a pixel: 1 MP here), checked from
    # its header before Pillow allocates anything.
    assert refused("webp", (1100, 1000)) and not refused("webp", (1000, 1000))
    # A progressive JPEG holds every coefficient until its last scan: 6 bytes a pixel in
    # 4:4:4, 3 in 4:2:0; a baseline one is decoded small.
    assert refused("jpeg", (2000, 1500), progressive=True, subsampling=0)
    assert not refused("jpeg", (2000, 1500), progressive=True, subsampling=2)
    assert not refused("jpeg", (2000, 1500), subsampling=0)
    # PNG: 4 bytes a pixel.
    assert refused("png", (2100, 2000)) and not refused("png", (2000, 2000))


@pytest.mark.parametrize(
    ("latitude", "longitude", "error"),
    [
        ("-6.914744", "107.609810", None),
        ("-6,9147", "107,6098", None),
        ("", "", None),
        ("-91", "107", "latitude"),
        ("-6.9", "181", "longitude"),
        ("utara", "107", "latitude"),
        ("-6.9", "", "longitude"),
        ("nan", "107", "latitude"),
    ],
)
def test_coordinates_are_numbers_in_range_and_come_in_pairs(
    latitude: str, longitude: str, error: str | None
) -> None:
    form = {
        "title": "Jalan rusak",
        "description": "Lubang besar di tengah jalan.",
        "category": "3",
        "latitude": latitude,
        "longitude": longitude,
    }
    parsed = forms.parse_complaint(form, {3})
    assert list(parsed.errors) == ([error] if error else [])
    if error is None:
        assert (parsed.cleaned.latitude is None) == (latitude == "")


@pytest.mark.parametrize("category", ["0", "2147483648", "99999999999999999999", "-3", "x"])
def test_a_category_beyond_the_id_range_is_refused_before_any_query(category: str) -> None:
    form = {"title": "Jalan rusak", "description": "Lubang besar di tengah jalan."}
    for known in (None, {3}):  # None: the route's first look, before the categories are read
        parsed = forms.parse_complaint({**form, "category": category}, known)
        assert list(parsed.errors) == ["category"] and parsed.cleaned is None


async def test_a_pending_file_token_is_its_uploaders_only(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path)
    settings = Settings(secret_key="k" * 40)
    stored = await evidence.store(storage, evidence.prepare("a.pdf", b"%PDF-1.4\n%%EOF", 100))
    token = kept_files.pending_token(settings, 7, stored)
    assert await kept_files.from_pending_token(settings, storage, 7, token) == stored
    assert await kept_files.from_pending_token(settings, storage, 8, token) is None
    assert await kept_files.from_pending_token(settings, storage, 7, token[:-2] + "xx") is None
    other = Settings(secret_key="j" * 40)
    assert await kept_files.from_pending_token(other, storage, 7, token) is None
    await storage.delete(stored.storage_key)
    assert await kept_files.from_pending_token(settings, storage, 7, token) is None


async def test_storage_names_blobs_by_content_and_refuses_other_keys(tmp_path: Path) -> None:
    storage = FileSystemStorage(tmp_path)
    key = await storage.put(b"isi", ".pdf")
    assert await storage.put(b"isi", ".pdf") == key and await storage.read(key) == b"isi"
    assert storage.path(key).parent.name == key[:2]
    assert not list(tmp_path.rglob(".tmp-*"))  # noqa: ASYNC240 - written through a temporary file, renamed
    for bad in ("../../secret_key", key.upper(), key[:-4] + ".exe", "x" * 64 + ".jpg"):
        with pytest.raises(InvalidKey):
            await storage.read(bad)
    await storage.delete(key)
    assert not await storage.exists(key)
