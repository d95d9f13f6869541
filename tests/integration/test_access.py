"""Every route declares who may use it; each role gets the answer the table says. CSRF on all
unsafe routes."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar import Litestar

from pengaduan.accounts.guards import LANDING

# (method, path) -> access level. A route missing here fails the test: add it consciously.
ROUTE_TABLE: dict[tuple[str, str], str] = {
    ("GET", "/"): "anyone",
    ("GET", "/healthz"): "anyone",
    ("GET", "/static/{file_path:path}"): "anyone",
    ("POST", "/bahasa"): "anyone",
    ("GET", "/bahasa"): "anyone",
    ("GET", "/daftar"): "guest",
    ("POST", "/daftar"): "guest",
    ("GET", "/masuk"): "guest",
    ("POST", "/masuk"): "guest",
    ("GET", "/konfirmasi-email/{token:str}"): "anyone",
    ("POST", "/konfirmasi-email/{token:str}"): "anyone",
    ("POST", "/akun/kirim-konfirmasi"): "user",
    ("POST", "/keluar"): "user",
    ("POST", "/keluar-semua"): "user",
    ("GET", "/lupa-sandi"): "anyone",
    ("POST", "/lupa-sandi"): "anyone",
    ("GET", "/atur-ulang-sandi/{token:str}"): "anyone",
    ("POST", "/atur-ulang-sandi/{token:str}"): "anyone",
    ("GET", "/undangan/{token:str}"): "anyone",
    ("POST", "/undangan/{token:str}"): "anyone",
    # Password reset without email: a code (SMS or service desk); the desk is for staff.
    ("GET", "/lupa-sandi/kode"): "anyone",
    ("POST", "/lupa-sandi/kode"): "anyone",
    ("GET", "/petugas/layanan-sandi"): "staff",
    ("POST", "/petugas/layanan-sandi/{user_id:int}"): "staff",
    # The development mailbox (404 in production, whoever asks).
    ("GET", "/dev/surat"): "anyone",
    ("GET", "/dev/surat/{name:str}"): "anyone",
    ("GET", "/akun"): "user",
    ("POST", "/akun"): "user",
    ("POST", "/akun/sandi"): "user",
    ("POST", "/akun/sesi/{session_id:int}/akhiri"): "user",
    ("GET", "/petugas"): "officer",
    ("GET", "/petugas/antrean"): "staff",
    ("GET", "/petugas/pengaduan/{complaint_id:int}"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/ambil"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/verifikasi"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/tolak"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/proses"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/selesai"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/balas"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/catatan"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/teruskan"): "staff",
    ("POST", "/petugas/pengaduan/{complaint_id:int}/tugaskan"): "staff",
    ("GET", "/arsip"): "anyone",
    ("GET", "/arsip/{number:str}"): "anyone",
    # API keys (admin page).
    ("GET", "/admin/kunci-api"): "admin",
    ("POST", "/admin/kunci-api"): "admin",
    ("POST", "/admin/kunci-api/{key_id:int}/cabut"): "admin",
    # Open311 GeoReport v2: open to anyone; filing needs an api_key (tests/integration/
    # test_open311.py and test_api_keys.py), not a session or a CSRF token.
    ("GET", "/open311/discovery.json"): "anyone",
    ("GET", "/open311/discovery.xml"): "anyone",
    ("GET", "/open311/v2/services.json"): "anyone",
    ("GET", "/open311/v2/services.xml"): "anyone",
    ("GET", "/open311/v2/services/{code:str}"): "anyone",
    ("GET", "/open311/v2/requests.json"): "anyone",
    ("GET", "/open311/v2/requests.xml"): "anyone",
    ("GET", "/open311/v2/requests/{request_id:str}"): "anyone",
    ("POST", "/open311/v2/requests.json"): "keyed",
    ("POST", "/open311/v2/requests.xml"): "keyed",
    ("GET", "/arsip/peta"): "anyone",
    ("GET", "/arsip/peta/titik"): "anyone",
    ("GET", "/petugas/antrean/peta"): "staff",
    ("GET", "/petugas/antrean/peta/titik"): "staff",
    ("GET", "/pengaduan/serupa"): "anyone",
    # Citizens' complaints: file, follow, discuss, rate; tracking without an account.
    ("GET", "/pengaduan/baru"): "citizen",
    ("POST", "/pengaduan/baru"): "citizen",
    ("GET", "/pengaduan/saran-kategori"): "citizen",
    ("GET", "/pengaduan/{complaint_id:int}/terkirim"): "citizen",
    ("GET", "/pengaduan-saya"): "citizen",
    ("GET", "/pengaduan/{complaint_id:int}"): "user",
    ("GET", "/pengaduan/{complaint_id:int}/status"): "user",
    ("GET", "/pengaduan/{complaint_id:int}/linimasa"): "user",
    ("GET", "/pengaduan/{complaint_id:int}/bukti/{file_id:int}"): "user",
    ("GET", "/pengaduan/{complaint_id:int}/ubah"): "citizen",
    ("POST", "/pengaduan/{complaint_id:int}/ubah"): "citizen",
    ("GET", "/pengaduan/{complaint_id:int}/cabut"): "citizen",
    ("POST", "/pengaduan/{complaint_id:int}/cabut"): "citizen",
    ("POST", "/pengaduan/{complaint_id:int}/pesan"): "citizen",
    ("POST", "/pengaduan/{complaint_id:int}/nilai"): "citizen",
    ("POST", "/pengaduan/{complaint_id:int}/buka-kembali"): "citizen",
    ("GET", "/lacak"): "anyone",
    ("POST", "/lacak"): "anyone",
    ("GET", "/admin"): "admin",
    ("GET", "/admin/pengguna"): "admin",
    ("GET", "/admin/pengguna/baru"): "admin",
    ("POST", "/admin/pengguna/baru"): "admin",
    ("GET", "/admin/pengguna/{user_id:int}"): "admin",
    ("POST", "/admin/pengguna/{user_id:int}/peran"): "admin",
    ("POST", "/admin/pengguna/{user_id:int}/nonaktifkan"): "admin",
    ("POST", "/admin/pengguna/{user_id:int}/aktifkan"): "admin",
    ("POST", "/admin/pengguna/{user_id:int}/kirim-reset"): "admin",
    # Agency admin: units, categories, response templates; all-units complaints; audit log.
    ("GET", "/admin/unit"): "admin",
    ("GET", "/admin/unit/baru"): "admin",
    ("POST", "/admin/unit/baru"): "admin",
    ("GET", "/admin/unit/{unit_id:int}"): "admin",
    ("POST", "/admin/unit/{unit_id:int}"): "admin",
    ("POST", "/admin/unit/{unit_id:int}/nonaktifkan"): "admin",
    ("POST", "/admin/unit/{unit_id:int}/aktifkan"): "admin",
    ("GET", "/admin/kategori"): "admin",
    ("GET", "/admin/kategori/baru"): "admin",
    ("POST", "/admin/kategori/baru"): "admin",
    ("GET", "/admin/kategori/{category_id:int}"): "admin",
    ("POST", "/admin/kategori/{category_id:int}"): "admin",
    ("POST", "/admin/kategori/{category_id:int}/nonaktifkan"): "admin",
    ("POST", "/admin/kategori/{category_id:int}/aktifkan"): "admin",
    ("POST", "/admin/kategori/{category_id:int}/hapus"): "admin",
    ("GET", "/admin/templat-tanggapan"): "admin",
    ("GET", "/admin/templat-tanggapan/baru"): "admin",
    ("POST", "/admin/templat-tanggapan/baru"): "admin",
    ("GET", "/admin/templat-tanggapan/{template_id:int}"): "admin",
    ("POST", "/admin/templat-tanggapan/{template_id:int}"): "admin",
    ("POST", "/admin/templat-tanggapan/{template_id:int}/nonaktifkan"): "admin",
    ("POST", "/admin/templat-tanggapan/{template_id:int}/aktifkan"): "admin",
    ("GET", "/admin/pengaduan"): "admin",
    ("POST", "/admin/pengaduan/tugaskan"): "admin",
    ("GET", "/admin/pengaduan/{complaint_id:int}/tugaskan"): "admin",
    ("POST", "/admin/pengaduan/{complaint_id:int}/tugaskan"): "admin",
    ("GET", "/admin/audit"): "admin",
    ("GET", "/admin/cadangan"): "admin",
    # Notification centre (the bell, the list, marking read, preferences); dead outbox.
    ("GET", "/notifikasi/lonceng"): "user",
    ("GET", "/notifikasi"): "user",
    ("GET", "/notifikasi/{notification_id:int}"): "user",
    ("POST", "/notifikasi/{notification_id:int}"): "user",
    ("POST", "/notifikasi/{notification_id:int}/baca"): "user",
    ("POST", "/notifikasi/baca-semua"): "user",
    ("GET", "/notifikasi/pengaturan"): "user",
    ("POST", "/notifikasi/pengaturan"): "user",
    ("GET", "/admin/kotak-keluar"): "admin",
    ("POST", "/admin/kotak-keluar/{outbox_id:int}/ulang"): "admin",
    # Statistics, exports, the monthly report; the public transparency page.
    ("GET", "/admin/statistik"): "admin",
    ("GET", "/admin/statistik/kartu"): "admin",
    ("GET", "/admin/statistik/ekspor.csv"): "admin",
    ("GET", "/admin/statistik/ekspor.xlsx"): "admin",
    ("GET", "/admin/pengaduan/ekspor.csv"): "admin",
    ("GET", "/admin/pengaduan/ekspor.xlsx"): "admin",
    ("GET", "/admin/laporan"): "admin",
    ("GET", "/transparansi"): "anyone",
    # Live updates: the event stream of an open page (406 to anything but an EventSource).
    ("GET", "/langsung"): "user",
    # The SMS gateway's inbound webhook: proved by its signature (404 without a secret).
    ("POST", "/antarmuka/pesan-masuk"): "signed",
    # Outside agencies (hand-over): the admin's pages; what agencies call, signed by them.
    ("GET", "/admin/instansi-luar"): "admin",
    ("GET", "/admin/instansi-luar/baru"): "admin",
    ("POST", "/admin/instansi-luar/baru"): "admin",
    ("GET", "/admin/instansi-luar/{agency_id:int}"): "admin",
    ("POST", "/admin/instansi-luar/{agency_id:int}"): "admin",
    ("POST", "/admin/instansi-luar/{agency_id:int}/rahasia"): "admin",
    ("POST", "/admin/instansi-luar/{agency_id:int}/nonaktifkan"): "admin",
    ("POST", "/admin/instansi-luar/{agency_id:int}/aktifkan"): "admin",
    ("POST", "/antarmuka/instansi-luar/v1/pembaruan"): "signed",
    ("GET", "/antarmuka/instansi-luar/v1/bukti/{file_id:int}"): "signed",
    # The mobile app's JSON API: a bearer token, never the cookie (tests/integration/
    # test_api_v1.py walks these with tokens; the walks below leave them out).
    ("POST", "/api/v1/login"): "anyone",
    ("POST", "/api/v1/logout"): "citizen",
    ("GET", "/api/v1/categories"): "citizen",
    ("GET", "/api/v1/complaints"): "citizen",
    ("POST", "/api/v1/complaints"): "citizen",
    ("GET", "/api/v1/complaints/{complaint_id:int}"): "citizen",
    ("GET", "/api/v1/complaints/{complaint_id:int}/evidence/{file_id:int}"): "citizen",
    ("POST", "/api/v1/complaints/{complaint_id:int}/messages"): "citizen",
    ("POST", "/api/v1/complaints/{complaint_id:int}/rating"): "citizen",
    ("POST", "/api/v1/complaints/{complaint_id:int}/reopen"): "citizen",
    ("POST", "/api/v1/complaints/{complaint_id:int}/withdraw"): "citizen",
    ("GET", "/api/v1"): "anyone",
    ("GET", "/api/v1/openapi.json"): "anyone",
    ("GET", "/api/v1/docs"): "anyone",
    ("GET", "/api/v1/{path:str}"): "anyone",
}
# Routes for machines that prove themselves by a signature or an api_key, not a session: no CSRF
# token asked (web.csrf.MACHINE_ACCESS). Their own tests refuse a missing or wrong proof.
SIGNED_ROUTES = {
    ("POST", "/antarmuka/pesan-masuk"),
    ("POST", "/antarmuka/instansi-luar/v1/pembaruan"),
    ("GET", "/antarmuka/instansi-luar/v1/bukti/{file_id:int}"),
    ("POST", "/open311/v2/requests.json"),
    ("POST", "/open311/v2/requests.xml"),
}
# Routes that the cookie-session walks below leave to their own tests.
API_PREFIX = "/api/v1"
ALLOWED = {
    "anyone": {None, "citizen", "officer", "admin"},
    "guest": {None},
    "user": {"citizen", "officer", "admin"},
    "citizen": {"citizen"},
    "officer": {"officer"},
    "admin": {"admin"},
    "staff": {"officer", "admin"},
    "signed": set(),  # nobody by session: only a valid signature (401, or 404 for a link)
    "keyed": set(),  # nobody by session: only a valid api_key (403)
}
ROLES = (None, "citizen", "officer", "admin")


def registered_routes(app: Litestar) -> dict[tuple[str, str], str | None]:
    found = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in handler.http_methods:
                if method in ("HEAD", "OPTIONS"):
                    continue
                found[(method, route.path)] = handler.opt.get("access")
    return found


def test_every_route_is_in_the_table_with_its_declared_access(app: Litestar) -> None:
    routes = registered_routes(app)
    missing = sorted(set(routes) - set(ROUTE_TABLE))
    assert missing == [], f"routes missing from ROUTE_TABLE: {missing}"
    stale = sorted(set(ROUTE_TABLE) - set(routes))
    assert stale == [], f"ROUTE_TABLE names routes that no longer exist: {stale}"
    wrong = {key: routes[key] for key in routes if routes[key] != ROUTE_TABLE[key]}
    assert wrong == {}, f"declared access differs from the table: {wrong}"


def test_only_signed_webhooks_skip_the_csrf_check(app: Litestar) -> None:
    from pengaduan.web.csrf import MACHINE_ACCESS

    excluded = {
        (method, route.path)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        for method in handler.http_methods
        if handler.opt.get("access") in MACHINE_ACCESS and method not in ("HEAD", "OPTIONS")
    }
    assert excluded == SIGNED_ROUTES


def _concrete(path: str, ids: dict[str, int]) -> str:
    path = path.replace("{file_path:path}", "css/app.css")
    path = path.replace("{token:str}", "not-a-valid-token")
    path = path.replace("{number:str}", "ADU-2026-000001")
    path = path.replace("{name:str}", "20261204T170000000000-1.eml")
    path = path.replace("{code:str}", "1.json").replace("{key_id:int}", "1")
    path = path.replace("{request_id:str}", "ADU-2026-000001.json")
    for name in ("unit", "category", "template", "complaint", "file"):
        if name in ids:
            path = path.replace(f"{{{name}_id:int}}", str(ids[name]))
    # No such notification or message: the roles allowed get 404, the others 403 first.
    path = re.sub(r"\{(notification|outbox|agency|session)_id:int\}", "1", path)
    path = path.replace("{path:str}", "tidak-ada")
    return re.sub(r"\{user_id:int\}", str(ids["officer"]), path)


@pytest.fixture
async def agency_ids(people: dict[str, int]) -> dict[str, int]:
    """Real ids for the agency routes' path parameters, added to `people`."""
    from tests.factories import make_category, make_complaint, make_response_template

    people["category"] = await make_category(people["unit"])
    people["template"] = await make_response_template(people["category"])
    people["complaint"] = await make_complaint(
        reporter=people["citizen"], category=people["category"], unit=people["unit"]
    )
    return people


