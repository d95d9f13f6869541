"""The archive's sealed layer on its own: round trips at chunk boundaries, and every kind of
tampering (a flipped bit, chunks reordered, dropped or repeated, the end cut off, the header
swapped) refused; a wrong key told apart from damage."""

from __future__ import annotations

import io
import os

import pytest

from pengaduan.backup import sealing
from pengaduan.backup.sealing import ArchiveError, OpeningReader, SealingWriter, WrongKey

KEY = "a backup key for the unit test"
CHUNK = 64


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sealing, "CHUNK", CHUNK)


def seal(data: bytes, key: str | None = KEY, pieces: int = 7) -> bytes:
    out = io.BytesIO()
    writer = SealingWriter(out, key)
    for start in range(0, len(data), pieces):
        writer.write(data[start : start + pieces])
    writer.close()
    return out.getvalue()


def opened(archive: bytes, key: str | None = KEY, size: int = 5) -> bytes:
    reader = OpeningReader(io.BytesIO(archive), key)
    parts = []
    while part := reader.read(size):
        parts.append(part)
    return b"".join(parts)


HEADER = sealing.HEADER_SIZE
SEALED = CHUNK + sealing.TAG


@pytest.mark.parametrize("length", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5])
def test_round_trip_at_chunk_boundaries(length: int) -> None:
    data = os.urandom(length)
    assert opened(seal(data)) == data
    assert opened(seal(data, key=None), key=None) == data


def test_the_content_is_not_readable_in_the_archive() -> None:
    data = b"NIK 3201010101900001 " * 20
    assert b"3201010101900001" not in seal(data)
    assert b"3201010101900001" in seal(data, key=None)


def chunks(archive: bytes) -> tuple[bytes, list[bytes]]:
    body = archive[HEADER:]
    return archive[:HEADER], [body[i : i + SEALED] for i in range(0, len(body), SEALED)]


def test_tampering_is_refused() -> None:
    archive = seal(os.urandom(4 * CHUNK + 10))
    header, parts = chunks(archive)
    assert len(parts) == 5
    flipped = bytearray(archive)
    flipped[HEADER + SEALED + 3] ^= 1
    tampered = [
        bytes(flipped),
        header + parts[1] + parts[0] + b"".join(parts[2:]),  # reordered
        header + b"".join(parts[:2] + parts[3:]),  # a chunk dropped
        header + b"".join(parts[:2] + parts[1:]),  # a chunk repeated
        header + b"".join(parts[:-1]),  # the last chunk cut off: the one before is not last
        archive[:-3],  # truncated inside the last chunk
    ]
    for bad in tampered:
        with pytest.raises(ArchiveError, match="damaged"):
            opened(bad)
    other_header, _ = chunks(seal(b"x"))
    with pytest.raises(ArchiveError):
        opened(other_header + b"".join(parts))


def test_wrong_or_missing_key_and_foreign_files_are_told_apart() -> None:
    archive = seal(b"personal data")
    with pytest.raises(WrongKey, match="does not open"):
        opened(archive, key="another key")
    with pytest.raises(WrongKey, match="no backup key"):
        opened(archive, key=None)
    with pytest.raises(ArchiveError, match="not a Pengaduan backup"):
        opened(b"PK\x03\x04 a zip file, say" + bytes(100))
