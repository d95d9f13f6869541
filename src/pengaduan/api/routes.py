"""The JSON API assembled: its routes under /api/v1 (web.paths) in one router that reads the
bearer token (accounts.app_tokens) and is the only part of the app in the OpenAPI schema."""

from __future__ import annotations

from litestar import Router

from pengaduan.accounts.app_tokens import BearerMiddleware
from pengaduan.api import account_routes, complaint_routes, docs
from pengaduan.web.paths import API_PATH

openapi_config = docs.openapi_config


def router() -> Router:
    return Router(
        API_PATH,
        route_handlers=[*account_routes.ROUTES, *complaint_routes.ROUTES, docs.api_docs],
        middleware=[BearerMiddleware],
        include_in_schema=True,
    )
