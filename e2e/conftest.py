"""End-to-end fixtures: the real app under uvicorn on a free port, and Chromium via Playwright.

No browser or no server means the tests fail, loudly: they never skip.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from e2e.pages import LoginPage
from pengaduan import demo
from tests.support.databases import drop_database, recreate_database, settings_for, truncate_all
from tests.support.mail import SmtpSink
from tests.support.net import free_port
from tests.support.serving import answers_health
from tests.support.tiles import TileStub
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 360, "height": 740}


def run_async(coroutine_fn, *args):
    """Run a coroutine to completion in its own thread: Playwright's sync API holds a
    running event loop in this one."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_fn(*args)).result()


class LiveServer:
    """`pengaduan serve` in a subprocess, with its own database."""

    def __init__(
        self, dsn: str, data_dir: Path, workers: int = 1, extra_env: dict[str, str] | None = None
    ) -> None:
        self.dsn = dsn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PENGADUAN_")}
        env.update(
            PENGADUAN_MODE="development",
            PENGADUAN_DATA_DIR=str(data_dir),
            PENGADUAN_BCRYPT_ROUNDS="4",
            PENGADUAN_BASE_URL=self.url,
            DATABASE_URL=dsn,
        )
        env.update(extra_env or {})
        self.env = env
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pengaduan.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_healthy(self, seconds: float = 60) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"the app exited with {self.proc.returncode}:\n{self.output()}")
            return answers_health(f"{self.url}/healthz")

        try:
            wait_until(up, "the app answering /healthz", seconds, poll=0.25)
        except TimeoutError:
            pytest.fail(f"the app did not answer /healthz in {seconds:.0f} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text()[-5000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def e2e_dsn(pg_server_dsn: str) -> Iterator[str]:
    name = f"pengaduan_e2e_{os.getpid()}"
    yield run_async(recreate_database, pg_server_dsn, name)
    run_async(drop_database, pg_server_dsn, name)


@pytest.fixture(scope="session")
def tile_stub() -> Iterator[TileStub]:
    """The maps' tile server: local, so no page fetches anything from the internet."""
    stub = TileStub()
    yield stub
    stub.close()


@pytest.fixture(scope="session")
def live_server(
    e2e_dsn: str, smtp_sink_server: SmtpSink, tile_stub: TileStub
) -> Iterator[LiveServer]:
    """The app on one worker, delivering its mail to the run's SMTP sink, its maps' tiles from
    the local stub."""
    env = {**smtp_sink_server.settings_env(), "PENGADUAN_MAP_TILE_URL": tile_stub.tile_url}
    server = LiveServer(e2e_dsn, ROOT / "var" / "e2e", extra_env=env)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


def reset_demo(server: LiveServer) -> None:
    """Empty tables, then the demo set (the server migrated the database at start)."""

    async def reset() -> None:
        await truncate_all(server.dsn)
        # The server's data folder: its personal-data keys encrypt the demo citizens' phones.
        data_dir = server.env["PENGADUAN_DATA_DIR"]
        await demo.seed(settings_for(server.dsn, PENGADUAN_DATA_DIR=data_dir), server.dsn)

    run_async(reset)


@pytest.fixture
def demo_data(live_server: LiveServer) -> None:
    reset_demo(live_server)


@pytest.fixture
def mailbox(smtp_sink: SmtpSink, live_server: LiveServer) -> SmtpSink:
    """The SMTP sink the live server sends to, emptied for this test."""
    return smtp_sink


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)
    executable = executable or shutil.which("chromium")
    if not executable:
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium`")
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=PHONE, locale="id-ID")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def nojs_page(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport=PHONE, locale="id-ID", java_script_enabled=False)
    ctx.set_default_timeout(10_000)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture(params=["page", "nojs_page"], ids=["js", "nojs"])
def any_page(request: pytest.FixtureRequest) -> Page:
    """The same journey with JavaScript on and off."""
    return request.getfixturevalue(request.param)


def logged_in(browser: Browser, server: LiveServer, username: str, password: str) -> Page:
    """A page of a browser context of its own (a second person), logged in; close it with
    `page.context.close()`."""
    context: BrowserContext = browser.new_context(viewport=PHONE, locale="id-ID")
    context.set_default_timeout(10_000)
    page = context.new_page()
    LoginPage(page, server.url).log_in(username, password)
    page.wait_for_url(lambda url: "/masuk" not in url)
    return page


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    """A phone photo of a pothole (JPEG, 1200×900)."""
    path = tmp_path / "jalan-berlubang.jpg"
    image = Image.new("RGB", (1200, 900), (120, 110, 100))
    image.paste((40, 40, 40), (400, 300, 800, 600))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return path
