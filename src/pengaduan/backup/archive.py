"""The archive's entries: a tar stream (written by hand, read by `tarfile`) inside the sealed
layer, each entry hashed (SHA-256) as it passes, so nothing is held in memory whole."""

from __future__ import annotations

import hashlib
import tarfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pengaduan.backup.sealing import OpeningReader, SealingWriter

BLOCK = 512
READ = 1024 * 1024


@dataclass
class Written:
    sha256: str
    size: int


class ArchiveWriter:
    """Writes entries one after the other; `close` ends the tar and the sealed stream."""

    def __init__(self, out: BinaryIO, backup_key: str | None) -> None:
        self._out = SealingWriter(out, backup_key)

    def _header(self, name: str, size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(time.time()), 0o600
        self._out.write(info.tobuf(format=tarfile.PAX_FORMAT))

    def _pad(self, size: int) -> None:
        if size % BLOCK:
            self._out.write(bytes(BLOCK - size % BLOCK))

    def add_bytes(self, name: str, data: bytes) -> Written:
        self._header(name, len(data))
        self._out.write(data)
        self._pad(len(data))
        return Written(hashlib.sha256(data).hexdigest(), len(data))

    def add_file(self, name: str, path: Path) -> Written:
        size = path.stat().st_size
        self._header(name, size)
        digest = hashlib.sha256()
        with path.open("rb") as source:
            while chunk := source.read(READ):
                digest.update(chunk)
                self._out.write(chunk)
        self._pad(size)
        return Written(digest.hexdigest(), size)

    async def add_stream(self, name: str, size: int, chunks: AsyncIterator[bytes]) -> Written:
        self._header(name, size)
        digest, written = hashlib.sha256(), 0
        async for chunk in chunks:
            digest.update(chunk)
            self._out.write(chunk)
            written += len(chunk)
        if written != size:
            raise OSError(f"{name}: {written} bytes read where {size} were announced")
        self._pad(size)
        return Written(digest.hexdigest(), size)

    def close(self) -> None:
        self._out.write(bytes(2 * BLOCK))
        self._out.close()


@dataclass
class Entry:
    """An entry being read: its name and size, and its bytes in chunks (read them once)."""

    name: str
    size: int
    _file: BinaryIO

    def chunks(self) -> Iterator[bytes]:
        while chunk := self._file.read(READ):
            yield chunk


class Counting:
    """Passes reads through, counting the bytes (for the progress bar)."""

    def __init__(self, source: BinaryIO, seen: Callable[[int], None]) -> None:
        self._source, self._seen = source, seen

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._seen(len(data))
        return data


def entries(source: BinaryIO, backup_key: str | None) -> Iterator[Entry]:
    """The archive's entries in order (raising ArchiveError for a damaged archive or a key
    that does not open it, tarfile.TarError for a broken tar inside)."""
    opened = OpeningReader(source, backup_key)
    with tarfile.open(fileobj=opened, mode="r|") as tar:
        for member in tar:
            extracted = tar.extractfile(member)
            if extracted is None:
                raise tarfile.TarError(f"unexpected entry {member.name!r}")
            yield Entry(member.name, member.size, extracted)
