"""The application factory: every piece of the app is assembled here, once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import CacheControlHeader, State
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from pengaduan import database
from pengaduan.settings import Settings, get_settings
from pengaduan.web import errors, language
from pengaduan.web import routes as shell_routes
from pengaduan.web.templating import build_environment, static_dir

log = logging.getLogger(__name__)

ONE_YEAR = 365 * 24 * 3600


def route_handlers() -> list:
    """Every route of the app (the access table test walks these)."""
    return [
        shell_routes.home,
        shell_routes.healthz,
        language.switch_language,
        create_static_files_router(
            path="/static",
            directories=[static_dir()],
            cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
            opt={"access": "anyone"},
            name="static",
        ),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app. The database address comes from the settings (DATABASE_URL, which
    `pengaduan serve` sets for its workers) or, failing that, the embedded server."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        dsn = database.resolve_dsn(settings)
        # An unreachable database stops start-up here, with the reason.
        await database.check_connection(dsn)
        database.configure_engine(dsn)
        await database.open_pool(settings)
        try:
            yield
        finally:
            await database.close_pool()

    environment = build_environment()
    return Litestar(
        route_handlers=route_handlers(),
        lifespan=[lifespan],
        middleware=[language.LocaleMiddleware],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment)),
        plugins=[HTMXPlugin()],
        compression_config=CompressionConfig(
            backend="brotli", brotli_gzip_fallback=True, minimum_size=500, brotli_quality=5
        ),
        exception_handlers=errors.EXCEPTION_HANDLERS,
        debug=False,
        state=State({"settings": settings}),
    )
