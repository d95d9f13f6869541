"""The embedded PostgreSQL: started on demand, reused when left running, stopped by its owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.waiting import wait_until

START = textwrap.dedent(
    """
    import signal, sys
    from pathlib import Path
    from pengaduan.db.embedded import start_embedded
    server = start_embedded(Path(sys.argv[1]))
    print(server.handle.get_pid(), flush=True)
    if len(sys.argv) > 2:
        signal.pause()  # held until the test kills it
    """
)


def _start(pgdata: Path, hold: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-c", START, str(pgdata)] + (["hold"] if hold else [])
    return subprocess.Popen(args, stdout=subprocess.PIPE, text=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not a server.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def _gone(pid: int, seconds: float = 20) -> bool:
    try:
        wait_until(lambda: not _alive(pid), f"process {pid} gone", seconds, poll=0.2)
    except TimeoutError:
        return False
    return True


def test_started_on_demand_and_stopped_when_its_owner_exits(data_dir: Path) -> None:
    proc = _start(data_dir / "pgdata")
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert (data_dir / "pgdata" / "PG_VERSION").exists()  # initialised on first start
    assert _gone(int(out.strip()))


def test_a_server_left_by_a_killed_owner_is_reused_then_stopped(data_dir: Path) -> None:
    holder = _start(data_dir / "pgdata", hold=True)
    pid = int(holder.stdout.readline())
    holder.send_signal(signal.SIGKILL)  # no atexit: the server stays up
    holder.wait()
    assert _alive(pid)

    again = _start(data_dir / "pgdata")
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0
    assert int(out.strip()) == pid  # the same server, reused
    assert _gone(pid)  # and stopped although a dead process was still listed
