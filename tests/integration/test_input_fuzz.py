"""Hostile input to every route of the app's own route table, for every role: no answer is a
5xx and nothing logs an error.

Hypothesis draws the values: huge and negative integers, NUL bytes, bytes that are not UTF-8
(raw in urlencoded and multipart bodies and in query strings), 100 KB strings, odd dates,
repeated parameters. They go to every path parameter, to every query parameter the code reads
(names found in the source and in the rendered GET forms) and to every field of the forms the
pages render (names and valid defaults read from the forms' `name=` attributes). Each route
also gets explicit examples: every form field with a NUL and a bad byte, every form field with
an integer past PostgreSQL's `integer`, every query parameter with each kind of hostile value.

Requests are plain ASGI calls (httpx would re-encode what must arrive raw, and waits for the
end of a stream that never ends); the session and CSRF token come from a logged-in client.
Hypothesis runs in a worker thread and sends each request to the test's event loop, where the
app's database pool lives.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes, unquote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from tests.integration.test_access import ALLOWED, _concrete

ROLES = (None, "citizen", "officer", "admin")
EXAMPLES = 6  # drawn examples per route and role, on top of the explicit ones
SOURCE = Path(__file__).resolve().parents[2] / "src" / "pengaduan"
REQUEST_TIMEOUT = 60.0

# --- the hostile values ---------------------------------------------------------------------

INT32_PAST = "2147483648"
HUGE_INTEGERS = (
    INT32_PAST,
    "-2147483649",
    "99999999999999999999",
    "-1",
    "0",
    "9" * 5000,  # past Python's int() digit limit
    "²",  # str.isdigit() says yes, int() says no
    "١٢",  # Arabic-Indic digits: int() reads them
    "1e309",
    " 7 ",
)
ODD_DATES = (
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "99999-01-01",
    "-0001-01-01",
    "2026-13-01",
    "0001-01",
    "9999-12",
    "1899-12-31",
    "20260101",
)
BAD_BYTES = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"ab\x80cd", b"\xf0\x28\x8c\x28", b"\xc0\xaf")
NUL_AND_BAD_BYTE = b"a\x00b\xff"
LONG = ("a" * 100_000).encode(), ("é" * 50_000).encode()

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
hostile: st.SearchStrategy[bytes] = st.one_of(
    st.sampled_from(HUGE_INTEGERS).map(str.encode),
    st.integers(min_value=-(2**80), max_value=2**80).map(lambda n: str(n).encode()),
    st.tuples(_text, _text).map(lambda t: f"{t[0]}\x00{t[1]}".encode()),
    st.tuples(_text, st.sampled_from(BAD_BYTES)).map(lambda t: t[0].encode() + t[1]),
    st.sampled_from(LONG),
    st.sampled_from(ODD_DATES).map(str.encode),
    st.dates(min_value=date(1, 1, 1)).map(lambda d: d.isoformat().encode()),
    _text.map(str.encode),
)


def utf8(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


# --- plausible values: what a person would send, so that the hostile one gets far -------------

NIK = "3273014507900002"
PLAUSIBLE: dict[str, str] = {
    "username": "pengguna_uji",
    "email": "baru@uji.test",
    "password": "kata-sandi-baru-123",
    "password_confirm": "kata-sandi-baru-123",
    # Never the real one: the fuzzed account must keep its password.
    "current_password": "bukan-sandi-ini-123",
    "identifier": "orang-lain",
    "full_name": "Warga Uji",
    "nik": NIK,
    "phone": "081234567890",
    "address": "Jl. Cihampelas 1, Bandung",
    "title": "Jalan rusak di depan sekolah",
    "description": "Lubang besar di jalan membahayakan pengendara motor setiap hari.",
    "message": "Apakah sudah ada kabar terbaru?",
    "reason": "Masalahnya muncul lagi sejak minggu lalu.",
    "note": "Catatan internal untuk tim.",
    "body": "Terima kasih, laporan sedang kami tindak lanjuti.",
    "response": "Perbaikan jalan sudah selesai dikerjakan.",
    "forward_note": "Ini wewenang unit lain.",
    "comment": "Cepat ditangani.",
    "score": "4",
    "urgency": "normal",
    "priority": "normal",
    "number": "ADU-2026-000001",
    "code": "ABCD2345",
    "nomor": "ADU-2026-000001",
    "kode": "ABCD2345",
    "latitude": "-6.914744",
    "longitude": "107.609810",
    "location_text": "Jl. Asia Afrika",
    "name": "Unit Uji Baru",
    "deadline_days": "14",
    "role": "officer",
    "lang": "en",
    "next": "/akun",
    "back": "view=all&page=1",
    "period": "custom",
    "from": "2026-01-01",
    "to": "2026-03-31",
    "month": "2026-01",
    "interval": "week",
    "view": "all",
    "status": "any",
    "page": "2",
    "halaman": "2",
    "q": "jalan",
    "actor": "admin",
    "action": "complaint.",
    "target_type": "complaint",
    "target_id": "1",
    "part": "reply",
    "ukuran": "kecil",
    "overdue": "1",
    "location": "Bandung",
}
# Enumerations: a hostile value here makes the others be ignored, so examples also keep them.
CHOICES = {"period", "view", "status", "interval", "target_type", "part", "ukuran", "priority"}


def plausible(name: str, ids: dict[str, int]) -> str:
    for kind in ("unit", "category", "officer", "complaint", "template"):
        if name in (kind, f"{kind}_id", "default_unit" if kind == "unit" else "") and kind in ids:
            return str(ids[kind])
    if name in ("kategori", "pengaduan", "template"):
        key = {"kategori": "category", "pengaduan": "complaint", "template": "template"}[name]
        return str(ids.get(key, 1))
    return PLAUSIBLE.get(name, "Teks uji yang cukup panjang 123")


# --- the route table, its query names and its forms -----------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as Litestar has it: /pengaduan/{complaint_id:int}
    access: str

    @property
    def params(self) -> list[tuple[str, str]]:
        return re.findall(r"\{(\w+):(\w+)\}", self.path)

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{\w+:\w+\}", "[^/]+", self.path) + "$")


def routes_of(app: Litestar) -> list[Route]:
    """The app's routes; not those other tests register on the shared app under /_test/ (one
    of them fails on purpose: tests/integration/test_web_shell.py's error pages)."""
    found = []
    for route in app.routes:
        if route.path.startswith("/_test/"):
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method not in ("HEAD", "OPTIONS"):
                    found.append(Route(method, route.path, handler.opt.get("access", "")))
    return sorted(set(found), key=lambda r: (r.path, r.method))


