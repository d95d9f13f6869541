"""The JSON API's schema and docs: Litestar's generated OpenAPI 3.1 at /api/v1/openapi.json
(only the API's routes: the website's are left out of it), and a page that reads it for
people at /api/v1/docs, rendered here from the schema with no outside asset (the usual
renderers load their scripts from a CDN)."""

from __future__ import annotations

import re
from typing import Any

from litestar import MediaType, Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Server
from litestar.response import Template
from markupsafe import Markup, escape

from pengaduan.api.specs import COMPONENTS
from pengaduan.web.paths import API_PATH

ANYONE = {"access": "anyone"}
METHODS = ("get", "post", "put", "patch", "delete")


async def _json_not_found(response: Response) -> Response:
    """Litestar's schema router answers an unknown address under it with an HTML page: the
    API answers 404 as JSON like any other error of its (web.errors)."""
    if response.status_code == 404:
        raise NotFoundException()
    return response


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Pengaduan API",
        version="1.0.0",
        description="The mobile app's API: a citizen logs in for a bearer token, files "
        "complaints with photos and follows them. Errors are "
        '`{"error": {"code", "message", "fields"}}`; messages follow `Accept-Language` '
        "(`id` by default, or `en`).",
        servers=[Server(url="/")],
        components=COMPONENTS,
        render_plugins=[JsonRenderPlugin()],
        # Under the API's path, open to anyone, and not itself in the schema.
        openapi_router=Router(
            API_PATH,
            route_handlers=[],
            include_in_schema=False,
            opt=ANYONE,
            after_request=_json_not_found,
        ),
    )


_CODE = re.compile(r"`([^`]+)`")


def prose(text: str) -> Markup:
    """A description as the schema writes it (`code` in backticks), for the page."""
    return Markup(_CODE.sub(lambda m: f"<code>{m[1]}</code>", str(escape(text))))


def breakable(path: str) -> Markup:
    """A path that a phone's narrow screen may wrap after each slash."""
    return Markup("/<wbr>").join(escape(part) for part in path.split("/"))


def type_of(schema: dict[str, Any]) -> str:
    """A schema's type in a few words: a model's name, `array of X`, `X or null`, the
    choices of an enum."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(type_of(s) for s in schema[key])
    if "enum" in schema:
        return " | ".join(f'"{v}"' if isinstance(v, str) else str(v) for v in schema["enum"])
    if "const" in schema:
        return f'"{schema["const"]}"'
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return "array of " + type_of(schema.get("items", {}))
    if kind == "object" and "additionalProperties" in schema:
        return "object of " + type_of(schema["additionalProperties"])
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def model_of(schema: dict[str, Any]) -> str | None:
    """The model a schema names (itself or its items): where its type links to."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return model_of(schema.get("items", {}))
    return None


def limits_of(schema: dict[str, Any]) -> str:
    names = {
        "minimum": "≥",
        "maximum": "≤",
        "minLength": "length ≥",
        "maxLength": "length ≤",
        "pattern": "pattern",
    }
    return ", ".join(f"{word} {schema[key]}" for key, word in names.items() if key in schema)


def fields_of(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of an object schema as rows: name, type, required, limits, meaning."""
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(prop),
            "required": name in required,
            "limits": limits_of(prop),
            "description": prose(prop.get("description", "")),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def operations_of(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = None
            if "requestBody" in op:
                media, content = next(iter(op["requestBody"]["content"].items()))
                body = {
                    "media_type": media,
                    "type": type_of(content.get("schema", {})),
                    "model": model_of(content.get("schema", {})),
                }
            operations.append(
                {
                    "id": op.get("operationId", f"{method}{path}"),
                    "method": method.upper(),
                    "path": breakable(path),
                    "summary": op.get("summary", ""),
                    "description": prose(op.get("description", "")),
                    "needs_token": bool(op.get("security")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": type_of(p.get("schema", {})),
                            "required": p.get("required", False),
                            "limits": limits_of(p.get("schema", {})),
                            "description": prose(p.get("description", "")),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": body,
                    "responses": [
                        {
                            "status": status,
                            "description": prose(answer.get("description", "")),
                            "type": ", ".join(
                                type_of(c.get("schema", {}))
                                for c in answer.get("content", {}).values()
                            ),
                            "model": next(
                                (
                                    found
                                    for c in answer.get("content", {}).values()
                                    if (found := model_of(c.get("schema", {})))
                                ),
                                None,
                            ),
                        }
                        for status, answer in sorted(op.get("responses", {}).items())
                    ],
                }
            )
    return operations


@get(
    "/docs",
    name="api:docs",
    opt=ANYONE,
    include_in_schema=False,
    media_type=MediaType.HTML,
    cache_control=None,
)
async def api_docs(request: Request) -> Template:
    schema = request.app.openapi_schema.to_schema()
    models = schema.get("components", {}).get("schemas", {})
    return Template(
        template_name="api/docs.html",
        context={
            "info": schema["info"],
            "description": prose(schema["info"].get("description", "")),
            "operations": operations_of(schema),
            "models": [(name, fields_of(model)) for name, model in sorted(models.items())],
            "schema_url": API_PATH + "/openapi.json",
        },
        media_type=MediaType.HTML,
    )
