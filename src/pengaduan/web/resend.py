"""The 503 page's way back: what a POST carried, as a form that sends it again unchanged.

A form sent while the database was away saved nothing. Its text fields (the idempotency key
among them, so a resend can never store it twice) go back into hidden fields of a form to the
same address; files cannot travel that way, and the page says so.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.response import Template

from pengaduan.web.paths import page_address

# A resend form larger than this is not offered (the page still says to send it again).
MAX_RESEND_CHARS = 256 * 1024
# Replaced by a fresh token from the page itself.
_CSRF_FIELD = "_csrf_token"
TEMPLATE = "errors/unavailable.html"


async def posted_fields(request: Request) -> tuple[list[tuple[str, str]], bool, str] | None:
    """The text fields of a posted form, whether it also carried files, and its encoding;
    None when the body is not a form or cannot be read."""
    content_type = request.content_type[0]
    if content_type not in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        return None
    try:
        form = await request.form()
    except Exception:  # a body cut short or refused: nothing to offer back
        return None
    fields: list[tuple[str, str]] = []
    had_files = False
    size = 0
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            had_files = had_files or bool(value.filename)
            continue
        if name == _CSRF_FIELD or not isinstance(value, str):
            continue
        size += len(name) + len(value)
        if size > MAX_RESEND_CHARS:
            return None
        fields.append((name, value))
    return fields, had_files, content_type


class ResendPage(Template):
    """The error page, with the posted form to send again: it reads the body when it is
    sent (exception handlers cannot wait for it)."""

    request: Request

    @classmethod
    def replacing(cls, page: Template, request: Request) -> ResendPage:
        resend = cls(
            template_name=TEMPLATE,
            context=dict(page.context),
            status_code=page.status_code,
            headers=dict(page.headers),
            media_type=page.media_type,
        )
        resend.request = request
        return resend

    def to_asgi_response(self, app: Any, request: Request, **kwargs: Any) -> Any:
        render = super().to_asgi_response

        async def send_page(scope: Any, receive: Any, send: Any) -> None:
            posted = await posted_fields(self.request)
            if posted is not None:
                fields, had_files, encoding = posted
                self.context.update(
                    resend_action=page_address(self.request.scope),
                    resend_fields=fields,
                    resend_had_files=had_files,
                    resend_encoding=encoding,
                )
            await render(app, request, **kwargs)(scope, receive, send)

        return send_page
