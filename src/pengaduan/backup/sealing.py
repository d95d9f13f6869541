"""The archive's outer layer: a short header, then the content either as it is or sealed
with AES-256-GCM in chunks (the backup key is stretched with HKDF and a per-archive salt).

Each chunk's nonce is the archive's random prefix, the chunk's number and a last-chunk flag,
and the header is authenticated with every chunk: a chunk changed, dropped, repeated or moved,
a truncated archive or a swapped header all fail to open. A check value in the header tells a
wrong key from a damaged archive."""

from __future__ import annotations

import hmac
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"PENGADUAN-BACKUP"
VERSION = 1
PLAIN, SEALED = 0, 1
CHUNK = 1024 * 1024
TAG = 16
_SALT, _PREFIX, _CHECK = 16, 7, 32
_HEADER = struct.Struct(f">{len(MAGIC)}sBB{_SALT}s{_PREFIX}s{_CHECK}s")
HEADER_SIZE = _HEADER.size


class ArchiveError(Exception):
    """The file is not a backup archive, is damaged, or the key does not open it."""


class WrongKey(ArchiveError):
    """The archive was sealed with another backup key."""


def _keys(backup_key: str, salt: bytes) -> tuple[bytes, bytes]:
    """The AES key and the key's check value for this archive."""
    material = HKDF(
        algorithm=hashes.SHA256(), length=64, salt=salt, info=b"pengaduan backup v1"
    ).derive(backup_key.encode("utf-8"))
    return material[:32], material[32:]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


class SealingWriter:
    """A write-only stream: what is written goes to `out` sealed (or plain without a key)."""

    def __init__(self, out: BinaryIO, backup_key: str | None) -> None:
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        salt, prefix = os.urandom(_SALT), os.urandom(_PREFIX)
        if backup_key:
            key, check = _keys(backup_key, salt)
            self._aead: AESGCM | None = AESGCM(key)
        else:
            check, self._aead = bytes(_CHECK), None
        self._header = _HEADER.pack(
            MAGIC, VERSION, SEALED if backup_key else PLAIN, salt, prefix, check
        )
        self._prefix = prefix
        out.write(self._header)

    def write(self, data: bytes) -> int:
        if self._aead is None:
            self._out.write(data)
            return len(data)
        self._buffer += data
        # Strictly more than a chunk stays behind, so close() always has a last chunk to seal.
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, chunk: bytes, last: bool) -> None:
        assert self._aead is not None
        nonce = _nonce(self._prefix, self._counter, last)
        self._out.write(self._aead.encrypt(nonce, chunk, self._header))
        self._counter += 1

    def close(self) -> None:
        if self._aead is not None:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
        self._out.flush()


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts, wanted = [], size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


class OpeningReader:
    """A read-only stream of an archive's content, checked chunk by chunk as it is read."""

    def __init__(self, source: BinaryIO, backup_key: str | None) -> None:
        self._source = source
        header = _read_exactly(source, _HEADER.size)
        if len(header) < _HEADER.size or not header.startswith(MAGIC):
            raise ArchiveError("not a Pengaduan backup archive")
        _, version, mode, salt, prefix, check = _HEADER.unpack(header)
        if version != VERSION or mode not in (PLAIN, SEALED):
            raise ArchiveError(f"an archive of an unknown format (version {version})")
        self.sealed = mode == SEALED
        self._header, self._prefix = header, prefix
        self._aead: AESGCM | None = None
        if self.sealed:
            if not backup_key:
                raise WrongKey("the archive is encrypted and no backup key is set")
            key, expected = _keys(backup_key, salt)
            if not hmac.compare_digest(check, expected):
                raise WrongKey(
                    "the backup key does not open this archive: set PENGADUAN_BACKUP_KEY to "
                    "the key it was made with"
                )
            self._aead = AESGCM(key)
        self._counter = 0
        self._plain = b""
        self._position = 0  # how much of the opened chunk has been read
        self._next = b""
        self._done = False

    def _open_next(self) -> None:
        assert self._aead is not None
        current = self._next or _read_exactly(self._source, CHUNK + TAG)
        self._next = _read_exactly(self._source, CHUNK + TAG)
        last = not self._next
        if len(current) < TAG:
            raise ArchiveError("the archive is truncated or damaged")
        try:
            self._plain = self._aead.decrypt(
                _nonce(self._prefix, self._counter, last), current, self._header
            )
        except InvalidTag as exc:
            raise ArchiveError(
                f"the archive is damaged or truncated (chunk {self._counter} fails its check)"
            ) from exc
        self._position = 0
        self._counter += 1
        self._done = last

    def read(self, size: int = -1) -> bytes:
        if self._aead is None:
            return self._source.read(size)
        parts: list[bytes] = []
        wanted = size if size >= 0 else 1 << 62
        while wanted > 0:
            if self._position >= len(self._plain):
                if self._done:
                    break
                self._open_next()
                continue
            part = self._plain[self._position : self._position + wanted]
            self._position += len(part)
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)
