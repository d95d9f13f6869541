"""Where evidence files live: a small async storage interface, with a filesystem backend (the
default: one host) and an S3-compatible one (MinIO, Garage, Ceph RGW, AWS S3: several hosts
serving one agency).

Blobs are named by the sha256 of their content (plus a suffix), so the same file stored twice
is one blob, a key can never point at other content, and writing is idempotent. Writes are
atomic (a temporary file renamed into place; an S3 PUT replaces the object whole), so a reader
never sees half a file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

SUFFIXES = (".jpg", ".png", ".webp", ".pdf")
KEY_PATTERN = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png|webp|pdf)$")
CHUNK = 64 * 1024


class InvalidKey(ValueError):
    """A key that this storage never gives out (guards against path tricks)."""


@dataclass
class Blob:
    """An opened blob: its size, and its bytes in chunks (read them once)."""

    size: int
    chunks: AsyncIterator[bytes]


class Storage(Protocol):
    """What the complaint code needs from a place that keeps files. Missing keys raise
    FileNotFoundError from `read` and `open`; `delete` of a missing key does nothing."""

    async def put(self, data: bytes, suffix: str) -> str:
        """Store `data` and return its key (the same key for the same content)."""
        ...

    async def read(self, key: str) -> bytes: ...

    async def open(self, key: str) -> Blob:
        """The blob to stream to a browser (FileNotFoundError when it is not there)."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def keys_older_than(self, seconds: float) -> list[str]:
        """Keys of blobs last written more than `seconds` ago (for the orphan sweep)."""
        ...

    async def close(self) -> None: ...


def content_key(data: bytes, suffix: str) -> str:
    if suffix not in SUFFIXES:
        raise InvalidKey(f"unsupported suffix {suffix!r}")
    return hashlib.sha256(data).hexdigest() + suffix


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise InvalidKey(key)
    return key