@pytest.fixture
async def evidence_ids(agency_ids: dict[str, int]) -> dict[str, int]:
    """An evidence file (stored for real) on the citizen's complaint, for `{file_id:int}`."""
    from tests.factories import attach_evidence

    agency_ids["file"] = await attach_evidence(agency_ids["complaint"], agency_ids["citizen"])
    return agency_ids


@pytest.mark.usefixtures("agency_ids", "evidence_ids")
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
async def test_each_role_gets_what_the_table_says(
    app: Litestar, people: dict[str, int], as_role, role: str | None
) -> None:
    problems = []
    for (method, path), access in sorted(ROUTE_TABLE.items()):
        if access == "keyed" or path.startswith(API_PREFIX):
            continue  # an api_key or a bearer token answers, whoever is logged in by cookie
        # A new session per route: logging out must not change the next answer.
        client: httpx.AsyncClient = await as_role(role)
        url = _concrete(path, people)
        response = await client.request(method, url, data={} if method == "POST" else None)
        status = response.status_code
        location = response.headers.get("location", "")
        if access == "signed":
            if status not in (401, 404):
                problems.append(f"{method} {path}: unsigned, {role} got {status}")
        elif role in ALLOWED[access]:
            if status in (401, 403) or location.startswith("/masuk?"):
                problems.append(f"{method} {path}: {role} refused ({status} {location})")
        elif role is None:
            if not (status == 303 and location.startswith("/masuk?next=")):
                problems.append(f"{method} {path}: anonymous got {status} {location}")
        elif access == "guest":
            if not (status == 303 and location == LANDING[role]):
                problems.append(f"{method} {path}: {role} got {status} {location}")
        elif status != 403:
            problems.append(f"{method} {path}: {role} got {status}, expected 403")
    assert problems == []


