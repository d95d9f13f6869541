"""The application factory: every piece of the app is assembled here, once."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader, State
from litestar.handlers import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Receive, Scope, Send

from pengaduan import db, outages
from pengaduan.accounts import admin_routes as account_admin_routes
from pengaduan.accounts import reset_routes as account_reset_routes
from pengaduan.accounts import routes as account_routes
from pengaduan.accounts import sessions
from pengaduan.accounts.guards import access_guard
from pengaduan.accounts.sessions import SessionMiddleware
from pengaduan.agency import routes as agency_routes
from pengaduan.api import routes as api_routes
from pengaduan.apikeys import routes as apikey_routes
from pengaduan.archive import routes as archive_routes
from pengaduan.audit import routes as audit_routes
from pengaduan.backup import routes as backup_routes
from pengaduan.categorising import routes as categorising_routes
from pengaduan.collector import Collector
from pengaduan.complaints import routes as complaint_routes
from pengaduan.complaints.imaging import ImageWorkers
from pengaduan.db import embedded
from pengaduan.handling import admin_routes as handling_admin_routes
from pengaduan.handling import routes as handling_routes
from pengaduan.handling import session_reads as _queue_version  # noqa: F401 (registers)
from pengaduan.handover import routes as handover_routes
from pengaduan.live import live_plugin
from pengaduan.live import routes as live_routes
from pengaduan.map import routes as map_routes
from pengaduan.notifications import routes as notification_routes
from pengaduan.notifications import session_reads as _unread  # noqa: F401 (registers)
from pengaduan.open311 import routes as open311_routes
from pengaduan.settings import Settings, get_settings
from pengaduan.sms_intake import routes as sms_intake_routes
from pengaduan.statistics import routes as statistics_routes
from pengaduan.web import errors, handlers, head, kit, language, templating
from pengaduan.web import routes as shell_routes
from pengaduan.web.csrf import CSRFMiddleware
from pengaduan.web.flash import FlashMiddleware
from pengaduan.web.input import InputRequest, QueryStringMiddleware, input_guard
from pengaduan.web.security import SecurityHeadersMiddleware
from pengaduan.web.templating import build_environment, static_dir

log = logging.getLogger(__name__)

ONE_YEAR = 365 * 24 * 3600


def route_handlers() -> list:
    """Every route of the app (the access table test walks these)."""
    return [
        *account_routes.ROUTES,
        *account_admin_routes.ROUTES,
        *account_reset_routes.ROUTES,
        *agency_routes.ROUTES,
        *apikey_routes.ROUTES,
        *audit_routes.ROUTES,
        *backup_routes.ROUTES,
        *handling_routes.ROUTES,
        *handling_admin_routes.ROUTES,
        *handover_routes.ROUTES,
        *archive_routes.ROUTES,
        *map_routes.ROUTES,
        *complaint_routes.ROUTES,
        *categorising_routes.ROUTES,
        *notification_routes.ROUTES,
        *sms_intake_routes.ROUTES,
        *statistics_routes.ROUTES,
        *live_routes.ROUTES,
        *open311_routes.ROUTES,
        # The mobile app's JSON API (bearer tokens, its own OpenAPI schema).
        api_routes.router(),
        shell_routes.home,
        shell_routes.healthz,
        language.switch_language,
        language.switch_language_get,
        create_static_files_router(
            path="/static",
            directories=[static_dir()],
            cache_control=CacheControlHeader(max_age=ONE_YEAR, public=True),
            opt={"access": "anyone"},
            name="static",
        ),
    ]


async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Who may ask first (accounts.guards); then what they sent (web.input), before any
    handler reads it. One guard: Litestar copies the route handler for each guard it runs."""
    await access_guard(connection, handler)
    await input_guard(connection, handler)


