"""Evidence storage: the same contract for the filesystem and the S3-compatible backend (moto's
server stands in for MinIO, Garage, Ceph RGW or AWS S3), and a complaint filed with a photo
whose file and thumbnail the app serves from the bucket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from pengaduan.complaints import evidence
from pengaduan.complaints.storage import (
    FileSystemStorage,
    InvalidKey,
    S3Storage,
    Storage,
    content_key,
)
from pengaduan.settings import load_settings
from tests.integration import test_complaints_citizen as filing
from tests.integration.test_complaints_citizen import complaint_id_of, submit
from tests.support.databases import fetch_rows
from tests.support.images import jpeg, pdf
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server, moto_server

citizen, world, storage = filing.citizen, filing.world, filing.storage


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    with moto_server() as server:
        yield server


def s3_storage(server: S3Server, bucket: str, prefix: str = "") -> S3Storage:
    return S3Storage(
        bucket,
        endpoint_url=server.endpoint_url,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        prefix=prefix,
    )


@pytest.fixture(params=["filesystem", "s3"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path, s3_server: S3Server
) -> AsyncIterator[Storage]:
    if request.param == "filesystem":
        store: Storage = FileSystemStorage(tmp_path / "uploads")
    else:
        store = s3_storage(s3_server, s3_server.new_bucket(), prefix="agency/bukti")
    yield store
    await store.close()


# --- the contract, for both backends -----------------------------------------------------------


async def test_put_names_by_content_and_is_idempotent(backend: Storage) -> None:
    key = await backend.put(b"%PDF-1.4 isi", ".pdf")
    assert key == content_key(b"%PDF-1.4 isi", ".pdf")
    assert await backend.put(b"%PDF-1.4 isi", ".pdf") == key  # the same content: the same blob
    assert await backend.read(key) == b"%PDF-1.4 isi"
    assert await backend.exists(key)
    other = await backend.put(b"lain", ".jpg")
    assert other != key and await backend.read(other) == b"lain"


async def test_open_streams_the_whole_blob_with_its_size(backend: Storage) -> None:
    data = bytes(range(256)) * 1000  # more than one chunk
    key = await backend.put(data, ".png")
    blob = await backend.open(key)
    assert blob.size == len(data)
    assert b"".join([chunk async for chunk in blob.chunks]) == data


async def test_missing_and_invalid_keys(backend: Storage) -> None:
    missing = "a" * 64 + ".jpg"
    assert not await backend.exists(missing)
    with pytest.raises(FileNotFoundError):
        await backend.read(missing)
    with pytest.raises(FileNotFoundError):
        await backend.open(missing)
    await backend.delete(missing)  # nothing there: nothing to do
    for bad in ("../../secret_key", "A" * 64 + ".jpg", "a" * 64 + ".exe"):
        assert not await backend.exists(bad)
        with pytest.raises(InvalidKey):
            await backend.read(bad)


async def test_delete_and_the_list_for_the_orphan_sweep(backend: Storage, app: Litestar) -> None:
    first = await backend.put(b"satu", ".jpg")
    second = await backend.put(b"dua", ".pdf")
    assert await backend.keys_older_than(3600) == []  # both just written: in their grace
    assert sorted(await backend.keys_older_than(0)) == sorted([first, second])
    await backend.delete(first)
    assert not await backend.exists(first)
    assert await backend.keys_older_than(0) == [second]
    assert await evidence.remove_orphans(backend, older_than=timedelta(0)) == 1
    assert await backend.keys_older_than(0) == []


# --- S3 specifics ------------------------------------------------------------------------------


async def test_s3_objects_sit_under_the_prefix_and_other_objects_are_ignored(
    s3_server: S3Server,
) -> None:
    bucket = s3_server.new_bucket()
    ours, theirs = s3_storage(s3_server, bucket, "pengaduan"), s3_storage(s3_server, bucket)
    try:
        key = await ours.put(b"isi", ".pdf")
        client = s3_server.client()
        names = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
        assert names == [f"pengaduan/{key[:2]}/{key}"]
        client.put_object(Bucket=bucket, Key="pengaduan/catatan.txt", Body=b"x")
        client.put_object(Bucket=bucket, Key=f"lain/{key[:2]}/{key}", Body=b"x")
        assert await ours.keys_older_than(0) == [key]
        assert await theirs.keys_older_than(0) == []  # nothing at the bucket's top level
        assert not await theirs.exists(key)
    finally:
        await ours.close()
        await theirs.close()


async def test_s3_failures_are_os_errors(s3_server: S3Server) -> None:
    store = s3_storage(s3_server, "no-such-bucket")
    try:
        with pytest.raises(OSError):
            await store.put(b"isi", ".pdf")
    finally:
        await store.close()


def test_the_settings_choose_the_backend(tmp_path: Path) -> None:
    plain = load_settings({"PENGADUAN_DATA_DIR": str(tmp_path)})
    assert isinstance(evidence.storage_for(plain), FileSystemStorage)
    settings = load_settings(
        {
            "PENGADUAN_DATA_DIR": str(tmp_path),
            "PENGADUAN_STORAGE": "s3",
            "PENGADUAN_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
            "PENGADUAN_S3_BUCKET": "bukti",
            "PENGADUAN_S3_PREFIX": "/kota/",
        }
    )
    store = evidence.storage_for(settings)
    assert isinstance(store, S3Storage) and store is evidence.storage_for(settings)
    assert store.bucket == "bukti" and store.prefix == "kota/"


# --- through the app ---------------------------------------------------------------------------


@pytest.fixture
async def bucket_storage(
    app: Litestar, storage: Storage, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[S3Storage]:
    """The app stores evidence in a fresh bucket (instead of the filing tests' folder)."""
    store = s3_storage(s3_server, s3_server.new_bucket())
    monkeypatch.setattr(app.state, "storage", store, raising=False)
    yield store
    await store.close()


async def test_a_photo_filed_with_the_s3_backend_is_served_from_the_bucket(
    citizen: httpx.AsyncClient,
    world: dict[str, int],
    db_dsn: str,
    bucket_storage: S3Storage,
    data_dir: Path,
) -> None:
    response = await submit(citizen, world, ("lubang.jpg", jpeg()), ("surat.pdf", pdf()))
    complaint_id = complaint_id_of(response)
    photo, letter = await fetch_rows(
        db_dsn, "SELECT * FROM evidence_files WHERE complaint = $1 ORDER BY id", complaint_id
    )
    keys = {photo["storage_key"], photo["thumbnail_key"], letter["storage_key"]}
    assert sorted(await bucket_storage.keys_older_than(0)) == sorted(keys)
    assert not (data_dir / "uploads").exists() or not any((data_dir / "uploads").rglob("*.jpg"))

    url = f"/pengaduan/{complaint_id}/bukti/{photo['id']}"
    full = await citizen.get(url)
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.content == await bucket_storage.read(photo["storage_key"])
    assert full.headers["content-length"] == str(len(full.content))
    assert full.headers["cache-control"] == "private, max-age=3600"
    assert full.headers["x-content-type-options"] == "nosniff"
    thumb = await citizen.get(url + "?ukuran=kecil")
    assert thumb.status_code == 200
    assert thumb.content == await bucket_storage.read(photo["thumbnail_key"])
    document = await citizen.get(f"/pengaduan/{complaint_id}/bukti/{letter['id']}")
    assert document.content == pdf()

    # A blob gone from the bucket is a 404 (and a log line), not a 500.
    await bucket_storage.delete(photo["thumbnail_key"])
    assert (await citizen.get(url + "?ukuran=kecil")).status_code == 404


async def test_a_file_kept_across_a_failed_form_is_checked_in_the_bucket(
    citizen: httpx.AsyncClient, world: dict[str, int], db_dsn: str, bucket_storage: S3Storage
) -> None:
    import re

    response = await submit(citizen, world, ("lubang.jpg", jpeg()), title="")
    assert response.status_code == 422
    (kept,) = re.findall(r'name="kept" value="([^"]+)"', response.text)
    assert len(await bucket_storage.keys_older_than(0)) == 2  # the photo and its thumbnail
    key = await filing.form_key(citizen)
    response = await citizen.post(
        "/pengaduan/baru", data={**filing.good_form(world, key), "kept": [kept]}
    )
    complaint_id = complaint_id_of(response)
    (row,) = await fetch_rows(
        db_dsn, "SELECT * FROM evidence_files WHERE complaint = $1", complaint_id
    )
    assert await bucket_storage.exists(row["storage_key"])
    assert await evidence.remove_orphans(bucket_storage, older_than=timedelta(0)) == 0