def query_names_in_source() -> set[str]:
    """Every query parameter name the code reads."""
    names: set[str] = set()
    patterns = (
        r"(?:params|query)\.get\(\s*\"(\w+)\"",
        r"params\[\"(\w+)\"\]",
        r"(\w+): FromQuery\[",
    )
    for source in SOURCE.rglob("*.py"):
        text = source.read_text()
        for pattern in patterns:
            names.update(re.findall(pattern, text))
    return names


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> default


class FormReader(HTMLParser):
    """The forms of a page: action, method, and each named field with its default value."""

    def __init__(self, page_path: str) -> None:
        super().__init__()
        self.page_path = page_path
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page_path
            self.forms.append(Form(a.get("method", "get").upper(), action.split("#")[0]))
            return
        if not self.forms or not a.get("name"):
            return
        form, name = self.forms[-1], a["name"]
        if tag == "input" and a.get("type") != "file":
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                form.fields.setdefault(name, "")
            else:
                form.fields[name] = a.get("value", "")
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, "")
        elif (
            tag == "option" and self._select and ("selected" in a or not form.fields[self._select])
        ):
            form.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            form.fields[name] = ""
        elif tag == "button":
            form.fields[name] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


async def harvest_forms(
    client: httpx.AsyncClient, routes: list[Route], ids: dict[str, int]
) -> dict[tuple[str, str], dict[str, str]]:
    """(method, route path) -> fields with defaults, from every GET page this client may see."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    by_method = {"GET": [r for r in routes if r.method == "GET"], "POST": []}
    by_method["POST"] = [r for r in routes if r.method == "POST"]
    for route in by_method["GET"]:
        if route.path in ("/langsung", "/static/{file_path:path}"):
            continue
        url = _concrete(route.path, ids)
        response = await client.get(url)
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        reader = FormReader(url.split("?")[0])
        reader.feed(response.text)
        for form in reader.forms:
            path = form.action.split("?")[0]
            for target in by_method.get(form.method, []):
                if target.pattern.match(path):
                    fields = found.setdefault((target.method, target.path), {})
                    for name, default in form.fields.items():
                        if name != "_csrf_token" and (name not in fields or not fields[name]):
                            fields[name] = default
    return found


# --- one request, as an ASGI server would pass it on ----------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: bytes  # already percent-encoded
    query: bytes
    body: bytes = b""
    content_type: str = ""
    htmx: bool = False
    event_stream: bool = False

    def __repr__(self) -> str:
        body = self.body[:300] + (b"..." if len(self.body) > 300 else b"")
        query = self.query[:300] + (b"..." if len(self.query) > 300 else b"")
        return (
            f"Call({self.method} {self.path.decode()}?{query!r} body={body!r} "
            f"type={self.content_type!r} htmx={self.htmx} stream={self.event_stream})"
        )


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def asgi_call(app: Litestar, call: Call, cookie: str, token: str) -> Answer:
    raw_path = call.path
    headers = [
        (b"host", b"testserver"),
        (b"cookie", cookie.encode()),
        (b"x-csrftoken", token.encode()),
        (b"accept", b"text/event-stream" if call.event_stream else b"text/html"),
        (b"content-length", str(len(call.body)).encode()),
    ]
    if call.content_type:
        headers.append((b"content-type", call.content_type.encode()))
    if call.htmx:
        headers.append((b"hx-request", b"true"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": "http",
        # What uvicorn does with the request line.
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": call.query,
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    status: list[int] = []
    answer_headers: dict[str, str] = {}
    chunks: list[bytes] = []
    finished, disconnected = asyncio.Event(), asyncio.Event()
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": call.body, "more_body": False}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
            answer_headers.update({k.decode(): v.decode() for k, v in message["headers"]})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            # A stream that has begun is enough: the browser goes away.
            if not message.get("more_body") or "event-stream" in answer_headers.get(
                "content-type", ""
            ):
                finished.set()

    task = asyncio.create_task(app(scope, receive, send))
    waiter = asyncio.ensure_future(finished.wait())
    await asyncio.wait([task, waiter], return_when="FIRST_COMPLETED", timeout=REQUEST_TIMEOUT)
    waiter.cancel()
    if not task.done():
        disconnected.set()
        try:
            await asyncio.wait_for(task, 5)
        except TimeoutError:
            pass
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise task.exception()
    return Answer(status[0] if status else 0, answer_headers, b"".join(chunks))


# --- strategies per route -------------------------------------------------------------------


@dataclass
class Target:
    """What the fuzzer knows about one route for one role."""

    route: Route
    ids: dict[str, int]
    query_names: list[str]
    fields: dict[str, str]  # form fields with defaults (empty: not a form route)

    @property
    def takes_body(self) -> bool:
        return self.route.method == "POST" and self.route.path != "/langsung"

    def path_value(self, name: str, kind: str) -> str:
        if kind == "int":
            key = name.removesuffix("_id")
            return str(self.ids.get("spare_user" if key == "user" else key, 1))
        if kind == "path":
            return "css/app.css"
        return {"token": "not-a-valid-token", "number": "ADU-2026-000001"}.get(name, "x")

    def path(self, values: dict[str, bytes]) -> bytes:
        path = self.route.path
        out = b""
        for piece in re.split(r"(\{\w+:\w+\})", path):
            match = re.fullmatch(r"\{(\w+):(\w+)\}", piece)
            if match is None:
                out += piece.encode()
                continue
            name, kind = match.groups()
            value = values.get(name, utf8(self.path_value(name, kind)))
            out += value if kind == "path" else quote_from_bytes(value, safe="").encode()
        return out

    def base_field(self, name: str) -> str:
        return self.fields.get(name) or plausible(name, self.ids)

    def call(
        self,
        *,
        path_values: dict[str, bytes] | None = None,
        query: list[tuple[str, bytes]] | None = None,
        body: list[tuple[str, bytes]] | None = None,
        multipart: bool = False,
        raw: bool = False,
        htmx: bool = False,
        event_stream: bool = False,
    ) -> Call:
        encode = (lambda b: b) if raw else (lambda b: quote_from_bytes(b, safe="").encode())
        query_bytes = b"&".join(encode(k.encode()) + b"=" + encode(v) for k, v in query or [])
        content, content_type = b"", ""
        if self.takes_body:
            pairs = body or []
            if multipart:
                boundary = "fuzzboundary7MA4YWxkTrZu0gW"
                content_type = f"multipart/form-data; boundary={boundary}"
                for name, value in pairs:
                    content += (
                        (
                            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                        ).encode()
                        + value
                        + b"\r\n"
                    )
                content += f"--{boundary}--\r\n".encode()
            else:
                content_type = "application/x-www-form-urlencoded"
                content = b"&".join(encode(k.encode()) + b"=" + encode(v) for k, v in pairs)
        return Call(
            self.route.method,
            self.path(path_values or {}),
            query_bytes,
            content,
            content_type,
            htmx,
            event_stream,
        )

    def base_body(self, **hostile: bytes) -> list[tuple[str, bytes]]:
        return [(name, hostile.get(name, utf8(self.base_field(name)))) for name in self.fields]

    def base_query(self) -> list[tuple[str, bytes]]:
        return [(name, plausible(name, self.ids).encode()) for name in self.query_names]

    def explicit(self) -> list[Call]:
        """The known kinds of trouble, each in every place it can go."""
        calls = []
        for name, kind in self.route.params:
            if kind in ("int", "str"):
                for value in (
                    (INT32_PAST, "-2147483649", "a\x00b") if kind == "int" else ("a\x00b",)
                ):
                    calls.append(self.call(path_values={name: value.encode()}))
        if self.route.method == "GET" or self.route.path == "/langsung":
            for value in (b"a\x00b", INT32_PAST.encode(), b"0001-01-01", b"9999-12-31", b"\xff"):
                for keep_choices in (True, False):
                    query = [
                        (n, v if (n in CHOICES) == keep_choices else value)
                        for n, v in self.base_query()
                    ]
                    calls.append(self.call(query=query, event_stream=True, raw=value == b"\xff"))
        if self.takes_body:
            for name in self.fields or {"x": ""}:
                for value in (NUL_AND_BAD_BYTE, INT32_PAST.encode()):
                    body = self.base_body(**{name: value})
                    calls.append(self.call(body=body, raw=True))
                    calls.append(self.call(body=body, multipart=True))
        return calls

    def drawn(self) -> st.SearchStrategy[Call]:
        path_params = {
            name: st.one_of(hostile, st.just(utf8(self.path_value(name, kind))))
            for name, kind in self.route.params
            if kind != "path"
        }
        names = list(self.fields) or ["x"]
        query_names = self.query_names or ["x"]
        in_query = st.lists(
            st.tuples(st.sampled_from(query_names), hostile), max_size=3 if self.takes_body else 6
        )

        @st.composite
        def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Call:
            path_values = {name: draw(s) for name, s in path_params.items()}
            query = [] if self.takes_body else self.base_query()
            query += draw(in_query)  # repeated parameters: the plausible one comes first
            body = None
            multipart = draw(st.booleans())
            if self.takes_body:
                chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=2))
                hostile_values = {name: draw(hostile) for name in chosen}
                body = self.base_body(**hostile_values)
                if draw(st.booleans()):
                    body += [(name, draw(hostile)) for name in chosen]  # repeated fields
            return self.call(
                path_values=path_values,
                query=query,
                body=body,
                multipart=multipart,
                raw=draw(st.booleans()),
                htmx=draw(st.booleans()),
                event_stream=self.route.path == "/langsung" and draw(st.booleans()),
            )

        return build()


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
async def fuzz_ids(people: dict[str, int]) -> dict[str, int]:
    """Real rows for the path parameters: complaints in several states, and a spare user for the
    admin's user actions (the fuzzed accounts must stay as they are)."""
    from tests.factories import (
        attach_evidence,
        make_category,
        make_complaint,
        make_response_template,
        make_user,
    )

    people["category"] = await make_category(people["unit"])
    people["template"] = await make_response_template(people["category"])
    people["complaint"] = await make_complaint(
        reporter=people["citizen"], category=people["category"], unit=people["unit"]
    )
    people["file"] = await attach_evidence(people["complaint"], people["citizen"])
    people["spare_user"] = await make_user("officer", "cadangan", unit=people["unit"])
    return people


