"""Open311 GeoReport v2 read by an independent client library (PyPI `georeport`, which speaks
the specification and knows nothing of this code) against the real server, in JSON and XML;
a request filed per the specification; every element name checked against the
specification's lists below; and the public archive's privacy rules.

The lists are the specification's (wiki.open311.org/GeoReport_v2), field by field.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import requests
from georeport import GeoReport

from pengaduan.apikeys import services as apikeys
from pengaduan.complaints.tables import Message, StatusHistory
from tests.factories import make_complaint_in
from tests.support.databases import fetch_rows
from tests.support.images import jpeg
from tests.support.net import free_port, http_served
from tests.support.serving import PENGADUAN, cli_env, wait_healthy

# --- the specification's element names ----------------------------------------------------------

DISCOVERY = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT = {"specification", "url", "changeset", "type", "formats"}
SERVICE = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
DEFINITION = {"service_code", "attributes"}
ATTRIBUTE = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
REQUEST = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
CREATED = {"service_request_id", "token", "service_notice", "account_id"}
ERROR = {"code", "description"}
# The XML roots and their items.
ROOTS = {
    "services": ("services", "service"),
    "definition": ("service_definition", None),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
    "discovery": ("discovery", None),
}

JURISDICTION = "127.0.0.1"
SECRET = "open311-test-" + "k" * 30


class _Files(http.server.BaseHTTPRequestHandler):
    photo = jpeg((400, 300))

    def do_GET(self) -> None:
        found = self.path == "/foto.jpg"
        body = self.photo if found else b""
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def files_server() -> Iterator[str]:
    with http_served(_Files) as url:
        yield url


def _server_folder() -> Path:
    folder = Path(__file__).resolve().parents[2] / "var" / "tmp" / f"open311-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
async def server(db_dsn: str) -> AsyncIterator[str]:
    """`pengaduan serve` (one worker) on the test database; media links may be local."""
    port = free_port()
    folder = _server_folder()
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(  # noqa: ASYNC220 (starting it does not wait)
            [*PENGADUAN, "serve", "--port", str(port), "--workers", "1"],
            env=cli_env(
                PENGADUAN_DATA_DIR=str(folder),
                DATABASE_URL=db_dsn,
                PENGADUAN_SECRET_KEY=SECRET,
                PENGADUAN_OUTBOX_IN_APP="false",
                PENGADUAN_FETCH_PRIVATE_HOSTS="true",
                PENGADUAN_BASE_URL=f"http://{JURISDICTION}:{port}",
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        await asyncio.to_thread(wait_healthy, f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            await asyncio.to_thread(proc.wait, 30)
    assert "Traceback" not in log_path.read_text(), log_path.read_text()[-3000:]


def items(value: Any) -> list[dict[str, Any]]:
    """xmltodict gives one element as a dict, several as a list, none as None."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def xml_children(text: str, kind: str) -> list[set[str]]:
    """The child element names of each item of an XML document of `kind`, checking its
    declaration and root."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(text.encode())
    root_name, item = ROOTS[kind]
    assert root.tag == root_name
    if item is None:
        return [{child.tag for child in root}]
    assert all(child.tag == item for child in root)
    return [{field.tag for field in child} for child in root]


@pytest.fixture
async def world(unit_data: dict[str, int]) -> dict[str, Any]:
    """Public complaints (open, resolved with an official response, rejected with a reason,
    anonymous, one older than 90 days), a private one and a withdrawn one."""
    now = datetime.now(UTC)
    ids: dict[str, Any] = dict(unit_data)
    ids["open"] = await make_complaint_in(
        unit_data,
        title="Lampu jalan mati di Jalan Merdeka",
        body="Lampu jalan mati sejak seminggu, gelap sekali di malam hari.",
        latitude=-6.2,
        longitude=106.816,
        location_text="Jl. Merdeka 1",
    )
    ids["resolved"] = await make_complaint_in(
        unit_data, title="Sampah menumpuk", status="resolved", resolved_at=now
    )
    for body, visibility, official in [
        ("Sudah diperbaiki oleh petugas.", "public", True),
        ("Catatan internal: pelapor tetangga kepala dinas.", "internal", False),
    ]:
        await Message.insert(
            Message(
                complaint=ids["resolved"],
                author=unit_data["officer"],
                body=body,
                visibility=visibility,
                is_official_response=official,
                created_at=now,
            )
        )
    ids["rejected"] = await make_complaint_in(
        unit_data,
        title="Bukan urusan kami",
        status="rejected",
        category=unit_data["other_category"],
        unit=unit_data["other_unit"],
    )
    await StatusHistory.insert(
        StatusHistory(
            complaint=ids["rejected"],
            old_status="pending",
            new_status="rejected",
            changed_by=unit_data["officer"],
            note="Di luar wewenang dinas.",
            changed_at=now,
        )
    )
    ids["anonymous"] = await make_complaint_in(
        unit_data, title="Pungutan liar di kantor", is_anonymous=True
    )
    ids["old"] = await make_complaint_in(
        unit_data, title="Keluhan lama sekali", submitted_at=now - timedelta(days=100)
    )
    ids["private"] = await make_complaint_in(
        unit_data, title="Rahasia keluarga saya", is_public=False
    )
    ids["withdrawn"] = await make_complaint_in(
        unit_data, title="Sudah saya cabut", status="withdrawn"
    )
    rows = await fetch_rows_app("SELECT id, number FROM complaints")
    ids["numbers"] = {row["id"]: row["number"] for row in rows}
    return ids


async def fetch_rows_app(sql: str, *args: Any) -> list[Any]:
    from pengaduan import db

    return await db.fetch(sql, *args)


def number(world: dict[str, Any], name: str) -> str:
    return world["numbers"][world[name]]


async def read(client: GeoReport, method: str, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(getattr(client, method), *args, **kwargs)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_an_independent_client_reads_services_and_public_requests(
    server: str, world: dict[str, Any], fmt: str
) -> None:
    client = GeoReport(f"{server}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)
    services = items(await read(client, "get_service_list"))
    codes = {s["service_code"]: s for s in services}
    assert set(codes) == {str(world["category"]), str(world["other_category"])}
    road = codes[str(world["category"])]
    assert road["service_name"] == "Jalan Rusak" and road["group"] == "Dinas Uji"
    assert road["type"] == "realtime" and str(road["metadata"]).lower() == "false"
    definition = await read(client, "get_service_definition", str(world["category"]))
    assert definition["service_code"] == str(world["category"])
    assert not definition["attributes"]

    requests_read = items(await read(client, "get_service_requests"))
    public = {number(world, n) for n in ("open", "resolved", "rejected", "anonymous")}
    assert {r["service_request_id"] for r in requests_read} == public
    by_number = {r["service_request_id"]: r for r in requests_read}
    opened = by_number[number(world, "open")]
    assert opened["status"] == "open" and opened["agency_responsible"] == "Dinas Uji"
    assert opened["service_code"] == str(world["category"])
    assert opened["service_name"] == "Jalan Rusak"
    assert opened["description"].startswith("Lampu jalan mati di Jalan Merdeka")
    assert opened["address"] == "Jl. Merdeka 1"
    assert float(opened["lat"]) == -6.2 and float(opened["long"]) == 106.816
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        moment = datetime.fromisoformat(opened[name])
        assert moment.utcoffset() == timedelta(hours=7), name
    resolved = by_number[number(world, "resolved")]
    assert resolved["status"] == "closed"
    assert resolved["status_notes"] == "Sudah diperbaiki oleh petugas."
    assert not resolved["expected_datetime"]
    rejected = by_number[number(world, "rejected")]
    assert (rejected["status"], rejected["status_notes"]) == ("closed", "Di luar wewenang dinas.")
    assert rejected["agency_responsible"] == "Dinas Lain"
    assert all(not r["media_url"] for r in requests_read)

    only_open = items(await read(client, "get_service_requests", status="open"))
    assert {r["service_request_id"] for r in only_open} == {
        number(world, "open"),
        number(world, "anonymous"),
    }
    by_service = items(
        await read(client, "get_service_requests", service_code=str(world["other_category"]))
    )
    assert [r["service_request_id"] for r in by_service] == [number(world, "rejected")]
    asked = ",".join(number(world, n) for n in ("open", "private", "withdrawn", "old"))
    by_id = items(await read(client, "get_service_requests", service_request_id=asked))
    assert {r["service_request_id"] for r in by_id} == {number(world, "open"), number(world, "old")}
    start = (datetime.now(UTC) - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = items(await read(client, "get_service_requests", start_date=start, end_date=end))
    assert [r["service_request_id"] for r in older] == [number(world, "old")]

    one = await read(client, "get_service_request", number(world, "resolved"))
    assert one["service_request_id"] == number(world, "resolved")
    for hidden in ("private", "withdrawn"):
        with pytest.raises(requests.HTTPError) as refused:
            await read(client, "get_service_request", number(world, hidden))
        assert refused.value.response.status_code == 404


async def test_every_element_is_named_as_the_specification_names_it(
    server: str, world: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        v2 = "/open311/v2"
        code = world["category"]
        paths = {
            "discovery": "/open311/discovery",
            "services": f"{v2}/services",
            "definition": f"{v2}/services/{code}",
            "requests": f"{v2}/requests",
            "errors": f"{v2}/requests/ADU-1900-000000",
        }
        for kind, path in paths.items():
            as_json = await http.get(path + ".json")
            as_xml = await http.get(path + ".xml")
            assert as_json.headers["content-type"].startswith("application/json")
            assert as_xml.headers["content-type"].startswith("text/xml")
            assert "charset=utf-8" in as_json.headers["content-type"]
            document = as_json.json()
            names = [set(x) for x in document] if isinstance(document, list) else [set(document)]
            assert names == xml_children(as_xml.text, kind), kind
            allowed = {
                "discovery": DISCOVERY,
                "services": SERVICE,
                "definition": DEFINITION,
                "requests": REQUEST,
                "errors": ERROR,
            }[kind]
            assert names and all(n <= allowed for n in names), (kind, names)
        # Requests carry every field of the specification (empty ones as null / empty).
        requests_json = (await http.get(f"{v2}/requests.json")).json()
        assert requests_json and all(set(r) == REQUEST for r in requests_json)
        services = (await http.get(f"{v2}/services.json")).json()
        assert all(set(s) == SERVICE and s["type"] in SERVICE_TYPES for s in services)
        discovery = (await http.get("/open311/discovery.json")).json()
        [endpoint] = discovery["endpoints"]
        assert set(endpoint) == ENDPOINT
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert endpoint["url"].endswith("/open311/v2")
        assert set(endpoint["formats"]) == {"text/xml", "application/json"}
        xml = ElementTree.fromstring((await http.get("/open311/discovery.xml")).content)
        formats = xml.find("endpoints/endpoint/formats")
        assert [f.tag for f in formats] == ["format", "format"]


async def test_no_personal_data_and_no_private_or_withdrawn_complaint_in_any_read(
    server: str, world: dict[str, Any]
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        texts = []
        for fmt in ("json", "xml"):
            for path in ("requests", "services"):
                texts.append((await http.get(f"/open311/v2/{path}.{fmt}")).text)
            for name in ("open", "anonymous", "resolved"):
                response = await http.get(f"/open311/v2/requests/{number(world, name)}.{fmt}")
                assert response.status_code == 200
                texts.append(response.text)
    everything = "\n".join(texts)
    rows = await fetch_rows_app(
        "SELECT full_name, email, username FROM users WHERE role = 'citizen'"
    )
    for row in rows:
        for value in row.values():
            if value:
                assert value not in everything, value
    for secret in ("Rahasia keluarga", "Sudah saya cabut", "Catatan internal", "tetangga"):
        assert secret not in everything


async def test_wrong_arguments_get_the_specifications_errors(
    server: str, world: dict[str, Any]
) -> None:
    cases = [
        ("/open311/v2/services.json?jurisdiction_id=kota-lain", 404),
        ("/open311/v2/services/999999.json", 404),
        ("/open311/v2/services/jalan.xml", 404),
        ("/open311/v2/requests.json?start_date=kemarin", 400),
        (
            "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
            400,
        ),
        ("/open311/v2/requests.json?status=pending", 400),
        ("/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z", 400),
        ("/open311/v2/requests.json?start_date=9999-12-31", 400),
        ("/open311/v2/requests.json?service_code=jalan", 400),
        ("/open311/v2/requests/ADU-2026-999999.json", 404),
        ("/open311/v2/requests/ADU-2026-000001", 404),
    ]
    async with httpx.AsyncClient(base_url=server) as http:
        for path, status in cases:
            response = await http.get(path)
            assert response.status_code == status, path
            if path.endswith("json") or ".json?" in path:
                [error] = response.json()
                assert set(error) == ERROR and error["code"] == status, path
                assert error["description"]
            else:
                assert xml_children(response.text, "errors") == [ERROR]


async def _issue(scopes: list[str], admin: int, per_minute: int = 100) -> str:
    values = {"name": f"Klien {'+'.join(scopes)}", "requests_per_minute": str(per_minute)}
    checked, raw = await apikeys.issue_key(values, scopes, admin_id=admin, ip="127.0.0.1")
    assert raw, checked.errors
    return raw


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_request_filed_per_the_specification_enters_the_lifecycle(
    server: str, world: dict[str, Any], files_server: str, db_dsn: str, fmt: str
) -> None:
    key = await _issue(["create"], world["admin"])
    async with httpx.AsyncClient(base_url=server) as http:
        before = (await http.get(f"/open311/v2/requests.{fmt}")).text  # kept by the server
    assert "Trotoar" not in before
    form = {
        "api_key": key,
        "jurisdiction_id": JURISDICTION,
        "service_code": str(world["category"]),
        "lat": "-6.175392",
        "long": "106.827153",
        "address_string": "Monas, Jakarta Pusat",
        "description": "Trotoar rusak parah di depan Monas, banyak pejalan kaki tersandung.",
        "email": "budi.santoso@contoh.test",
        "first_name": "Budi",
        "last_name": "Santoso",
        "phone": "081234567890",
        "media_url": f"{files_server}/foto.jpg",
    }
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        response = await http.post(f"/open311/v2/requests.{fmt}", data=form)
        assert response.status_code == 201, response.text
        if fmt == "json":
            [created] = response.json()
            assert set(created) <= CREATED
        else:
            assert all(names <= CREATED for names in xml_children(response.text, "requests"))
            created = {
                e.tag: e.text for e in ElementTree.fromstring(response.content).find("request")
            }
        filed = created["service_request_id"]
        assert filed.startswith("ADU-") and filed in created["service_notice"]
    rows = await fetch_rows(
        db_dsn,
        "SELECT c.id, c.channel, c.title, c.body, c.latitude, c.location_text, c.status,"
        " c.category, c.is_public, u.full_name, u.email, u.contact_key IS NOT NULL AS contact"
        " FROM complaints c JOIN users u ON u.id = c.reporter WHERE c.number = $1",
        filed,
    )
    [row] = rows
    assert row["channel"] == "open311" and row["status"] == "pending"
    assert row["category"] == world["category"] and row["is_public"]
    assert row["title"].startswith("Trotoar rusak parah") and row["body"] == form["description"]
    assert row["latitude"] == -6.175392 and row["location_text"] == "Monas, Jakarta Pusat"
    assert row["full_name"] == "Budi Santoso" and row["contact"]
    evidence = await fetch_rows(
        db_dsn, "SELECT mime_type FROM evidence_files WHERE complaint = $1", row["id"]
    )
    assert [e["mime_type"] for e in evidence] == ["image/jpeg"]
    history = await fetch_rows(
        db_dsn, "SELECT new_status FROM status_history WHERE complaint = $1", row["id"]
    )
    assert [h["new_status"] for h in history] == ["pending"]
    audit = await fetch_rows(
        db_dsn,
        "SELECT data FROM audit_log WHERE action = 'complaint.submit' AND target_id = $1",
        str(row["id"]),
    )
    assert len(audit) == 1
    assert json.loads(audit[0]["data"]) == {
        "number": filed,
        "channel": "open311",
        "via": "Klien create",
    }
    # The same notifications as a complaint from the form: the unit's staff hear of it.
    outbox = await fetch_rows(
        db_dsn, "SELECT count(*) AS n FROM notifications WHERE complaint = $1", row["id"]
    )
    assert outbox[0]["n"] >= 1
    # Read back by the independent client, in the list too (the kept list was built before
    # the request: the new public version makes it anew).
    client = GeoReport(f"{server}/open311/v2", jurisdiction=JURISDICTION, output_format=fmt)
    listed = items(await read(client, "get_service_requests"))
    assert filed in {r["service_request_id"] for r in listed}
    back = await read(client, "get_service_request", filed)
    assert back["description"] == form["description"]
    assert back["status"] == "open" and not back["media_url"]


async def test_filing_refuses_what_the_specification_refuses(
    server: str, world: dict[str, Any], files_server: str, db_dsn: str
) -> None:
    creator = await _issue(["create"], world["admin"])
    reader = await _issue(["read"], world["admin"])
    good = {
        "api_key": creator,
        "service_code": str(world["category"]),
        "lat": "-6.2",
        "long": "106.8",
        "description": "Saluran air tersumbat sampah di ujung gang.",
        "email": "siti@contoh.test",
    }
    cases = [
        ({"api_key": ""}, 403),
        ({"api_key": "pgd_palsu"}, 403),
        ({"api_key": reader}, 403),
        ({"service_code": ""}, 400),
        ({"service_code": "999999"}, 400),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "200"}, 400),
        ({"long": ""}, 400),
        ({"description": ""}, 400),
        ({"description": "pendek"}, 400),
        ({"email": ""}, 400),
        ({"email": "bukan-alamat"}, 400),
        ({"media_url": f"{files_server}/tidak-ada.jpg"}, 400),
        ({"media_url": "file:///etc/passwd"}, 400),
        ({"attribute[WARNA]": "merah"}, 400),
        ({"jurisdiction_id": "kota-lain"}, 404),
    ]
    async with httpx.AsyncClient(base_url=server, timeout=30) as http:
        for change, status in cases:
            response = await http.post("/open311/v2/requests.json", data={**good, **change})
            assert response.status_code == status, (change, response.text)
            [error] = response.json()
            assert set(error) == ERROR and error["code"] == status
        # Bytes that are not UTF-8 (a name and a value): a clear 400, in either format.
        for fmt in ("json", "xml"):
            response = await http.post(
                f"/open311/v2/requests.{fmt}",
                content=f"api_key={creator}&%FF%FE=x&description=%C0".encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert response.status_code == 400, response.text
        assert (await fetch_rows(db_dsn, "SELECT count(*) AS n FROM complaints"))[0]["n"] == 7
        # Nothing filed, nobody kept: no reporter was left behind by a refused filing.
        kept = await fetch_rows(
            db_dsn, "SELECT count(*) AS n FROM users WHERE email = 'siti@contoh.test'"
        )
        assert kept[0]["n"] == 0
        response = await http.post("/open311/v2/requests.json", data=good)
        assert response.status_code == 201
