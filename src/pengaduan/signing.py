"""The one signature of the machine interfaces that call us or that we call (the SMS/WhatsApp
gateway's webhook, outside agencies both ways): HMAC-SHA256 under a shared secret over
`timestamp + "." + body` (the timestamp in Unix seconds, the body the exact bytes sent), as
`sha256=<hex>` in SIGNATURE_HEADER with the timestamp in TIMESTAMP_HEADER. A timestamp more
than WINDOW seconds from ours is refused, so a captured request cannot be replayed later;
within the window each interface's own id (message id, update id) stops a copy."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Pengaduan-Signature"
TIMESTAMP_HEADER = "X-Pengaduan-Timestamp"
# The same key on every retry of one document, so the receiver can drop copies.
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256="
# How far the sender's clock and ours may be apart, both ways (and how old a request may be).
WINDOW = 300


class BadSignature(Exception):
    """The request is not provably from the holder of the secret (or is too old); the
    reason is for the log."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` for `body` sent at `timestamp` (Unix seconds, as text)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The timestamp and signature headers for sending `body` now."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signed: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise BadSignature unless `signed` is the signature of `body` at `timestamp` and the
    timestamp is within WINDOW of `now` (compared in constant time)."""
    if not timestamp or not signed:
        raise BadSignature("no signature or no timestamp")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise BadSignature("the timestamp is not Unix seconds")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > WINDOW:
        raise BadSignature("the timestamp is outside the window")
    expected = signature(secret, timestamp, body)
    # Headers are latin-1 text: anything else in them is simply wrong.
    if not hmac.compare_digest(expected.encode(), signed.strip().encode("latin-1", "replace")):
        raise BadSignature("the signature does not match")
