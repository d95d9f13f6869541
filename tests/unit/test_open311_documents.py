"""Open311 documents without a database: W3C times, the XML nesting the specification uses,
escaping, and the format suffix of an address."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import msgspec

from pengaduan.open311.documents import encode, format_of, w3c
from pengaduan.open311.reading import description_of


def test_times_are_w3c_with_the_jakarta_offset() -> None:
    assert w3c(datetime(2026, 12, 4, 23, 5, 7, 123456, tzinfo=UTC)) == "2026-12-05T06:05:07+07:00"
    assert w3c(None) is None


def test_lists_nest_under_the_specifications_container_names() -> None:
    definition = {
        "service_code": "7",
        "attributes": [{"code": "WARNA", "values": [{"key": "1", "name": "Merah"}]}],
    }
    root = ElementTree.fromstring(encode("xml", "service_definition", None, definition))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/name").text == "Merah"
    assert msgspec.json.decode(encode("json", "service_definition", None, definition)) == definition


def test_text_is_escaped_and_what_xml_cannot_carry_is_replaced() -> None:
    body = encode("xml", "errors", "error", [{"code": 400, "description": 'a<b & "c"\x01'}])
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<errors>')
    error = ElementTree.fromstring(body).find("error")
    assert error.find("description").text == 'a<b & "c"\ufffd'
    empty = ElementTree.fromstring(
        encode("xml", "service_requests", "request", [{"zipcode": None}])
    )
    assert empty.find("request/zipcode").text is None


def test_the_format_is_the_addresss_suffix() -> None:
    assert format_of("ADU-2026-000001.json") == ("ADU-2026-000001", "json")
    assert format_of("7.xml") == ("7", "xml")
    for name in ("7", "7.html", ".json", "json"):
        assert format_of(name) is None


def test_a_description_is_not_repeated_after_its_own_title() -> None:
    body = "Lampu jalan mati   sejak seminggu, gelap sekali."
    assert description_of("Lampu jalan mati sejak seminggu, gelap sekali.", body) == body
    assert description_of("Lampu jalan…", body) == body
    assert description_of("Lampu mati", body) == f"Lampu mati\n\n{body}"
