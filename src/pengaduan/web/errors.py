"""Errors, rendered once: an error page in the user's language, for htmx a toast and no swap, on
the JSON API (web.paths) `{"error": {"code", "message", "fields"}}` in the client's language."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from pengaduan import errors, i18n, outages
from pengaduan.accounts.guards import AlreadyLoggedIn, LoginRequired
from pengaduan.i18n import _
from pengaduan.web import resend
from pengaduan.web.kit import toast
from pengaduan.web.paths import is_api, page_address
from pengaduan.web.security import security_headers
from pengaduan.web.templating import HX_VARY, is_htmx

log = logging.getLogger(__name__)


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please try again.")),
        401: (_("Not logged in"), _("Log in first, then send the token with every request.")),
        403: (_("Access denied"), _("You are not allowed to open this page.")),
        404: (_("Page not found"), _("The page you are looking for does not exist or has moved.")),
        405: (_("Method not allowed"), _("This address does not accept that kind of request.")),
        409: (_("Conflict"), _("This action no longer fits the current state. Reload the page.")),
        413: (_("Too large"), _("What you sent is larger than allowed.")),
        415: (_("Unsupported format"), _("What you sent is not in a format this address reads.")),
        422: (_("Invalid input"), _("Some of what you entered is not valid. Please check it.")),
        429: (_("Too many requests"), _("Please wait a moment before trying again.")),
        500: (_("Something went wrong"), _("An error occurred on our side. Please try again.")),
        503: (_("Temporarily unavailable"), _("The service is busy or under maintenance.")),
    }


# The one place a domain refusal becomes an HTTP status.
HTTP_STATUS = {
    errors.NOT_FOUND: 404,
    errors.FORBIDDEN: 403,
    errors.CONFLICT: 409,
    errors.INVALID: 422,
    errors.TOO_MANY: 429,
    errors.UNAVAILABLE: 503,
}


def status_of(refused: errors.Refused) -> int:
    """The HTTP status for a refusal (409 for a reason not in the table)."""
    return HTTP_STATUS.get(refused.reason, 409)


# The JSON API's machine-readable error codes: a refusal's own reason, else by the status.
API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    405: "method_not_allowed",
    409: errors.CONFLICT,
    413: "too_large",
    415: "unsupported_media_type",
    422: errors.INVALID,
    429: errors.TOO_MANY,
    500: "server_error",
    503: errors.UNAVAILABLE,
}


def api_error(
    status_code: int,
    message: str,
    *,
    code: str | None = None,
    fields: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The JSON API's error answer (its schema: api.schemas.ErrorBody)."""
    code = code or API_CODES.get(status_code, "server_error" if status_code >= 500 else "error")
    return Response(
        content={"error": {"code": code, "message": message, "fields": fields or {}}},
        status_code=status_code,
        media_type=MediaType.JSON,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def handle_refused(request: Request, exc: errors.Refused) -> Response:
    """A refusal no route caught: the error page (or toast) with its message."""
    if is_api(request.url.path):
        return api_error(
            status_of(exc),
            exc.message,
            code=exc.reason,
            fields={exc.field: exc.message} if exc.field else None,
            headers={"Retry-After": str(exc.retry_after)} if exc.retry_after else None,
        )
    response = error_response(request, status_of(exc), exc.message)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _use_request_locale(request: Request) -> None:
    i18n.set_locale(
        getattr(request.state, "locale", None)
        or i18n.locale_for(
            request.cookies,
            request.headers.get("accept-language"),
            request.app.state.settings.default_language,
        )
    )


def error_response(request: Request, status_code: int, detail: str | None = None) -> Response:
    """The one place an error becomes a response."""
    _use_request_locale(request)
    titles = _titles()
    title, message = titles.get(status_code, titles[500 if status_code >= 500 else 400])
    if detail:
        message = detail
    if is_api(request.url.path):
        return api_error(status_code, message)
    headers: dict[str, str] = {
        "Vary": HX_VARY,
        "Cache-Control": "no-store",
        # Errors raised before routing never pass the route middleware.
        **security_headers(request.app.state.settings.is_production),
    }
    if is_htmx(request):
        # htmx: nothing is swapped; the page shows a toast with the message.
        headers.update(toast(message, "error", title=title))
        headers["HX-Reswap"] = "none"
        return Response(content="", status_code=status_code, headers=headers)
    if wants_json(request):
        return Response(
            content={"status_code": status_code, "title": title, "detail": message},
            status_code=status_code,
            media_type=MediaType.JSON,
            headers=headers,
        )
    return Template(
        template_name="errors/error.html",
        context={"status_code": status_code, "title": title, "message": message},
        status_code=status_code,
        headers=headers,
        media_type=MediaType.HTML,
    )


def handle_login_required(request: Request, exc: HTTPException) -> Response:
    """Not logged in: to the login page, and back here afterwards (on the JSON API: 401)."""
    if is_api(request.url.path):
        response = error_response(request, 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="pengaduan"'
        return response
    target = page_address(request.scope)
    if request.method != "GET":
        # A form sent after the session ended: its data cannot be replayed after login.
        target = "/"
    location = "/masuk?" + urlencode({"next": target})
    headers = {"Vary": HX_VARY, "Cache-Control": "no-store"}
    if is_htmx(request):
        headers["HX-Redirect"] = location
        return Response(content="", status_code=401, headers=headers)
    headers["Location"] = location
    return Response(content="", status_code=303, headers=headers)


def handle_already_logged_in(request: Request, exc: AlreadyLoggedIn) -> Response:
    headers = {"Vary": HX_VARY, "Location": exc.landing}
    if is_htmx(request):
        headers["HX-Redirect"] = exc.landing
    return Response(content="", status_code=303, headers=headers)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    detail = None
    # Our own code raises with a message meant for people; framework messages are not.
    if getattr(exc, "extra", None) == {"user_message": True}:
        detail = exc.detail
    response = error_response(request, exc.status_code, detail)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


def handle_validation_exception(request: Request, exc: ValidationException) -> Response:
    if is_api(request.url.path):
        _use_request_locale(request)
        # What the framework found wrong, per field (its own words are not for people).
        wrong = _("This value is missing or not of the right type.")
        fields = {
            str(item.get("key") or "body"): wrong
            for item in (exc.extra if isinstance(exc.extra, list) else [])
            if isinstance(item, dict)
        }
        return api_error(400, _("Some of what you sent is not valid."), fields=fields)
    return error_response(request, 400)


def handle_not_found(request: Request, exc: NotFoundException) -> Response:
    return error_response(request, 404)


def handle_database_outage(request: Request, exc: Exception) -> Response:
    """The database is unreachable: 503 and Retry-After, saying that nothing was saved and
    the form can be sent again (a browser gets a page that can resend what was posted; htmx
    a toast and no swap, so the typed form stays). One log line per outage, no traceback."""
    outages.note_outage(exc, f"{request.method} {request.url.path}")
    message = _(
        "We cannot reach our database just now, so nothing was saved. "
        "Please wait a moment and send the form again."
    )
    retry = {"Retry-After": str(outages.RETRY_AFTER_SECONDS)}
    response = error_response(request, 503, message)
    response.headers.update(retry)
    if isinstance(response, Template) and request.method == "POST":
        # The posted form is read (if not read yet) only when the page is sent: this handler
        # cannot wait, and the body is still there to read.
        return resend.ResendPage.replacing(response, request)
    return response


def handle_internal_error(request: Request, exc: Exception) -> Response:
    if outages.is_outage(exc):
        return handle_database_outage(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


def user_error(status_code: int, message: str) -> HTTPException:
    """An HTTP error whose message is shown to the person as it is (already translated)."""
    exc = HTTPException(status_code=status_code, detail=message, extra={"user_message": True})
    return exc


EXCEPTION_HANDLERS = {
    errors.Refused: handle_refused,
    LoginRequired: handle_login_required,
    AlreadyLoggedIn: handle_already_logged_in,
    NotFoundException: handle_not_found,
    ValidationException: handle_validation_exception,
    HTTPException: handle_http_exception,
    HTTP_500_INTERNAL_SERVER_ERROR: handle_internal_error,
    Exception: handle_internal_error,
}
