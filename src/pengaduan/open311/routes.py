"""Open311 GeoReport v2 routes: /open311/discovery.{fmt} and /open311/v2/... (`fmt`: json or
xml, the address's suffix). Open to anyone, as the specification's reads are; an api_key is
needed to file a request (the create scope), and a read that brings one is counted against
that key's limit. Answers are Open311 documents, errors included (open311.errors), never pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from litestar import MediaType, Request, Response, get, post
from litestar.params import FromPath

from pengaduan.apikeys.limits import LIMITER
from pengaduan.apikeys.services import key_for
from pengaduan.errors import NOT_FOUND, Refused
from pengaduan.i18n import _
from pengaduan.open311 import caching, filing, reading
from pengaduan.open311.documents import MEDIA_TYPES, answer, encode, format_of, w3c
from pengaduan.open311.errors import HANDLERS, format_of_request
from pengaduan.settings import Settings
from pengaduan.web.kit import SettingsDep, StorageDep, client_ip

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this interface last changed (discovery's changeset).
CHANGESET = datetime(2026, 12, 5, tzinfo=UTC)
OPEN = {"access": "anyone"}
# Shared caches may keep a read for as long as web.publiccache lets them keep a public page.
CACHE_CONTROL = "public, max-age=10"


def route(*paths: str, **kwargs: Any) -> Any:
    """A GET route of this interface: open, its errors as Open311 documents, out of any
    schema."""
    return get(
        list(paths),
        opt=OPEN,
        exception_handlers=HANDLERS,
        include_in_schema=False,
        media_type=MediaType.TEXT,
        **kwargs,
    )


def jurisdiction_of(settings: Settings) -> str:
    """Our one jurisdiction_id: the host the service is published under."""
    return urlsplit(settings.base_url).hostname or "localhost"


def arguments(request: Request, settings: Settings) -> dict[str, str]:
    """The query's arguments (first value of each), after checking jurisdiction_id."""
    args = {name: request.query_params.get(name) or "" for name in request.query_params}
    return arguments_checked(args, settings)


def arguments_checked(args: dict[str, str], settings: Settings) -> dict[str, str]:
    """`args`, refused when jurisdiction_id names another jurisdiction than ours."""
    jurisdiction = args.get("jurisdiction_id", "").strip()
    if jurisdiction and jurisdiction != jurisdiction_of(settings):
        raise Refused(_("jurisdiction_id %(id)s was not found.", id=jurisdiction[:60]), NOT_FOUND)
    return args


async def count_reader(args: dict[str, str]) -> None:
    """A read that brings an api_key is that client's: the key must be valid, have the read
    scope, and stay within its limit."""
    if "api_key" in args:
        await LIMITER.admit(await key_for(args["api_key"], "read"))


async def _cached(
    request: Request, fmt: str, root: str, item: str | None, read: Any, args: dict[str, str]
) -> Response:
    address = (
        request.url.path,
        # Only what the answer depends on: other arguments would each build a document anew.
        tuple((name, args.get(name, "")) for name in reading.REQUEST_ARGUMENTS),
    )

    async def build() -> bytes:
        return encode(fmt, root, item, await read())

    document = await caching.kept(address, build)
    return Response(
        content=document,
        media_type=MEDIA_TYPES[fmt],
        headers={"Cache-Control": CACHE_CONTROL},
    )


@route("/open311/discovery.json", "/open311/discovery.xml", name="open311:discovery")
async def discovery(request: Request, settings: SettingsDep) -> Response:
    fmt = format_of_request(request)
    content = {
        "changeset": w3c(CHANGESET),
        "contact": _(
            "For help with this interface, write to %(address)s.", address=settings.mail_from
        ),
        "key_service": _(
            "Filing requests needs an api_key: ask the agency's administrators for one."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": settings.base_url.rstrip("/") + "/open311/v2",
                "changeset": w3c(CHANGESET),
                "type": "production" if settings.is_production else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(fmt, "discovery", None, content, headers={"Cache-Control": CACHE_CONTROL})


@route("/open311/v2/services.json", "/open311/v2/services.xml", name="open311:services")
async def services(request: Request, settings: SettingsDep) -> Response:
    args = arguments(request, settings)
    await count_reader(args)
    return await _cached(
        request, format_of_request(request), "services", "service", reading.services, args
    )


@route("/open311/v2/services/{code:str}", name="open311:service")
async def service_definition(
    request: Request, settings: SettingsDep, code: FromPath[str]
) -> Response:
    found = format_of(code)
    if found is None:
        raise Refused(_("Add .json or .xml to the address."), NOT_FOUND)
    service_code, fmt = found
    args = arguments(request, settings)
    await count_reader(args)
    content = await reading.service_definition(service_code)
    return answer(
        fmt, "service_definition", None, content, headers={"Cache-Control": CACHE_CONTROL}
    )


@route("/open311/v2/requests.json", "/open311/v2/requests.xml", name="open311:requests")
async def service_requests(request: Request, settings: SettingsDep) -> Response:
    args = arguments(request, settings)
    await count_reader(args)
    query = reading.request_query(args)

    async def read() -> list[dict[str, Any]]:
        return await reading.service_requests(query)

    return await _cached(
        request, format_of_request(request), "service_requests", "request", read, args
    )


@route("/open311/v2/requests/{request_id:str}", name="open311:request")
async def service_request(
    request: Request, settings: SettingsDep, request_id: FromPath[str]
) -> Response:
    found = format_of(request_id)
    if found is None:
        raise Refused(_("Add .json or .xml to the address."), NOT_FOUND)
    number, fmt = found
    args = arguments(request, settings)
    await count_reader(args)
    row = await reading.service_request(number)
    return answer(
        fmt, "service_requests", "request", [row], headers={"Cache-Control": CACHE_CONTROL}
    )


@post(
    ["/open311/v2/requests.json", "/open311/v2/requests.xml"],
    name="open311:file",
    # Each request names its api_key (checked in the handler): no session, no CSRF token.
    opt={"access": "keyed"},
    exception_handlers=HANDLERS,
    include_in_schema=False,
    media_type=MediaType.TEXT,
)
async def file_request(request: Request, settings: SettingsDep, storage: StorageDep) -> Response:
    """POST requests: the arguments in the body (urlencoded or multipart); api_key and
    jurisdiction_id are also read from the query string, where some clients put them."""
    form = await request.form()
    args = {name: request.query_params.get(name) or "" for name in request.query_params}
    for name in form:
        value = form.get(name)
        args[name] = value if isinstance(value, str) else ""
    arguments_checked(args, settings)
    key = await key_for(args.get("api_key"), "create")
    await LIMITER.admit(key)
    filed = await filing.file_request(
        args,
        key=key,
        ip=client_ip(request),
        settings=settings,
        storage=storage,
        images=request.app.state.get("image_workers"),
    )
    content = [
        {"service_request_id": filed.number, "service_notice": filed.notice, "account_id": None}
    ]
    return answer(
        format_of_request(request),
        "service_requests",
        "request",
        content,
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


ROUTES = [discovery, services, service_definition, service_requests, service_request, file_request]
