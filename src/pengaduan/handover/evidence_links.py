"""Signed, time-limited links to evidence for the outside agency a complaint was handed to:
`?instansi=<agency>&sampai=<unix expiry>&tanda=<hmac>` keyed with the app's secret, so only we
make them; the route checks the signature, the time and that the complaint is still that
agency's."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

from pengaduan.settings import Settings

EVIDENCE_LINK_DAYS = 14
EVIDENCE_PATH = "/antarmuka/instansi-luar/v1/bukti"


def _mac(settings: Settings, agency_id: int, file_id: int, until: int) -> str:
    message = f"handover-evidence:{agency_id}:{file_id}:{until}".encode("ascii")
    return hmac.new(settings.secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def link(settings: Settings, agency_id: int, file_id: int, *, now: float | None = None) -> str:
    until = int((now if now is not None else time.time()) + EVIDENCE_LINK_DAYS * 86400)
    query = urlencode(
        {"instansi": agency_id, "sampai": until, "tanda": _mac(settings, agency_id, file_id, until)}
    )
    return f"{settings.base_url.rstrip('/')}{EVIDENCE_PATH}/{file_id}?{query}"


def valid(
    settings: Settings,
    agency: str,
    file_id: int,
    until: str,
    tanda: str,
    *,
    now: float | None = None,
) -> int | None:
    """The agency's id when the link is genuine and not expired; None otherwise."""
    if not (agency.isdigit() and until.isdigit() and len(agency) < 10 and len(until) < 12):
        return None
    agency_id, expiry = int(agency), int(until)
    if expiry < (now if now is not None else time.time()):
        return None
    expected = _mac(settings, agency_id, file_id, expiry)
    if not tanda.isascii() or not hmac.compare_digest(expected, tanda):
        return None
    return agency_id
