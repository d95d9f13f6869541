"""What outside agencies call (JSON, no session, no CSRF: the agency's HMAC signature is the
authentication): POST the updates on complaints handed over to them, GET evidence through a
signed link from the document. Bad or missing credentials answer 401, never more."""

from __future__ import annotations

import json
import logging
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream

from pengaduan import db
from pengaduan.accounts import throttle
from pengaduan.agency.outside import secret_of
from pengaduan.complaints.storage import InvalidKey
from pengaduan.errors import CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Refused
from pengaduan.handover import evidence_links, inbound
from pengaduan.i18n import _
from pengaduan.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BadSignature, verify
from pengaduan.web.kit import SettingsDep, StorageDep, client_ip

log = logging.getLogger(__name__)

# Which agency signs an update (its id, as the admin's page shows it).
AGENCY_HEADER = "X-Pengaduan-Agency"

SIGNED = {"access": "signed", "skip_compression": True}
PREFIX = "/antarmuka/instansi-luar/v1"
BODY_MAX = 64 * 1024
# FORBIDDEN: handed to another agency while this update waited for the complaint's lock.
_STATUS = {NOT_FOUND: 404, FORBIDDEN: 404, CONFLICT: 409, INVALID: 422}


def _answer(status: int, body: dict[str, Any]) -> Response:
    return Response(
        content=body,
        status_code=status,
        media_type=MediaType.JSON,
        headers={"Cache-Control": "no-store"},
    )


def _error(status: int, message: str, **extra: Any) -> Response:
    return _answer(status, {"ok": False, "error": message, **extra})


async def _signed_agency(request: Request, body: bytes) -> dict[str, Any] | None:
    """The agency whose secret signed `body` just now; None for any failure (which one is
    not said: it would help whoever is guessing)."""
    raw_id = request.headers.get(AGENCY_HEADER, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10) or not given:
        return None
    found = await secret_of(int(raw_id), request.app.state.settings)
    if found is None or not found[0]["is_active"]:
        return None
    agency, secret = found
    try:
        verify(secret, timestamp=timestamp, signed=given, body=body)
    except BadSignature:
        return None
    return agency


@post(f"{PREFIX}/pembaruan", name="handover:update", opt=SIGNED, status_code=200)
async def agency_update(request: Request, settings: SettingsDep) -> Response:
    """An agency's status update or public reply (handover.inbound): 200 with the complaint's
    status (a repeat of an update id: the first answer again, `"repeat": true`); 401 when the
    signature, timestamp or agency is wrong; 404 for a complaint not handed to it; 409 for a
    change the lifecycle does not allow now; 422 for a malformed update."""
    body = await request.body()
    if len(body) > BODY_MAX:
        return _error(413, _("The update is too large."))
    agency = await _signed_agency(request, body)
    if agency is None:
        throttled = await throttle.count_request("handover_signature", client_ip(request))
        if throttled is not None:
            seconds = str(throttled.seconds)
            answer = _error(429, _("Too many wrongly signed requests."))
            answer.headers["Retry-After"] = seconds
            return answer
        return _error(401, _("Unknown agency, stale timestamp or wrong signature."))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error(422, _("The update is not JSON."), field="body")
    try:
        update = inbound.read_update(data)
        answer, repeat = await inbound.apply_update(agency, update, settings, ip=client_ip(request))
    except Refused as refusal:
        return _error(_STATUS.get(refusal.reason, 409), refusal.message, field=refusal.field)
    return _answer(200, {**answer, "repeat": repeat})


_EVIDENCE_SQL = """
SELECT e.storage_key, e.mime_type, e.original_name
FROM evidence_files e
JOIN complaints c ON c.id = e.complaint
JOIN outside_agencies a ON a.id = c.handed_to
WHERE e.id = $1 AND c.handed_to = $2 AND a.is_active
"""


@get(f"{PREFIX}/bukti/{{file_id:int}}", name="handover:evidence", opt=SIGNED)
async def agency_evidence(
    request: Request, settings: SettingsDep, storage: StorageDep, file_id: FromPath[int]
) -> Response:
    """An evidence file for the agency a complaint is handed to, by a link from its document
    while it is valid; 404 otherwise (an expired or forged link learns nothing)."""
    query = request.query_params
    agency_id = evidence_links.valid(
        settings,
        query.get("instansi", ""),
        file_id,
        query.get("sampai", ""),
        query.get("tanda", ""),
    )
    row = await db.fetchrow(_EVIDENCE_SQL, file_id, agency_id) if agency_id else None
    if row is None:
        raise NotFoundException()
    try:
        blob = await storage.open(row["storage_key"])
    except (FileNotFoundError, InvalidKey):
        log.error("evidence %s is missing from storage", file_id)
        raise NotFoundException() from None
    return Stream(
        blob.chunks,
        media_type=row["mime_type"],
        headers={
            "Content-Length": str(blob.size),
            "Content-Disposition": "attachment",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


ROUTES = [agency_update, agency_evidence]