class PengaduanApp(Litestar):
    """The Litestar app, answering HEAD for every GET route (web.head)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # type: ignore[override]
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope, receive, send = head.as_get(scope, receive, send)
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app. The database address comes from the settings (DATABASE_URL, which
    `pengaduan serve` sets for its workers) or, failing that, the embedded server."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        dsn = embedded.resolve_dsn(settings)
        # An unreachable database stops start-up here, with the reason (after a wait: a
        # worker restarted by uvicorn may come up while the database restarts too).
        await outages.wait_for_database(dsn, settings.db_start_wait_seconds)
        db.configure_engine(dsn)
        await db.open_pool(settings)
        # The outbox worker uses the pool: it starts after it opens and stops before it closes.
        outbox_worker = scheduler = None
        if settings.outbox_in_app:
            from pengaduan.notifications.outbox.worker import OutboxWorker
            from pengaduan.worker import scheduler_for

            outbox_worker = OutboxWorker(settings)
            outbox_worker.start()
            # Every worker runs it; an advisory lock lets one of them do each job's round.
            scheduler = scheduler_for(settings)
            scheduler.start()
        app.state.outbox_worker = outbox_worker
        app.state.scheduler = scheduler
        # What start-up built (routes, templates, catalogs) lives as long as the process:
        # out of the collector's sight, a full collection no longer walks it mid-request.
        gc.collect()
        gc.freeze()
        # Reference cycles collected on a clock, not every 700 allocations (collector).
        collector = None
        if settings.gc_every_seconds:
            collector = Collector(every=settings.gc_every_seconds)
            collector.start()
        app.state.collector = collector
        try:
            yield
        finally:
            if collector is not None:
                await collector.stop()
            if scheduler is not None:
                await scheduler.stop()
            if outbox_worker is not None:
                await outbox_worker.stop()
            await outages.stop_probe()
            await db.close_pool()
            from pengaduan.complaints.evidence import storage_for

            await storage_for(settings).close()

    environment = build_environment()
    template_engine = JinjaTemplateEngine.from_environment(environment)
    # Litestar's url_for, kept per route and parameters (web.templating.url_for).
    template_engine.register_template_callable("url_for", templating.url_for)
    # This process's image children: their fork server starts and stops with the app.
    image_workers = ImageWorkers(settings.image_jobs)
    app = PengaduanApp(
        route_handlers=route_handlers(),
        lifespan=[lifespan],
        on_startup=[image_workers.start],
        on_shutdown=[image_workers.close],
        # Outermost first: headers on every answer, then language, messages, who is asking.
        middleware=[
            SecurityHeadersMiddleware,
            language.LocaleMiddleware,
            FlashMiddleware,
            SessionMiddleware,
            # Inside the session middleware: the token derives from the session it found.
            DefineMiddleware(
                CSRFMiddleware,
                session_cookie=sessions.cookie_name,
                session_hash_of=sessions.session_hash_of,
            ),
        ],
        # Who may ask first; then what they sent (web.input), before any handler reads it.
        guards=[guard],
        request_class=InputRequest,
        template_config=TemplateConfig(instance=template_engine),
        plugins=[HTMXPlugin(), live_plugin()],
        compression_config=CompressionConfig(
            backend="brotli",
            brotli_gzip_fallback=True,
            minimum_size=500,
            # Quality 4 (a different, cheaper matcher than 5+: measured about a quarter less
            # time per page for some 8 % more bytes), and a 256 KiB window: pages are smaller,
            # so a larger one only costs memory to set up for every response.
            brotli_quality=4,
            brotli_lgwin=18,
            # The live stream: a compressor would hold its events back.
            exclude_opt_key="skip_compression",
        ),
        exception_handlers=errors.EXCEPTION_HANDLERS,
        dependencies=kit.DEPENDENCIES,
        debug=False,
        # The schema describes the JSON API only (/api/v1/openapi.json): its router includes
        # itself; every page of the website stays out.
        openapi_config=api_routes.openapi_config(),
        include_in_schema=False,
        state=State({"settings": settings, "image_workers": image_workers}),
    )
    # Before routing: the page for an unknown address reads the query string too.
    app.asgi_handler = QueryStringMiddleware(app.asgi_handler)
    handlers.guards_without_copies(app)
    return app
