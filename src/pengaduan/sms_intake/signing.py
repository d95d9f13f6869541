"""The inbound webhook's signature: an HMAC-SHA256 under the gateway secret over
"<timestamp>.<raw body>", sent as `X-Pengaduan-Signature: sha256=<hex>` with the timestamp
(Unix seconds) in `X-Pengaduan-Timestamp`. A timestamp outside the window is refused, so a
captured request cannot be played again later; within the window the provider's message id
stops a copy (`inbound`)."""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "x-pengaduan-timestamp"
SIGNATURE_HEADER = "x-pengaduan-signature"
SCHEME = "sha256="
# How far the sender's clock and ours may be apart, both ways (and how old a request may be).
WINDOW_SECONDS = 300


class BadSignature(Exception):
    """The request is not provably from the gateway (or is too old); the reason is for the log."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value for `body` sent at `timestamp` (what the gateway computes)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signed: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise BadSignature unless `signed` is the signature of `body` at `timestamp` and the
    timestamp is within WINDOW_SECONDS of `now`."""
    if not timestamp or not signed:
        raise BadSignature("no signature or no timestamp")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature("the timestamp is not Unix seconds")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        raise BadSignature("the timestamp is outside the window")
    expected = signature(secret, timestamp, body)
    # Compared in constant time; the header is latin-1 text, anything else is simply wrong.
    if not hmac.compare_digest(expected.encode(), signed.strip().encode("latin-1", "replace")):
        raise BadSignature("the signature does not match")
