"""Open311 GeoReport v2 fuzzed from a schema of the specification: the interface written out
here as OpenAPI from wiki.open311.org/GeoReport_v2 (not from our code; our routes stay out of
the app's own schema), schemathesis drawing valid and invalid requests for every operation
(the .json ones checked against the specification's shapes, the .xml ones for the status and
content type), a real create-scope api_key in the filings. It fails on any 5xx and on any
answer the specification does not describe. A fixed budget, derandomized: the same requests
every run."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pengaduan import db
from pengaduan.apikeys import services as apikeys
from tests.factories import make_complaint_in
from tests.integration.test_api_fuzz import served  # noqa: F401 (the served app fixture)

POSITIVE, NEGATIVE = 25, 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": {"type": "string"},
        "service_name": {"type": "string"},
        "description": {"type": ["string", "null"]},
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": ["string", "null"]},
        "group": {"type": ["string", "null"]},
    },
}
REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "status_notes": {"type": ["string", "null"]},
        "service_name": {"type": ["string", "null"]},
        "service_code": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
        "agency_responsible": {"type": ["string", "null"]},
        "service_notice": {"type": ["string", "null"]},
        "requested_datetime": {"type": ["string", "null"]},
        "updated_datetime": {"type": ["string", "null"]},
        "expected_datetime": {"type": ["string", "null"]},
        "address": {"type": ["string", "null"]},
        "address_id": {"type": ["string", "null"]},
        "zipcode": {"type": ["string", "null"]},
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
        "media_url": {"type": ["string", "null"]},
    },
}
FILED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id"],
        "properties": {
            "service_request_id": {"type": ["string", "null"]},
            "service_notice": {"type": ["string", "null"]},
            "account_id": {"type": ["string", "null"]},
            "token": {"type": ["string", "null"]},
        },
    },
}
JURISDICTION = {"name": "jurisdiction_id", "in": "query", "schema": {"type": "string"}}


def _answers(ok: int, body: dict[str, Any], fmt: str, errors: tuple[int, ...]) -> dict:
    media = "application/json" if fmt == "json" else "text/xml"
    ok_content: dict[str, Any] = {media: {"schema": body} if fmt == "json" else {}}
    answers: dict[str, Any] = {str(ok): {"description": "ok", "content": ok_content}}
    for code in errors:
        content = {media: {"schema": ERRORS} if fmt == "json" else {}}
        answers[str(code)] = {"description": "error", "content": content}
    return answers


def specification(category: int) -> dict[str, Any]:
    """GeoReport v2 as OpenAPI 3.1, in both formats; our one category as the valid code."""
    paths: dict[str, Any] = {}
    for fmt in ("json", "xml"):
        paths[f"/open311/v2/services.{fmt}"] = {
            "get": {
                "parameters": [JURISDICTION],
                "responses": _answers(200, {"type": "array", "items": SERVICE}, fmt, (400, 404)),
            }
        }
        paths[f"/open311/v2/services/{{service_code}}.{fmt}"] = {
            "get": {
                "parameters": [
                    {
                        "name": "service_code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "examples": [str(category)]},
                    },
                    JURISDICTION,
                ],
                "responses": _answers(200, {"type": "object"}, fmt, (400, 404)),
            }
        }
        paths[f"/open311/v2/requests.{fmt}"] = {
            "get": {
                "parameters": [
                    {"name": "service_request_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "service_code", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "start_date",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "end_date",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {"name": "status", "in": "query", "schema": {"enum": ["open", "closed"]}},
                    JURISDICTION,
                ],
                "responses": _answers(200, {"type": "array", "items": REQUEST}, fmt, (400, 404)),
            },
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                # What a valid filing also needs (a place, a contact, a
                                # readable text), so that drawn valid ones are taken: left to
                                # chance, every draw missed one now and then in a full run.
                                "required": [
                                    "api_key",
                                    "service_code",
                                    "description",
                                    "lat",
                                    "long",
                                    "email",
                                ],
                                "properties": {
                                    "api_key": {"type": "string"},
                                    "service_code": {"enum": [str(category)]},
                                    "lat": {"type": "number", "minimum": -11, "maximum": 6},
                                    "long": {"type": "number", "minimum": 95, "maximum": 141},
                                    "address_string": {"type": "string"},
                                    "description": {
                                        "type": "string",
                                        "pattern": "^[A-Za-z][A-Za-z0-9 .,]{9,199}$",
                                    },
                                    "email": {"type": "string", "format": "email"},
                                    "first_name": {"type": "string"},
                                    "last_name": {"type": "string"},
                                    "phone": {"type": "string", "pattern": "^08[0-9]{8,11}$"},
                                    "device_id": {"type": "string"},
                                    "account_id": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": _answers(201, FILED, fmt, (400, 403, 404, 429)),
            },
        }
        paths[f"/open311/v2/requests/{{service_request_id}}.{fmt}"] = {
            "get": {
                "parameters": [
                    {
                        "name": "service_request_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    JURISDICTION,
                ],
                "responses": _answers(200, {"type": "array", "items": REQUEST}, fmt, (400, 404)),
            }
        }
    for fmt in ("json", "xml"):
        paths[f"/open311/discovery.{fmt}"] = {
            "get": {"responses": _answers(200, {"type": "object"}, fmt, (400, 404))}
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Open311 GeoReport v2", "version": "2"},
        "paths": paths,
    }


def _fuzz_operation(
    base: str,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    key: str,
    sent: dict[str, int],
) -> None:
    """Requests drawn for one operation in one mode; valid filings carry a real key (the
    filing is then taken or refused for what it says, not for the key)."""
    keyed = mode == GenerationMode.POSITIVE and operation.method.upper() == "POST"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=POSITIVE if mode == GenerationMode.POSITIVE else NEGATIVE,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        if keyed and isinstance(case.body, dict):
            case.body["api_key"] = key
        case.call_and_validate(base_url=base, checks=CHECKS, timeout=30)
        sent[operation.label] = sent.get(operation.label, 0) + 1

    try:
        check()
    except Unsatisfiable:
        # Nothing to break in an operation without parameters (discovery).
        assert mode == GenerationMode.NEGATIVE and "discovery" in operation.label


def _fuzz(base: str, category: int, key: str) -> dict[str, int]:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    schema = schemathesis.openapi.from_dict(specification(category))
    sent: dict[str, int] = {}
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(base, result.ok(), mode, key, sent)
    return sent


@pytest.fixture
async def open311_world(unit_data: dict[str, int]) -> dict[str, Any]:
    for title in ("Lampu jalan mati", "Saluran tersumbat"):
        await make_complaint_in(unit_data, title=title, latitude=-6.2, longitude=106.8)
    await make_complaint_in(unit_data, title="Rahasia", is_public=False)
    values = {"name": "Penguji", "requests_per_minute": "100000"}
    checked, key = await apikeys.issue_key(
        values, ["create", "read"], admin_id=unit_data["admin"], ip="127.0.0.1"
    )
    assert key, checked.errors
    return {**unit_data, "key": key}


async def test_every_open311_operation_answers_as_the_specification_says(
    served: str,  # noqa: F811 (the fixture imported above)
    open311_world: dict[str, Any],
) -> None:
    sent = await asyncio.to_thread(_fuzz, served, open311_world["category"], open311_world["key"])
    assert len(sent) == 12, sent
    # Drawn filings with the real key got through: the taking path was fuzzed too (most of
    # the 50 valid draws, JSON and XML: the schema asks for what a filing needs).
    taken = await db.fetchval("SELECT count(*) FROM complaints WHERE channel = 'open311'")
    assert taken >= POSITIVE, taken
    # Discovery takes no parameters: one request is all there is to draw.
    assert all(n >= POSITIVE for label, n in sent.items() if "discovery" not in label), sent
