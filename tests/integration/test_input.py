"""Bad input, case by case (issue 12, item 4): an id past PostgreSQL's `integer` is "not found"
or a message beside its field, a NUL byte or bytes that are not UTF-8 are refused beside their
field with the typed values kept, dates are limited to 1900-2200. Never a 500, never a
traceback in the log. (test_input_fuzz.py throws generated values at every route.)"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar

from tests.factories import make_category, make_complaint, make_response_template
from tests.integration.test_input_fuzz import routes_of

PAST = "2147483648"  # one past PostgreSQL's integer
UNREADABLE = "karakter yang tidak dapat dibaca"  # the Indonesian message, in part
DATE_MESSAGE = "Masukkan tanggal dengan format TTTT-BB-HH."
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def no_traceback(caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    """Every test here: nothing logged as an error."""
    caplog.set_level(logging.ERROR)
    yield
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


@pytest.fixture
async def world(people: dict[str, int]) -> dict[str, int]:
    ids = dict(people)
    ids["category"] = await make_category(people["unit"])
    ids["template"] = await make_response_template(ids["category"])
    ids["complaint"] = await make_complaint(
        reporter=people["citizen"], category=ids["category"], unit=people["unit"]
    )
    return ids


def field_error(page: str, name: str) -> str:
    match = re.search(rf'<p class="error" id="e-{name}">([^<]*)</p>', page)
    assert match, f"no message beside {name}"
    return match.group(1)


# --- integers past what the column holds ---------------------------------------------------------

ROLE_FOR = {"anyone": "citizen", "user": "citizen", "citizen": "citizen"}


async def test_an_id_past_integer_in_any_path_is_not_found(
    app: Litestar, as_role, world: dict[str, int]
) -> None:
    clients: dict[str, httpx.AsyncClient] = {}
    answers = {}
    for route in routes_of(app):
        # The JSON API takes no cookie session: test_api_v1 asks it with a token.
        if ":int}" not in route.path or route.path.startswith("/api/v1/"):
            continue
        role = ROLE_FOR.get(route.access, "admin")
        if role not in clients:
            clients[role] = await as_role(role)
        path = re.sub(r"\{\w+:int\}", PAST, route.path)
        response = await clients[role].request(
            route.method, path, data={} if route.method == "POST" else None
        )
        answers[f"{route.method} {route.path}"] = response.status_code
    assert len(answers) > 40
    assert set(answers.values()) == {404}, answers


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (None, "/arsip?category=99999999999999999999"),
        ("officer", f"/petugas/antrean?category={PAST}"),
        ("admin", f"/petugas/antrean?unit={PAST}"),
        ("admin", f"/admin/pengaduan?unit={PAST}"),
        ("admin", f"/admin/pengaduan?category={PAST}"),
        ("admin", f"/admin/pengaduan/ekspor.csv?unit={PAST}"),
        ("admin", f"/admin/pengaduan/ekspor.xlsx?category={PAST}"),
        ("admin", "/admin/pengguna?page=99999999999999999999"),
        ("admin", f"/admin/pengguna?unit={PAST}"),
        ("admin", "/admin/templat-tanggapan?kategori=²"),  # a digit to isdigit(), not to int()
        ("citizen", "/pengaduan-saya?halaman=²"),
        ("citizen", "/notifikasi?halaman=²"),
    ],
)
async def test_an_integer_no_column_holds_in_a_query_filters_nothing_out(
    as_role, world: dict[str, int], role: str | None, url: str
) -> None:
    response = await (await as_role(role)).get(url)
    assert response.status_code == 200, url


async def test_following_a_complaint_past_integer_on_the_live_stream_is_not_found(
    as_role, world: dict[str, int]
) -> None:
    citizen = await as_role("citizen")
    for value in ("99999999999", "²", "-1"):
        response = await citizen.get(
            f"/langsung?pengaduan={value}", headers={"accept": "text/event-stream"}
        )
        assert response.status_code == 404, value


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("/petugas/pengaduan/{complaint}/verifikasi", {"category": PAST}, "category"),
        ("/petugas/pengaduan/{complaint}/teruskan", {"unit": PAST, "forward_note": "x"}, "unit"),
        ("/petugas/pengaduan/{complaint}/tugaskan", {"officer": PAST}, "officer"),
        ("/admin/pengaduan/{complaint}/tugaskan", {"officer": PAST}, "officer"),
    ],
)
async def test_an_id_past_integer_in_a_handling_form_is_a_message_beside_it(
    as_role, world: dict[str, int], path: str, data: dict[str, str], field: str
) -> None:
    admin = await as_role("admin")
    response = await admin.post(path.format(**world), data=data)
    assert response.status_code == 422
    assert field_error(response.text, field)


async def test_an_officer_past_integer_in_the_bulk_assignment_is_refused(
    as_role, world: dict[str, int]
) -> None:
    admin = await as_role("admin")
    response = await admin.post(
        "/admin/pengaduan/tugaskan",
        data={"officer": PAST, "complaint": [str(world["complaint"]), PAST], "back": ""},
    )
    assert response.status_code == 422
    assert 'id="assign-error"' in response.text


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        (
            "/admin/kategori/baru",
            {"name": "Banjir", "default_unit": PAST, "deadline_days": "7"},
            "default_unit",
        ),
        (
            "/admin/kategori/baru",
            {"name": "Banjir", "default_unit": "{unit}", "deadline_days": "99999999999"},
            "deadline_days",
        ),
        (
            "/admin/templat-tanggapan/baru",
            {"title": "Terima kasih", "body": "Sudah kami tangani.", "category": PAST},
            "category",
        ),
        (
            "/admin/pengguna/baru",
            {
                "role": "officer",
                "full_name": "Petugas Baru",
                "username": "petugas_baru",
                "email": "baru@uji.test",
                "nip": "1" * 18,
                "unit": PAST,
            },
            "unit",
        ),
    ],
)
async def test_an_id_past_integer_in_an_admin_form_is_a_message_beside_it(
    as_role, world: dict[str, int], path: str, data: dict[str, str], field: str
) -> None:
    admin = await as_role("admin")
    data = {key: value.format(**world) for key, value in data.items()}
    response = await admin.post(path, data=data)
    assert response.status_code == 422
    assert field_error(response.text, field)


async def test_a_unit_past_integer_in_a_role_change_is_refused(
    as_role, world: dict[str, int]
) -> None:
    admin = await as_role("admin")
    response = await admin.post(
        f"/admin/pengguna/{world['officer']}/peran", data={"role": "officer", "unit": PAST}
    )
    assert response.status_code == 303
    page = await admin.get(response.headers["location"])
    assert "Pilih salah satu unit yang aktif." in page.text


# --- NUL bytes and bytes that are not UTF-8 ------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "path", "data", "field"),
    [
        (None, "/masuk", {"identifier": "warga\x00", "password": "x"}, "identifier"),
        (None, "/lupa-sandi", {"identifier": "warga\x00"}, "identifier"),
        (
            None,
            "/daftar",
            {
                "full_name": "Siti\x00Aminah",
                "nik": "3273014507900002",
                "username": "siti",
                "password": "kata-sandi-uji-123",
                "password_confirm": "kata-sandi-uji-123",
            },
            "full_name",
        ),
        (None, "/lacak", {"number": "ADU-2026-000001\x00", "code": "ABCD2345"}, "number"),
        ("citizen", "/akun", {"full_name": "Warga\x00", "email": "warga@uji.test"}, "full_name"),
        ("citizen", "/pengaduan/{complaint}/pesan", {"message": "Halo\x00 petugas"}, "message"),
        (
            "officer",
            "/petugas/pengaduan/{complaint}/tolak",
            {"reason": "Bukan\x00 wewenang kami"},
            "reason",
        ),
        ("officer", "/petugas/pengaduan/{complaint}/catatan", {"note": "Catatan\x00"}, "note"),
        ("admin", "/admin/unit/baru", {"name": "Dinas\x00 Baru"}, "name"),
        ("admin", "/admin/unit/{unit}", {"name": "Dinas\x00 Baru"}, "name"),
    ],
)
async def test_a_nul_byte_in_a_form_field_is_a_message_beside_it_with_the_values_kept(
    as_role,
    world: dict[str, int],
    role: str | None,
    path: str,
    data: dict[str, str],
    field: str,
) -> None:
    client = await as_role(role)
    response = await client.post(path.format(**world), data=data)
    assert response.status_code == 422, response.text[:500]
    assert UNREADABLE in field_error(response.text, field)
    kept = data[field].replace("\x00", "\ufffd")
    assert kept in response.text


async def test_a_nul_byte_in_the_reply_comes_back_in_the_reply_box(
    as_role, world: dict[str, int]
) -> None:
    officer = await as_role("officer")
    base = f"/petugas/pengaduan/{world['complaint']}"
    assert (await officer.post(f"{base}/ambil")).status_code == 303
    assert (await officer.post(f"{base}/verifikasi", data={})).status_code == 303
    response = await officer.post(f"{base}/balas", data={"body": "Terima\x00 kasih"})
    assert response.status_code == 422
    assert UNREADABLE in field_error(response.text, "body")
    assert "Terima\ufffd kasih" in response.text


async def test_bytes_that_are_not_utf8_in_an_urlencoded_form_are_refused(
    as_role, world: dict[str, int]
) -> None:
    client = await as_role(None)
    for body in (b"identifier=warga%FF&password=x", b"identifier=warga\xff&password=x"):
        response = await client.post("/masuk", content=body, headers={"content-type": FORM})
        assert response.status_code == 422
        assert UNREADABLE in field_error(response.text, "identifier")
        assert 'value="warga\ufffd"' in response.text


async def test_bytes_that_are_not_utf8_in_the_multipart_complaint_form_are_refused(
    as_role, world: dict[str, int]
) -> None:
    citizen = await as_role("citizen")
    page = await citizen.get("/pengaduan/baru")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    fields = {
        "idempotency_key": key,
        "title": "Jalan berlubang \xff di depan pasar",
        "description": "Lubang besar sekitar satu meter, dua motor jatuh minggu ini.",
        "category": str(world["category"]),
        "urgency": "normal",
    }
    parts = [(name, (None, value.encode("latin-1"))) for name, value in fields.items()]
    response = await citizen.post("/pengaduan/baru", files=parts)
    assert response.status_code == 422, response.text[:500]
    assert UNREADABLE in field_error(response.text, "title")
    assert "Jalan berlubang \ufffd di depan pasar" in response.text
    assert "Lubang besar sekitar satu meter" in response.text  # the other values are kept


async def test_a_nul_byte_in_the_complaint_form_is_refused_and_nothing_is_filed(
    app: Litestar, as_role, world: dict[str, int], db_dsn: str
) -> None:
    citizen = await as_role("citizen")
    page = await citizen.get("/pengaduan/baru")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    response = await citizen.post(
        "/pengaduan/baru",
        data={
            "idempotency_key": key,
            "title": "Jalan berlubang di depan pasar",
            "description": "Lubang besar\x00 sekitar satu meter.",
            "category": str(world["category"]),
            "location_text": "Jl. Merdeka\x00",
        },
        files={"evidence": ("", b"", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert UNREADABLE in field_error(response.text, "description")
    assert UNREADABLE in field_error(response.text, "location_text")
    complaint = world["complaint"]
    response = await citizen.post(
        f"/pengaduan/{complaint}/ubah",
        data={
            "title": "Judul\x00 baru",
            "description": "Cukup panjang untuk lolos.",
            "category": str(world["category"]),
        },
    )
    assert response.status_code == 422
    assert UNREADABLE in field_error(response.text, "title")


@pytest.mark.parametrize(
    ("role", "url", "status", "field"),
    [
        (None, "/arsip?q=jalan%00", 422, "q"),
        (None, "/arsip?location=pasar%00", 422, "location"),
        (None, "/lacak?nomor=ADU-2026-000001%00&kode=ABCD2345", 422, "number"),
        ("admin", "/admin/audit?actor=warga%00", 200, "actor"),
        ("admin", "/admin/audit?action=complaint%00", 200, "action"),
    ],
)
async def test_a_nul_byte_in_a_filter_is_a_message_beside_it(
    as_role, world: dict[str, int], role: str | None, url: str, status: int, field: str
) -> None:
    response = await (await as_role(role)).get(url)
    assert response.status_code == status
    assert UNREADABLE in field_error(response.text, field)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        ("officer", "/petugas/antrean?q=jalan%00"),
        ("admin", "/admin/pengaduan?q=jalan%00"),
        ("admin", "/admin/pengaduan/ekspor.csv?q=jalan%00"),
        ("admin", "/admin/pengguna?q=warga%00"),
    ],
)
async def test_a_nul_byte_in_a_search_of_a_list_is_left_out(
    as_role, world: dict[str, int], role: str, url: str
) -> None:
    response = await (await as_role(role)).get(url)
    assert response.status_code == 200


# --- dates --------------------------------------------------------------------------------------


async def test_dates_outside_1900_to_2200_in_the_archive_get_the_date_message(
    as_role, world: dict[str, int]
) -> None:
    client = await as_role(None)
    response = await client.get("/arsip?from=0001-01-01&to=9999-12-31")
    assert response.status_code == 422
    assert field_error(response.text, "from") == DATE_MESSAGE
    assert field_error(response.text, "to") == DATE_MESSAGE
    assert 'value="0001-01-01"' in response.text  # as typed


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=1899-12-31"])
async def test_dates_outside_1900_to_2200_in_the_audit_log_get_the_date_message(
    as_role, world: dict[str, int], query: str
) -> None:
    admin = await as_role("admin")
    response = await admin.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert field_error(response.text, query[: query.index("=")]) == DATE_MESSAGE


async def test_a_raw_byte_past_ascii_in_the_query_string_is_read_as_a_browser_sends_it(
    app: Litestar,
) -> None:
    """Servers pass such bytes on as they came; Litestar decodes them as UTF-8 for the page's
    own address (the error page's login link too)."""
    from tests.integration.test_input_fuzz import Call, asgi_call

    for path in (b"/arsip", b"/tidak-ada"):
        answer = await asgi_call(app, Call("GET", path, b"q=jalan\xff"), "", "")
        assert answer.status in (200, 404)
