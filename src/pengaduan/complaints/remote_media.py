"""Fetching evidence that arrives as a link (Open311's media_url, photos of WhatsApp
messages) instead of an upload: http(s) only, within a time and a size limit, and never from
the server's own network.

Every host is resolved first and refused when any address is private, loopback, link-local
or otherwise not public (unless `fetch_private_hosts`), and the connection then goes to the
address that was checked (TLS still verifies the host's name): a name that resolves
differently the second time (DNS rebinding) cannot slip through. Redirects are followed by
hand, each hop checked the same way. What is fetched still goes through the same content
checks as an upload (`evidence.prepare`, in `complaints.intake`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from pengaduan.complaints.intake import Attachment
from pengaduan.errors import INVALID, Refused
from pengaduan.i18n import _
from pengaduan.settings import Settings

TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 3
CHUNK = 64 * 1024


def _refused(url: str, why: str) -> Refused:
    return Refused(
        _("The file at %(url)s could not be fetched: %(why)s", url=url[:200], why=why),
        INVALID,
        field="media_url",
    )


async def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


async def _pinned(url: str, settings: Settings) -> tuple[str, str, str]:
    """(the URL to connect to, its Host header, the name TLS checks): the host replaced by
    an address that was checked."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _refused(url, _("only http and https links are accepted."))
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _addresses(host, port)
    if not addresses:
        raise _refused(url, _("the host is unknown."))
    if not settings.fetch_private_hosts and not all(_public(a) for a in addresses):
        raise _refused(url, _("the host is not on the public internet."))
    address = addresses[0]
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{port}"
    target = parts._replace(netloc=netloc).geturl()
    host_header = parts.netloc.rsplit("@", 1)[-1]
    return target, host_header, host


def _name_of(url: str, content_type: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    if name:
        return name
    return {"image/jpeg": "foto.jpg", "image/png": "foto.png", "image/webp": "foto.webp"}.get(
        content_type, "lampiran"
    )


async def fetch(url: str, *, settings: Settings, max_bytes: int | None = None) -> Attachment:
    """The file a link points at, as an attachment (name from the link). Refused(INVALID)
    with a message naming the link when it cannot be fetched within the limits."""
    limit = max_bytes or settings.upload_max_bytes
    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            return await _fetch(url, limit, settings)
    except TimeoutError:
        raise _refused(url, _("it took too long.")) from None
    except httpx.HTTPError:
        raise _refused(url, _("the server did not answer properly.")) from None


async def _fetch(url: str, limit: int, settings: Settings) -> Attachment:
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target, host_header, host = await _pinned(url, settings)
            request = client.build_request(
                "GET",
                target,
                headers={"Host": host_header, "Accept": "image/*, application/pdf"},
                extensions={"sni_hostname": host},
            )
            response = await client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise _refused(
                        url, _("the server answered %(code)d.", code=response.status_code)
                    )
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise _refused(url, _("the file is too large."))
                data = bytearray()
                async for chunk in response.aiter_bytes(CHUNK):
                    data += chunk
                    if len(data) > limit:
                        raise _refused(url, _("the file is too large."))
                content_type = response.headers.get("content-type", "").split(";")[0].strip()
                return Attachment(_name_of(url, content_type), bytes(data))
            finally:
                await response.aclose()
    raise _refused(url, _("too many redirects."))
