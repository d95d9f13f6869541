"""The signature both ways of a hand-over: HMAC-SHA256 with the agency's shared secret over
`timestamp + "." + body` (the timestamp in Unix seconds, the body the exact bytes sent), hex,
as `sha256=<hex>` in SIGNATURE_HEADER; the timestamp in TIMESTAMP_HEADER; a request older or
newer than WINDOW seconds is refused, so a captured one cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Pengaduan-Signature"
TIMESTAMP_HEADER = "X-Pengaduan-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Which agency signs an update (its id, as the admin's page shows it).
AGENCY_HEADER = "X-Pengaduan-Agency"
WINDOW = 300  # seconds either way: clocks drift, replays wait longer


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` for `body` sent at `timestamp` (Unix seconds, as text)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The timestamp and signature headers for sending `body` now."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def fresh(timestamp: str, *, now: float | None = None) -> bool:
    """Whether `timestamp` (Unix seconds) is within WINDOW of now."""
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    return abs(int(timestamp) - (now if now is not None else time.time())) <= WINDOW


def verified(secret: str, timestamp: str, given: str, body: bytes) -> bool:
    """Whether `given` is the signature of `body` at `timestamp` (compared in constant time)."""
    if not timestamp.isascii() or not given.isascii():
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("ascii"))
