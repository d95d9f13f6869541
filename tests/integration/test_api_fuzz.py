"""The JSON API against its own schema: schemathesis reads /api/v1/openapi.json from the app
served for real (`pengaduan serve` on a free port, on the test database), draws requests for
every operation from the schema (valid ones, then invalid ones), sends them with a real
citizen's token, and fails on any 5xx and on any answer the schema does not describe (status,
content type, body, headers). A fixed example budget and derandomized Hypothesis: the same
requests every run."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import PASSWORD, make_category, make_complaint, make_user
from tests.support.net import free_port
from tests.support.serving import PENGADUAN, cli_env, wait_healthy

# Drawn requests per operation: valid ones, then ones that break the schema.
POSITIVE, NEGATIVE = 30, 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Last: logging out ends the token used for the others; failed logins lock the address.
LAST = ("POST /api/v1/logout", "POST /api/v1/login")


@pytest.fixture
def served(db_dsn: str, data_dir: Path) -> Iterator[str]:
    """The app as a real server on the test database; its log checked at the end."""
    port = free_port()
    log = data_dir / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*PENGADUAN, "serve", "--port", str(port), "--workers", "1", "--no-access-log"],
            env=cli_env(
                PENGADUAN_DATA_DIR=str(data_dir),
                DATABASE_URL=db_dsn,
                PENGADUAN_OUTBOX_IN_APP="false",
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base + "/healthz", proc)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text and "unhandled error" not in text, text[-5000:]


@pytest.fixture
async def citizen_world(people: dict[str, int]) -> dict[str, int]:
    """The citizen's complaints in the states the operations act on (ids 1-4: the small ids
    Hypothesis tries first), another citizen's (5), and a category."""
    category = await make_category(people["unit"])
    resolved = {"status": "resolved", "resolved_at": datetime.now(UTC) - timedelta(hours=1)}
    for fields in ({}, resolved, {"status": "in_progress"}, resolved):
        await make_complaint(
            reporter=people["citizen"], unit=people["unit"], category=category, **fields
        )
    other = await make_user("citizen", "warga.lain")
    await make_complaint(reporter=other, unit=people["unit"], category=category)
    return {**people, "category": category}


def _token(base: str) -> str:
    response = httpx.post(
        base + "/api/v1/login", json={"identifier": "warga", "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _fuzz_operation(
    base: str, operation: schemathesis.APIOperation, token: str | None, sent: dict[str, int]
) -> None:
    """Valid, then invalid requests drawn for one operation; `token` None: a fresh one for
    each request (logging out ends the token it is sent with)."""
    for mode, budget in ((GenerationMode.POSITIVE, POSITIVE), (GenerationMode.NEGATIVE, NEGATIVE)):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=budget,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=base,
                headers={"Authorization": f"Bearer {token or _token(base)}"},
                checks=CHECKS,
                timeout=30,
            )
            sent[operation.label] = sent.get(operation.label, 0) + 1

        check()


def _fuzz(base: str) -> dict[str, int]:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
    operations = {op.label: op for op in (r.ok() for r in schema.get_all_operations())}
    last = {label: place for place, label in enumerate(LAST, 1)}
    token = _token(base)
    sent: dict[str, int] = {}
    for label in sorted(operations, key=lambda label: (last.get(label, 0), label)):
        shared = label != "POST /api/v1/logout"
        _fuzz_operation(base, operations[label], token if shared else None, sent)
    return sent


@pytest.mark.usefixtures("citizen_world")
async def test_every_api_operation_answers_as_its_schema_says_to_drawn_requests(
    served: str,
) -> None:
    sent = await asyncio.to_thread(_fuzz, served)
    assert len(sent) == 11, sent
    assert all(count >= POSITIVE for count in sent.values()), sent
