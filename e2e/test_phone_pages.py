"""Every page of every role on a 360×740 phone: no sideways scrolling, no control smaller than a
fingertip, no console error, no axe-core violation, no Nu Html Checker error (htmx's `hx-*`
attributes aside). The pages come from the app's route table (e2e/phone_walk.py), so a new page
is walked without being added here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Browser

from e2e.conftest import PHONE, ROOT, LiveServer, reset_demo, run_async
from e2e.pages import LoginPage
from e2e.phone_walk import (
    ACCOUNTS,
    MIN_TARGET,
    PageReport,
    concrete,
    java,
    may_open,
    nu_errors,
    page_routes,
    seeded_ids,
    visit,
)
from pengaduan.app import create_app
from pengaduan.settings import load_settings

ROLES = (None, "citizen", "officer", "admin")
Walk = Callable[[str | None], list[PageReport]]


def _role_id(role: str | None) -> str:
    return role or "anonymous"


@pytest.fixture(scope="module")
def walk(browser: Browser, live_server: LiveServer) -> Iterator[Walk]:
    """Walks a role's pages once (on the demo data) and keeps the reports for every check."""
    reset_demo(live_server)
    settings = load_settings(live_server.env)
    routes = page_routes(create_app(settings))
    ids = run_async(seeded_ids, live_server.dsn, settings)
    done: dict[str | None, list[PageReport]] = {}

    def run(role: str | None) -> list[PageReport]:
        if role in done:
            return done[role]
        context = browser.new_context(viewport=PHONE, locale="id-ID")
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            if role:
                LoginPage(page, live_server.url).log_in(*ACCOUNTS[role])
                page.wait_for_url(lambda url: "/masuk" not in url)
            paths = [
                concrete(template, role, ids)
                for template, access in sorted(routes.items())
                if may_open(access, role)
            ]
            done[role] = [visit(page, live_server.url, path, AXE_SCRIPT) for path in paths if path]
        finally:
            context.close()
        return done[role]

    yield run


def _problems(reports: list[PageReport], check: Callable[[PageReport], list[str]]) -> str:
    lines = [f"{r.name}: {problem}" for r in reports for problem in check(r)]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_every_page_the_role_may_open_answers_a_whole_page(walk: Walk, role: str | None) -> None:
    reports = walk(role)
    assert len(reports) >= 5, [r.path for r in reports]
    problems = _problems(
        reports,
        lambda r: (
            []
            if r.status == 200 and r.html.lstrip().lower().startswith("<!doctype html")
            # A fragment or download route belongs in phone_walk.NOT_PAGES, with its reason.
            else [f"answered {r.status}, not a whole page"]
        ),
    )
    assert not problems, problems


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_no_page_scrolls_sideways_on_a_360px_phone(walk: Walk, role: str | None) -> None:
    problems = _problems(walk(role), lambda r: [r.overflow] if r.overflow else [])
    assert not problems, "pages wider than the phone:\n" + problems


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_every_control_is_a_tap_target_of_44px(walk: Walk, role: str | None) -> None:
    problems = _problems(walk(role), lambda r: r.small_targets)
    assert not problems, f"controls under {MIN_TARGET}×{MIN_TARGET} px:\n" + problems


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_no_page_logs_a_console_error(walk: Walk, role: str | None) -> None:
    problems = _problems(walk(role), lambda r: r.console_errors)
    assert not problems, "console errors:\n" + problems


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_axe_core_finds_no_violation(walk: Walk, role: str | None) -> None:
    problems = _problems(walk(role), lambda r: r.axe)
    assert not problems, "axe-core violations:\n" + problems


@pytest.mark.parametrize("role", ROLES, ids=_role_id)
def test_the_nu_html_checker_finds_no_error(walk: Walk, role: str | None) -> None:
    if java() is None:
        pytest.skip("the Nu Html Checker needs java: apt-get install -y default-jre-headless")
    reports = walk(role)
    found = nu_errors(
        {r.name: r.html for r in reports}, Path(ROOT / "var" / "e2e" / f"vnu-{_role_id(role)}")
    )
    problems = "\n".join(f"{path}: {error}" for path, errors in found.items() for error in errors)
    assert not problems, "Nu Html Checker errors:\n" + problems
