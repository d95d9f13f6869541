"""A real IMAP server for tests: pymap (asyncio, in-memory mailboxes) in a child process on
a free port, with one user, and a client to put mail in and look at its flags."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from aioimaplib import IMAP4

from tests.support.net import free_port

USER = "aduan"
PASSWORD = "rahasia-kotak"


class ImapServer:
    """`pymap ... dict`: mailboxes in memory, gone when it stops."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ImapServer:
        pymap = shutil.which("pymap", path=str(Path(sys.executable).parent))
        if pymap is None:
            raise RuntimeError("pymap is not installed (pip install -e '.[test]')")
        self.process = subprocess.Popen(
            [
                pymap,
                "--host",
                self.host,
                "--port",
                str(self.port),
                "--no-tls",
                "dict",
                "--demo-user",
                USER,
                "--demo-password",
                PASSWORD,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((self.host, self.port), 0.2).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    error = self.process.stderr.read().decode() if self.process.stderr else ""
                    self.stop()
                    raise RuntimeError(f"pymap did not start: {error[-2000:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def settings_env(self) -> dict[str, str]:
        return {
            "PENGADUAN_MAIL_INTAKE_IMAP_HOST": self.host,
            "PENGADUAN_MAIL_INTAKE_IMAP_PORT": str(self.port),
            "PENGADUAN_MAIL_INTAKE_IMAP_SECURITY": "none",
            "PENGADUAN_MAIL_INTAKE_IMAP_USER": USER,
            "PENGADUAN_MAIL_INTAKE_IMAP_PASSWORD": PASSWORD,
        }

    async def client(self) -> IMAP4:
        client = IMAP4(host=self.host, port=self.port, timeout=10)
        await client.wait_hello_from_server()
        await client.login(USER, PASSWORD)
        return client

    async def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Put mail in the folder, unread, as the mail provider would."""
        client = await self.client()
        try:
            for raw in messages:
                response = await client.append(raw, mailbox=folder)
                assert response.result == "OK", response
        finally:
            await client.logout()

    async def unread(self, folder: str = "INBOX") -> int:
        """How many mails of the folder are unread."""
        client = await self.client()
        try:
            await client.select(folder)
            response = await client.search("UNSEEN")
            return len(bytes(response.lines[0]).split())
        finally:
            await client.logout()

    async def flagged(self, folder: str = "INBOX") -> int:
        client = await self.client()
        try:
            await client.select(folder)
            response = await client.search("FLAGGED")
            return len(bytes(response.lines[0]).split())
        finally:
            await client.logout()
