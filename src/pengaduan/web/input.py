"""Reading what a request carries: path ids, query values, form fields and files.

Everything a person (or anybody) sends is read here, once, so that nothing past this layer has
to think about it: integers are bounded to what their column holds (an id past PostgreSQL's
`integer` is "not found", in a form field it is a wrong choice), dates to 1900-2200, and text
holding a NUL byte (which no text column can store) or bytes that are not UTF-8 is refused
with a message beside its field, the typed values kept. The rules for single values live in
web.values (no framework there), which the services read too.

Forms are decoded with `surrogateescape`, so a byte that is not UTF-8 survives as a lone
surrogate that `readable()` finds, instead of turning into U+FFFD unseen (urlencoded) or into
an exception (multipart). The app's request class reads forms that way for everybody who asks
(the CSRF middleware, the routes), and `input_guard` reads them before a handler's `data`
argument is filled.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.connection.base import empty_receive, empty_send
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.params import Body
from litestar.plugins.htmx import HTMXDetails, HTMXRequest
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from pengaduan.i18n import _
from pengaduan.web.values import INTEGER_MAX, INTEGER_MIN, readable, shown, unreadable_message

_HIGH_BYTE = re.compile(rb"[\x80-\xff]")

# A route's urlencoded form (read through `read_form`).
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


# --- forms ------------------------------------------------------------------------------------


class FormInput(Mapping[str, str]):
    """A form as sent: the first value of each field as text (what services read and pages show
    again), every value of a field, the files, and a message for each field that holds what
    cannot be stored (`errors`, with a general one under "form")."""

    # A refused form stands in for a service's form result, which may also say how long to
    # wait when refused for too many requests; bad input never asks anyone to wait.
    wait_seconds: int | None = None

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self._all: dict[str, list[Any]] = defaultdict(list)
        for name, value in items:
            self._all[shown(name)].append(value)
        self.values: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        for name, values in self._all.items():
            texts = [v for v in values if isinstance(v, str)]
            self.values[name] = shown(texts[0]) if texts else ""
            if not all(readable(t) for t in texts):
                self.errors[name] = unreadable_message()
        if self.errors:
            self.errors["form"] = _(
                "Some of what you entered contains characters that cannot be read. "
                "Remove them and send the form again."
            )

    @property
    def ok(self) -> bool:
        return not self.errors

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def get(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def getall(self, name: str, default: Iterable[Any] = ()) -> list[Any]:
        """Every value of the field (text shown as typed, files as they came)."""
        values = self._all.get(name) or list(default)
        return [shown(v) if isinstance(v, str) else v for v in values]

    def refused(self) -> FormInput | None:
        """The form itself when it holds what cannot be stored (it has `ok`, `values` and
        `errors`, as a service's form result does), else None:
        `result = form.refused() or await service(form.values)`."""
        return None if self.ok else self

    def only(self, *names: str) -> dict[str, str]:
        """The messages about these fields (and the general one), for a form showing only them."""
        errors = {name: self.errors[name] for name in names if name in self.errors}
        return {**errors, "form": self.errors["form"]} if errors else {}


def read_form(data: Any) -> FormInput:
    """A form from a handler's `data` or from `await request.form()`."""
    if hasattr(data, "multi_items"):
        return FormInput(data.multi_items())
    items: list[tuple[str, Any]] = []
    for name, value in (data or {}).items():
        items.extend((name, v) for v in (value if isinstance(value, list) else [value]))
    return FormInput(items)


def _form_data(fields: dict[str, list[Any]]) -> dict[str, Any]:
    return {k: v if len(v) > 1 else v[0] for k, v in fields.items()}


def parse_urlencoded(body: bytes) -> dict[str, Any]:
    """What Litestar's parser gives, with bytes that are not UTF-8 kept as lone surrogates."""
    fields: dict[str, list[Any]] = defaultdict(list)
    text_body = body.decode("utf-8", "surrogateescape")
    for name, value in parse_qsl(text_body, encoding="utf-8", errors="surrogateescape"):
        fields[name].append(value)
    return _form_data(fields)


async def parse_multipart(
    stream: AsyncGenerator[bytes, None], boundary: bytes, part_limit: int
) -> dict[str, Any]:
    """Litestar's multipart parsing, except that text parts are always read as UTF-8 with
    `surrogateescape` (a part's own charset is not something browsers send)."""
    fields: dict[str, list[Any]] = defaultdict(list)
    data: UploadFile | bytearray = bytearray()
    segment: MultipartSegment | None = None
    chunk = await anext(stream, b"")
    if not chunk:
        return {}
    try:
        with PushMultipartParser(boundary, max_segment_count=part_limit) as parser:
            while not parser.closed:
                for part in parser.parse(chunk):
                    if isinstance(part, MultipartSegment):
                        segment, data = part, bytearray()
                        if segment.filename:
                            data = UploadFile(
                                content_type=segment.content_type or "text/plain",
                                filename=segment.filename,
                                headers=dict(segment.headerlist),
                            )
                    elif part:
                        if isinstance(data, UploadFile):
                            await data.write(part)
                        else:
                            data.extend(part)
                    else:  # the end of a part
                        if segment is None:
                            raise ClientException("Unexpected end of multipart/form-data")
                        if isinstance(data, UploadFile):
                            await data.seek(0)
                            fields[segment.name].append(data)
                        else:
                            fields[segment.name].append(data.decode("utf-8", "surrogateescape"))
                        data, segment = bytearray(), None
                chunk = await anext(stream, b"")
    except (ParserError, ParserLimitReached) as error:
        for value in [data, *(v for values in fields.values() for v in values)]:
            if isinstance(value, UploadFile):
                await value.close()
        raise ClientException("Invalid multipart/form-data") from error
    return _form_data(fields)


class InputRequest(HTMXRequest):
    """The app's request: forms are parsed by this module, for whoever reads them first;
    `request.htmx` (Litestar's HTMX details) says whether htmx sent it and how.

    The details are made when asked for, not kept: HTMXRequest keeps them, and they keep the
    request, a reference cycle. Every request object (several per request: middleware makes
    its own) then outlived its request, with its scope, user and state, until the cyclic
    collector came by: under load a worker held about 1,800 finished requests at a time, and
    collecting them cost 4 % of its CPU."""

    def __init__(
        self, scope: Scope, receive: Receive = empty_receive, send: Send = empty_send
    ) -> None:
        Request.__init__(self, scope=scope, receive=receive, send=send)

    @property  # type: ignore[override]
    def htmx(self) -> HTMXDetails:
        return HTMXDetails(self)

    async def form(self) -> FormMultiDict:
        state = ScopeState.from_scope(self.scope)
        if state.form is Empty:
            content_type, options = self.content_type
            if content_type == RequestEncodingType.MULTI_PART:
                boundary = options.get("boundary")
                if not boundary:
                    raise ClientException("multipart boundary missing in Content-Type")
                state.form = await parse_multipart(
                    self.stream(), boundary.encode(), self.app.multipart_form_part_limit
                )
            elif content_type == RequestEncodingType.URL_ENCODED:
                state.form = parse_urlencoded(await self.body())
        return await super().form()


# --- the request as a whole -------------------------------------------------------------------

_FORM_TYPES = (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)


async def input_guard(connection: ASGIConnection, handler: Any) -> None:
    """Runs with the guards (after routing, before a handler's arguments are read), after the
    access guard: a path value that no row can have is "not found" for every route, and a form
    is read here the one way, so that a handler's `data` holds what this module parsed. A form
    sent to a handler whose `data` is not a form (the JSON API's) is refused (415): read here,
    the body would be gone for the handler."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not INTEGER_MIN <= value <= INTEGER_MAX:
            raise NotFoundException()
        if isinstance(value, str) and not readable(value):
            raise NotFoundException()
    if (
        isinstance(connection, Request)
        and connection.method not in ("GET", "HEAD", "OPTIONS")
        and connection.content_type[0] in _FORM_TYPES
    ):
        data = getattr(handler, "parsed_data_field", None)
        expects = getattr(getattr(data, "kwarg_definition", None), "media_type", None)
        if data is not None and expects not in _FORM_TYPES:
            raise HTTPException(status_code=415)
        await connection.form()


class QueryStringMiddleware:
    """Bytes past ASCII in a query string are percent-encoded, as browsers send them: Litestar
    decodes a raw query string as UTF-8 where it is not ready for anything else (request.url).
    Percent-decoding then gives the same text, or U+FFFD for what was not UTF-8."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if scope["type"] == "http" and not query.isascii():
            scope["query_string"] = _HIGH_BYTE.sub(lambda m: b"%%%02X" % m[0][0], query)
        await self.app(scope, receive, send)
