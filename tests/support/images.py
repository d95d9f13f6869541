"""Files made for tests (and the upload-memory bench): photos as phones make them, PNGs, PDFs."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image, PngImagePlugin


def black_png(width: int, height: int) -> bytes:
    """A PNG of that many black RGB pixels, written row by row: a few hundred KB for a
    7000×7000 image whose pixels would take 196 MB in Pillow (the decompression-bomb shape
    that evidence must withstand). Nothing its size is ever in this process's memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" * (1 + 3 * width)  # filter byte, then RGB
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg(size: tuple[int, int] = (2000, 1500), *, gps: bool = True, orientation: int = 1) -> bytes:
    """A photo as a phone makes it: EXIF with GPS position, camera and orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KameraHP"
    exif[ExifTags.Base.Orientation] = orientation
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "S"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (6.0, 54.0, 53.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (107.0, 36.0, 35.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Siti Nurhaliza, Jl. Rahasia 7")
    out = io.BytesIO()
    Image.new("RGBA", (400, 300), (0, 120, 0, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def pdf(*, complete: bool = True) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n"
    return body + (b"%%EOF\n" if complete else b"")
