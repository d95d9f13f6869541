"""Every error on an Open311 route as the specification's error list, in the format the
address asked for (XML unless it ends in .json): 400 for what was sent wrong, 403 for the
api_key, 404 for what does not exist, 429 with Retry-After past a key's limit."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from pengaduan import errors, outages
from pengaduan.i18n import _
from pengaduan.open311.documents import errors as error_list

log = logging.getLogger(__name__)

# Domain refusals as Open311 statuses: what the specification calls a bad request is 400
# (the HTML side answers 422 for a form shown again, which Open311 does not have).
STATUS = {
    errors.NOT_FOUND: 404,
    errors.FORBIDDEN: 403,
    errors.INVALID: 400,
    errors.CONFLICT: 400,
    errors.TOO_MANY: 429,
    errors.UNAVAILABLE: 503,
}


def format_of_request(request: Request) -> str:
    return "json" if request.url.path.endswith(".json") else "xml"


def refused(request: Request, exc: errors.Refused) -> Response:
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    status = STATUS.get(exc.reason, 400)
    return error_list(format_of_request(request), status, [exc.message], **headers)


def http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    descriptions = {
        400: _("The request could not be understood."),
        403: _("Access denied."),
        404: _("Not found."),
        405: _("This address does not accept that method."),
        413: _("What was sent is larger than allowed."),
    }
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() in ("allow",)}
    description = descriptions.get(status, _("The request could not be handled."))
    return error_list(format_of_request(request), status, [description], **headers)


def internal_error(request: Request, exc: Exception) -> Response:
    fmt = format_of_request(request)
    if outages.is_outage(exc):
        outages.note_outage(exc, f"{request.method} {request.url.path}")
        text = _("The service is temporarily unavailable; nothing was saved. Try again soon.")
        return error_list(fmt, 503, [text], **{"Retry-After": str(outages.RETRY_AFTER_SECONDS)})
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_list(fmt, 500, [_("An error occurred on our side. Please try again.")])


# Every class the app's own table names (web.errors) is named here too: Litestar picks the
# most specific class first, whichever layer declares it.
HANDLERS = {
    errors.Refused: refused,
    NotFoundException: http_error,
    ValidationException: http_error,
    HTTPException: http_error,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error,
    Exception: internal_error,
}
