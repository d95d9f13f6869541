"""Delivering hand-over documents (handover.document) from the outbox to outside agencies: one
signed JSON POST per row, with the row's idempotency key on every attempt, so an agency that
got a document whose answer we never saw can drop the copy."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import asyncpg
import httpx

from pengaduan.agency.outside import secret_of
from pengaduan.handover import document
from pengaduan.notifications.outbox.attempts import fail, mark_sent, payload_of
from pengaduan.settings import Settings
from pengaduan.signing import IDEMPOTENCY_HEADER, signed_headers

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class _NotToBeSent(Exception):
    """The document can no longer go: the agency is gone or inactive, or the complaint was
    handed to another one since."""


class AgencyRefused(Exception):
    """The agency answered, but not with 2xx."""


def body_of(doc: dict) -> bytes:
    """The exact bytes sent and signed (UTF-8 JSON, keys sorted)."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


async def _prepared(settings: Settings, row: asyncpg.Record) -> tuple[str, bytes, dict[str, str]]:
    payload = payload_of(row)
    agency_id, complaint_id = int(payload["agency"]), int(payload["complaint"])
    found = await secret_of(agency_id, settings)
    if found is None or not found[0]["is_active"]:
        raise _NotToBeSent(f"outside agency {agency_id} is missing or inactive")
    agency, secret = found
    complaint = await document.complaint_row(complaint_id)
    if complaint is None or complaint["handed_to"] != agency_id:
        raise _NotToBeSent(f"complaint {complaint_id} is no longer handed to agency {agency_id}")
    body = body_of(await document.build(complaint, agency_id, payload.get("note", ""), settings))
    headers = {
        "Content-Type": "application/json",
        IDEMPOTENCY_HEADER: payload["idempotency_key"],
        **signed_headers(secret, body),
    }
    return agency["endpoint_url"], body, headers


async def deliver_handovers(settings: Settings, rows: Sequence[asyncpg.Record]) -> int:
    """Send `rows` (locked by the caller's transaction); how many were delivered."""
    delivered = 0
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        for row in rows:
            try:
                url, body, headers = await _prepared(settings, row)
            except (_NotToBeSent, KeyError, TypeError, ValueError) as exc:
                # Will not get better by waiting (an admin may retry it from the dead list).
                await fail(settings, row, exc, permanent=True)
                continue
            try:
                answer = await client.post(url, content=body, headers=headers)
                if not answer.is_success:
                    raise AgencyRefused(f"the agency answered {answer.status_code}")
            except (httpx.HTTPError, AgencyRefused) as exc:
                # Down, slow or refusing: retried with backoff, then dead (outbox.attempts).
                await fail(settings, row, exc)
            else:
                await mark_sent(row)
                delivered += 1
    return delivered
