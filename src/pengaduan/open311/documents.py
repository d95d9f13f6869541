"""GeoReport v2 documents in the two formats it defines, and its error lists.

The element names and nesting are the specification's (wiki.open311.org/GeoReport_v2): a JSON
document is a list of objects (an object for discovery and a service definition); its XML twin
has a root element, one child per object, and a container element per list (`attributes` of
`attribute`, `values` of `value`, `endpoints` of `endpoint`, `formats` of `format`). Empty
values are `null` in JSON and empty elements in XML; times are W3C (ISO 8601 with offset).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import msgspec
from litestar import Response

from pengaduan.clock import JAKARTA

FORMATS = ("json", "xml")
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list field's XML container holds elements named so.
_ITEM_OF = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def w3c(moment: datetime | None) -> str | None:
    """A time as the specification writes it (2010-04-14T06:37:38+07:00), in Jakarta time."""
    if moment is None:
        return None
    return moment.astimezone(JAKARTA).isoformat(timespec="seconds")


def format_of(name: str) -> tuple[str, str] | None:
    """("requests", "json") for "requests.json"; None without a known format suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix not in FORMATS or not stem:
        return None
    return stem, suffix


# What XML 1.0 cannot carry (control characters, lone surrogates): shown as U+FFFD.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("\ufffd", str(value))


def _element(out: list[str], name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, inner in value.items():
            _element(out, key, inner)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        out.append(f"<{name}>")
        for inner in value:
            _element(out, _ITEM_OF.get(name, name), inner)
        out.append(f"</{name}>")
    else:
        text = _text(value)
        out.append(f"<{name}>{escape(text)}</{name}>" if text else f"<{name} />")


def xml_document(root: str, item: str | None, content: Any) -> bytes:
    """`content` (a list of objects under `root`/`item`, or one object as `root`) as XML.

    Written as text rather than through an element tree: a document of 1,000 requests is
    built several times faster so (element names are ours, values are escaped)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f"<{root}>"]
    if item is None:
        for key, value in content.items():
            _element(out, key, value)
    else:
        for row in content:
            _element(out, item, row)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8", "replace")


def encode(fmt: str, root: str, item: str | None, content: Any) -> bytes:
    """The document in `fmt`: JSON as the content itself, XML under `root` (and `item`)."""
    if fmt == "json":
        # msgspec (Litestar's encoder): many times faster than json for 1,000 requests. It
        # refuses lone surrogates, which nothing we store holds (web.values refuses them).
        return msgspec.json.encode(content)
    return xml_document(root, item, content)


def answer(
    fmt: str,
    root: str,
    item: str | None,
    content: Any,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        content=encode(fmt, root, item, content),
        status_code=status_code,
        media_type=MEDIA_TYPES[fmt],
        headers=dict(headers or {}),
    )


def errors(fmt: str, status_code: int, descriptions: Sequence[str], **headers: str) -> Response:
    """The specification's error list: each error's `code` (the HTTP status) and
    `description`."""
    # A description may quote what was sent, which may hold what no document can carry.
    content = [{"code": status_code, "description": _text(text)} for text in descriptions]
    all_headers = {"Cache-Control": "no-store", **headers}
    return answer(fmt, "errors", "error", content, status_code=status_code, headers=all_headers)
