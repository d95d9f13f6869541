"""Where evidence files live: a small storage interface, and its filesystem implementation.

Blobs are named by the sha256 of their content (plus a suffix), so the same file stored twice
is one blob, a key can never point at other content, and writing is idempotent. Writes are
atomic (a temporary file renamed into place), so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

SUFFIXES = (".jpg", ".png", ".webp", ".pdf")
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png|webp|pdf)$")


class InvalidKey(ValueError):
    """A key that this storage never gives out (guards against path tricks)."""


class Storage(Protocol):
    """What the complaint code needs from a place that keeps files."""

    def put(self, data: bytes, suffix: str) -> str:
        """Store `data` and return its key (the same key for the same content)."""
        ...

    def read(self, key: str) -> bytes: ...

    def path(self, key: str) -> Path: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        """Keys of blobs last written more than `seconds` ago (for the orphan sweep)."""
        ...


def content_key(data: bytes, suffix: str) -> str:
    if suffix not in SUFFIXES:
        raise InvalidKey(f"unsupported suffix {suffix!r}")
    return hashlib.sha256(data).hexdigest() + suffix


class FileSystemStorage:
    """Blobs under `root/<first two hex digits>/<key>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise InvalidKey(key)
        return self.root / key[:2] / key

    def put(self, data: bytes, suffix: str) -> str:
        key = content_key(data, suffix)
        target = self.path(key)
        if target.exists():
            # Same content already there: refresh its age so the orphan sweep's grace period
            # starts again for this new use.
            os.utime(target)
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
            raise
        return key

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except InvalidKey:
            return False

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            pass

    def keys_older_than(self, seconds: float) -> Iterator[str]:
        if not self.root.is_dir():
            return
        cutoff = time.time() - seconds
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for file in folder.iterdir():
                if KEY_PATTERN.match(file.name) and file.stat().st_mtime <= cutoff:
                    yield file.name