def _checker(
    app: Litestar, loop, caplog, cookie: str, token: str, sent: list[Call]
) -> Callable[[Call], None]:
    def check(call: Call) -> None:
        sent.append(call)
        first = len(caplog.records)
        answer = asyncio.run_coroutine_threadsafe(asgi_call(app, call, cookie, token), loop).result(
            REQUEST_TIMEOUT + 10
        )
        logged = [
            f"{r.name}: {r.getMessage()}"
            for r in caplog.records[first:]
            if r.levelno >= logging.ERROR
        ]
        assert answer.status and answer.status < 500 and not logged, (
            f"{answer.status} for {call!r}; logged: {logged}"
        )

    return check


def _page_token(html: str) -> str:
    match = re.search(r'"x-csrftoken": "([^"]+)"', html)
    assert match, "no CSRF token on the home page"
    return match.group(1)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
async def test_no_hostile_input_gives_a_5xx_or_a_traceback(
    app: Litestar, as_role, fuzz_ids: dict[str, int], role: str | None, caplog
) -> None:
    caplog.set_level(logging.ERROR)
    loop = asyncio.get_running_loop()
    routes = [r for r in routes_of(app) if role in ALLOWED.get(r.access, set())]
    harvest_client = await as_role(role)
    forms = await harvest_forms(harvest_client, routes, fuzz_ids)
    query_names = sorted(
        query_names_in_source()
        | {name for (method, _p), fields in forms.items() if method == "GET" for name in fields}
    )
    started = time.monotonic()
    failures: list[str] = []
    sent: list[Call] = []
    for route in routes:
        # A new session per route: one route may log out or change what the next one sees.
        client = await as_role(role)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        token = _page_token((await client.get("/lacak")).text)
        fields = forms.get((route.method, route.path), {})
        if route.method == "POST" and not fields:
            fields = {name: "" for name in ("x", "id", "unit", "category", "officer")}
        target = Target(route, fuzz_ids, query_names, fields)

        check = _checker(app, loop, caplog, cookie, token, sent)
        test = given(target.drawn())(check)
        for call in reversed(target.explicit()):
            test = example(call)(test)
        test = settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=(Phase.explicit, Phase.generate),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )(test)
        try:
            await asyncio.to_thread(test)
        except AssertionError as failure:
            failures.append(f"{route.method} {route.path}: {str(failure)[:600]}")
        except Exception as failure:  # hypothesis wraps what it found in other types, too
            failures.append(f"{route.method} {route.path}: {type(failure).__name__} {failure}")
    elapsed = time.monotonic() - started
    who = role or "anonymous"
    print(f"fuzzed {len(routes)} routes as {who}: {len(sent)} requests in {elapsed:.1f} s")
    assert failures == [], "\n".join(failures)


def test_the_query_names_come_from_the_code() -> None:
    names = query_names_in_source()
    # The filters of the archive, the queue, the admin lists, the audit log, the live stream.
    for name in ("q", "category", "unit", "page", "from", "to", "actor", "pengaduan", "nomor"):
        assert name in names, name
