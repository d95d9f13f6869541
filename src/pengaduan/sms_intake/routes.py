"""The gateway's inbound webhook: POST /antarmuka/pesan-masuk, signed (`signing`), a JSON
message (`messages`) done by `inbound`. Off (404) while no PENGADUAN_SMS_INBOUND_SECRET is set.

Answers are JSON for the gateway: 200 {"ok": true, "action": ..., "duplicate": ...} when the
message was taken (also a copy, done nothing with), 401 for a missing, wrong or stale
signature, 422 for a body outside the contract, 503 with Retry-After when it could not be
done now (the gateway should send it again). The citizen's answer goes by the outbox."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response, post
from litestar.exceptions import NotFoundException

from pengaduan import signing
from pengaduan.complaints.imaging import ImageWorkersBusy
from pengaduan.errors import UNAVAILABLE, Refused
from pengaduan.sms_intake import inbound, messages
from pengaduan.web.kit import SettingsDep, StorageDep, client_ip

log = logging.getLogger(__name__)

BODY_MAX = 64 * 1024
NO_STORE = {"Cache-Control": "no-store"}
RETRY_AFTER_SECONDS = 30


def _answer(content: dict, status_code: int, **headers: str) -> Response:
    return Response(
        content, status_code=status_code, media_type=MediaType.JSON, headers=NO_STORE | headers
    )


@post(
    "/antarmuka/pesan-masuk",
    name="sms_intake:webhook",
    # Anyone may knock; only the gateway's signature opens (no session, so no CSRF token).
    opt={"access": "signed"},
    request_max_body_size=BODY_MAX,
    status_code=200,
)
async def webhook(request: Request, settings: SettingsDep, storage: StorageDep) -> Response:
    secret = settings.sms_inbound_secret
    if not secret:
        raise NotFoundException()
    raw = await request.body()
    try:
        signing.verify(
            secret,
            timestamp=request.headers.get(signing.TIMESTAMP_HEADER),
            signed=request.headers.get(signing.SIGNATURE_HEADER),
            body=raw,
        )
    except signing.BadSignature as exc:
        log.warning("inbound webhook refused from %s: %s", client_ip(request), exc)
        return _answer({"ok": False, "error": "invalid signature"}, 401)
    try:
        message = messages.read(raw, default_channel=settings.sms_channel)
    except messages.BadPayload as exc:
        return _answer({"ok": False, "error": str(exc)}, 422)
    try:
        outcome = await inbound.handle(
            message,
            settings=settings,
            storage=storage,
            images=request.app.state.get("image_workers"),
            ip=client_ip(request),
        )
    except ImageWorkersBusy:
        return _answer(
            {"ok": False, "error": "busy"}, 503, **{"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    except Refused as exc:
        if exc.reason != UNAVAILABLE:
            raise
        return _answer(
            {"ok": False, "error": "unavailable"},
            503,
            **{"Retry-After": str(exc.retry_after or RETRY_AFTER_SECONDS)},
        )
    return _answer({"ok": True, "action": outcome.action, "duplicate": outcome.duplicate}, 200)


ROUTES = [webhook]
