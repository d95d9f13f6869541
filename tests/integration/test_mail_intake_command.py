"""`pengaduan mail-intake` as an operator runs it (a process of its own taking mail over
SMTP), and the listener while the database is away: 451, try again later, nothing half
stored, and mail taken again once it is back."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from pathlib import Path

import aiosmtplib
import pytest
from litestar import Litestar

from pengaduan import db
from pengaduan.complaints import evidence
from pengaduan.mailintake.listener import start_listener
from tests.integration.test_database_outage import Outage, outage  # noqa: F401
from tests.integration.test_mail_intake import BUDI, COMPLAINTS, intake_settings
from tests.support.databases import fetch_rows
from tests.support.mail import SmtpSink
from tests.support.mails import citizen_mail
from tests.support.net import free_port
from tests.support.serving import PENGADUAN, cli_env
from tests.support.waiting import wait_until, wait_until_async


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


async def _send(port: int, subject: str) -> str:
    _errors, reply = await aiosmtplib.send(
        citizen_mail(subject=subject),
        hostname="127.0.0.1",
        port=port,
        sender=BUDI,
        recipients=[COMPLAINTS],
        timeout=30,
    )
    return reply


async def test_the_command_takes_mail_until_it_is_stopped(
    app: Litestar, db_dsn: str, data_dir: Path, unit_data: dict[str, int]
) -> None:
    port = free_port()
    env = cli_env(
        PENGADUAN_DATA_DIR=str(data_dir),
        DATABASE_URL=db_dsn,
        PENGADUAN_MAIL_INTAKE_ADDRESSES=COMPLAINTS,
    )
    # The command is a process of its own: blocking this loop while it starts holds up nothing.
    proc = subprocess.Popen(  # noqa: ASYNC220
        [*PENGADUAN, "mail-intake", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until(lambda: _listening(port) or proc.poll() is not None, "the listener", 60)
        assert proc.poll() is None
        assert "filed ADU-" in await _send(port, "Sampah menumpuk")
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert f"SMTP on 127.0.0.1:{port}" in output, output
    rows = await fetch_rows(db_dsn, "SELECT title, channel FROM complaints")
    assert [(r["title"], r["channel"]) for r in rows] == [("Sampah menumpuk", "email")]


def test_polling_without_a_mailbox_is_refused_with_what_is_missing(data_dir: Path) -> None:
    result = subprocess.run(
        [*PENGADUAN, "mail-intake", "--imap"],
        env=cli_env(PENGADUAN_DATA_DIR=str(data_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PENGADUAN_MAIL_INTAKE_IMAP_HOST" in result.stderr


async def test_while_the_database_is_away_mail_waits_with_451(
    outage: Outage,  # noqa: F811
    smtp_sink: SmtpSink,
) -> None:
    settings = intake_settings(db.ENGINE.config["dsn"], smtp_sink)
    port = free_port()
    server = await start_listener(
        settings, evidence.storage_for(settings), host="127.0.0.1", port=port
    )
    try:
        assert "filed" in await _send(port, "Sebelum")
        outage.pg.stop_immediately()
        with pytest.raises(aiosmtplib.SMTPResponseException) as away:
            await _send(port, "Selama")
        assert away.value.code == 451 and "try again later" in away.value.message
        outage.pg.start()

        async def taken_again() -> bool:
            try:
                return "filed" in await _send(port, "Sesudah")
            except aiosmtplib.SMTPResponseException as exc:
                assert exc.code == 451
                await asyncio.sleep(0.2)
                return False

        await wait_until_async(taken_again, "mail taken after the outage", 60)
        titles = [r["title"] for r in await db.fetch("SELECT title FROM complaints ORDER BY id")]
        assert titles == ["Sebelum", "Sesudah"]
    finally:
        server.close()
        await server.wait_closed()
