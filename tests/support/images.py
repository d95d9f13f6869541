"""Images made for tests (and the upload-memory bench)."""

from __future__ import annotations

import struct
import zlib


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