class FileSystemStorage:
    """Blobs under `root/<first two hex digits>/<key>`; the blocking file calls run in threads."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / check_key(key)

    def put_sync(self, data: bytes, suffix: str) -> str:
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

    async def put(self, data: bytes, suffix: str) -> str:
        return await asyncio.to_thread(self.put_sync, data, suffix)

    async def read(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def open(self, key: str) -> Blob:
        file = await asyncio.to_thread(self.path(key).open, "rb")
        size = os.fstat(file.fileno()).st_size

        async def chunks() -> AsyncIterator[bytes]:
            try:
                while chunk := await asyncio.to_thread(file.read, CHUNK):
                    yield chunk
            finally:
                file.close()

        return Blob(size, chunks())

    async def exists(self, key: str) -> bool:
        try:
            return await asyncio.to_thread(self.path(key).is_file)
        except InvalidKey:
            return False

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(key).unlink)

    def _keys_older_than(self, seconds: float) -> list[str]:
        if not self.root.is_dir():
            return []
        cutoff = time.time() - seconds
        keys = []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for file in folder.iterdir():
                if KEY_PATTERN.match(file.name) and file.stat().st_mtime <= cutoff:
                    keys.append(file.name)
        return keys

    async def keys_older_than(self, seconds: float) -> list[str]:
        return await asyncio.to_thread(self._keys_older_than, seconds)

    async def close(self) -> None:
        pass


class S3Storage:
    """Blobs as objects `<prefix><first two hex digits>/<key>` in one bucket of an
    S3-compatible store, through aiobotocore. Objects stay private: the app streams them to
    the people its access checks let through.

    An aiobotocore client belongs to the event loop that made it, so there is one client per
    loop (a web worker has one loop; tests may run several), made on first use."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.access_key_id = access_key_id or None
        self.secret_access_key = secret_access_key or None
        prefix = prefix.strip("/")
        self.prefix = prefix + "/" if prefix else ""
        self._clients: dict[asyncio.AbstractEventLoop, tuple[Any, contextlib.AsyncExitStack]] = {}
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def object_name(self, key: str) -> str:
        return f"{self.prefix}{key[:2]}/{check_key(key)}"

    async def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        entry = self._clients.get(loop)
        if entry is not None:
            return entry[0]
        lock = self._locks.setdefault(loop, asyncio.Lock())
        async with lock:
            entry = self._clients.get(loop)
            if entry is None:
                from aiobotocore.config import AioConfig
                from aiobotocore.session import get_session

                config = AioConfig(
                    signature_version="s3v4",
                    # Self-hosted stores (MinIO, Garage, Ceph RGW) are reached by path
                    # (http://host/bucket/key); AWS itself by virtual host.
                    s3={"addressing_style": "path" if self.endpoint_url else "virtual"},
                    retries={"max_attempts": 3, "mode": "standard"},
                    # Checksums only where the API requires them: not every S3-compatible
                    # store accepts the CRC headers newer botocore adds by default.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                )
                stack = contextlib.AsyncExitStack()
                client = await stack.enter_async_context(
                    get_session().create_client(
                        "s3",
                        endpoint_url=self.endpoint_url,
                        region_name=self.region or "us-east-1",
                        aws_access_key_id=self.access_key_id,
                        aws_secret_access_key=self.secret_access_key,
                        config=config,
                    )
                )
                entry = self._clients[loop] = (client, stack)
        return entry[0]

    @staticmethod
    def _missing(error: Exception) -> bool:
        response = getattr(error, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in ("NoSuchKey", "404", "NotFound") or status == 404

    async def _call(self, action: Callable[[Any], Any], key: str) -> Any:
        """One client call; a missing object becomes FileNotFoundError, any other failure of
        the store an OSError (what callers already handle for a failing disk)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = await self._client()
        try:
            return await action(client)
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(key) from None
            raise OSError(f"object store: {error}") from error
        except BotoCoreError as error:
            raise OSError(f"object store: {error}") from error

    async def put(self, data: bytes, suffix: str) -> str:
        key = content_key(data, suffix)
        name = self.object_name(key)
        content_type = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}.get(
            suffix, "application/pdf"
        )
        # Always written, even when present: the same bytes under the same name, and the new
        # LastModified restarts the orphan sweep's grace period for this new use.
        await self._call(
            lambda c: c.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=content_type,
            ),
            key,
        )
        return key

    async def _get(self, key: str) -> Any:
        name = self.object_name(key)
        return await self._call(lambda c: c.get_object(Bucket=self.bucket, Key=name), key)

    async def read(self, key: str) -> bytes:
        response = await self._get(key)
        async with response["Body"] as body:
            return await body.read()

    async def open(self, key: str) -> Blob:
        response = await self._get(key)
        body = response["Body"]

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in body.iter_chunks(CHUNK):
                    yield chunk
            finally:
                body.close()

        return Blob(int(response["ContentLength"]), chunks())

    async def exists(self, key: str) -> bool:
        try:
            name = self.object_name(key)
        except InvalidKey:
            return False
        try:
            await self._call(lambda c: c.head_object(Bucket=self.bucket, Key=name), key)
        except FileNotFoundError:
            return False
        return True

    async def delete(self, key: str) -> None:
        name = self.object_name(key)
        # S3 answers a delete of a missing object with success too.
        await self._call(lambda c: c.delete_object(Bucket=self.bucket, Key=name), key)

    async def keys_older_than(self, seconds: float) -> list[str]:
        cutoff = datetime.now(UTC) - timedelta(seconds=seconds)
        client = await self._client()
        keys = []
        paginator = client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                folder, _, key = name.partition("/")
                if KEY_PATTERN.match(key) and folder == key[:2] and item["LastModified"] <= cutoff:
                    keys.append(key)
        return keys

    async def close(self) -> None:
        """Close this loop's client (the app calls it on shutdown)."""
        entry = self._clients.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[1].aclose()
