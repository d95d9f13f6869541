"""An S3-compatible server for tests: moto's, in a thread of the test process (or of a
separate process for the end-to-end tests), on a free loopback port."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.net import free_port

ACCESS_KEY = "pengaduan-test"
SECRET_KEY = "pengaduan-test-secret"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def new_bucket(self) -> str:
        """A fresh, empty bucket (each test its own: no cleaning between tests)."""
        name = f"bukti-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def client(self) -> Any:
        """A boto3 client, for checks from the test's side."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def environment(self, bucket: str, prefix: str = "") -> dict[str, str]:
        """The PENGADUAN_* settings that point the app at this bucket."""
        return {
            "PENGADUAN_STORAGE": "s3",
            "PENGADUAN_S3_ENDPOINT_URL": self.endpoint_url,
            "PENGADUAN_S3_BUCKET": bucket,
            "PENGADUAN_S3_REGION": REGION,
            "PENGADUAN_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "PENGADUAN_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "PENGADUAN_S3_PREFIX": prefix,
        }


@contextmanager
def moto_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