@pytest.mark.usefixtures("agency_ids", "evidence_ids")
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
async def test_every_unsafe_route_refuses_a_request_without_csrf_token(
    app: Litestar, people: dict[str, int], as_role, role: str | None
) -> None:
    client: httpx.AsyncClient = await as_role(role, csrf=False)
    await client.get("/lacak")  # the csrftoken cookie is there; only the token is missing
    assert "csrftoken" in client.cookies
    answers = {}
    for (method, path), _access in ROUTE_TABLE.items():
        if (
            method in ("GET", "HEAD")
            or _access in ("signed", "keyed")
            or path.startswith(API_PREFIX)
        ):
            continue  # proved by signature, api_key or bearer token: nothing to forge
        response = await client.request(method, _concrete(path, people), data={"x": "1"})
        answers[f"{method} {path}"] = response.status_code
    assert set(answers.values()) == {403}, answers


async def test_a_wrong_token_is_refused_too(bare_client: httpx.AsyncClient) -> None:
    await bare_client.get("/")
    response = await bare_client.post("/bahasa", data={"lang": "en", "_csrf_token": "forged"})
    assert response.status_code == 403


async def test_login_required_answers_htmx_with_a_redirect_header(
    bare_client: httpx.AsyncClient,
) -> None:
    response = await bare_client.get("/akun", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"].startswith("/masuk?next=")


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for url in ("/", "/masuk", "/tidak-ada", "/static/css/app.css", "/healthz"):
        headers = (await client.get(url)).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # development: plain http


def test_pages_carry_no_inline_script() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script(?P<attrs>[^>]*)>", text):
            assert "src=" in match.group("attrs"), f"inline script in {template}"
        assert " on" not in re.sub(r"\s+", " ", text).lower().replace(" one", "") or not re.search(
            r"\son[a-z]+=", text
        ), f"inline event handler in {template}"
