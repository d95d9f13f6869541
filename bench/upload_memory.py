"""What hostile photos cost the server's memory: five 7000×7000 black PNGs (143 KB each,
196 MB each once decoded) in one complaint, then a 49-megapixel JPEG.

    .venv/bin/python bench/upload_memory.py [--detail]

1. Seeds the demo set into its own database (`bench_upload`) on the embedded PostgreSQL in
   var/bench-pgdata (queue_load's helper) and starts the real app the same way
   (`pengaduan serve --workers 2`, DATABASE_URL, `--no-access-log`).
2. Logs the demo citizen in, and notes what the workers' image fork servers (started with
   the app) hold.
3. Sends each hostile complaint (one POST /pengaduan/baru, multipart) while a thread reads
   the resident memory (RSS) of the whole server process tree every 10 ms: the supervisor,
   both workers, and their image processes (fork server, image children). `--detail` adds
   each process's change.
4. Prints, per request, its answer and time, the tree's peak growth over the figure before
   it, and what is left once the tree is quiet again (RSS, and PSS, which counts a page
   shared by N processes as 1/N in each). Target: peak growth ≤ 300 MB, ≤ 20 MB left.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
sys.path.insert(0, str(ROOT / "bench"))

import queue_load  # noqa: E402
from harness import bench_environment, log_in_blocking  # noqa: E402

DATABASE = "bench_upload"
CITIZEN, PASSWORD = "warga", "pengaduan-warga-demo"
MB = 1024 * 1024
TARGET_PEAK = 300 * MB
TARGET_LEFT = 20 * MB


# --- the server's memory -----------------------------------------------------------------------


def _tree(root_pid: int) -> list:
    import psutil

    root = psutil.Process(root_pid)
    return [root, *root.children(recursive=True)]


def tree_rss(root_pid: int) -> int:
    import psutil

    total = 0
    for process in _tree(root_pid):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def by_process(root_pid: int) -> dict[int, tuple[str, int]]:
    """Each process of the tree: what it is and its RSS."""
    import psutil

    found = {}
    for process in _tree(root_pid):
        try:
            line = " ".join(process.cmdline())
            kind = next(
                (k for k in ("forkserver", "resource_tracker", "spawn_main") if k in line),
                "supervisor",
            )
            found[process.pid] = (kind, process.memory_info().rss)
        except psutil.NoSuchProcess:
            pass
    return found


def tree_pss(root_pid: int) -> int:
    import psutil

    total = 0
    for process in _tree(root_pid):
        try:
            total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            pass
    return total


def quiet(root_pid: int, seconds: float = 30) -> int:
    """The tree's RSS once it stops changing (a child replaced, a collection done)."""
    deadline = time.monotonic() + seconds
    last = tree_rss(root_pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = tree_rss(root_pid)
        if abs(now - last) < MB // 2:
            return now
        last = now
    return last


class Peak:
    """A thread that samples the tree's RSS every 10 ms until the block ends."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid, self.peak = root_pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.root_pid))
            self._stop.wait(0.01)

    def __enter__(self) -> Peak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss(self.root_pid))


def pools(root_pid: int) -> dict[int, list]:
    """Each worker's image-pool processes (the fork server and the image children)."""
    import psutil

    found: dict[int, list] = {}
    for worker in psutil.Process(root_pid).children():
        if "spawn_main" not in " ".join(worker.cmdline()):
            continue  # not a uvicorn worker (the supervisor's own helpers)
        found[worker.pid] = [
            p for p in worker.children(recursive=True) if "multiprocessing" in " ".join(p.cmdline())
        ]
    return found


def pss(processes: list) -> int:
    import psutil

    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
            pass
    return total


# --- the requests ------------------------------------------------------------------------------


def hostile_pngs() -> list[tuple[str, bytes]]:
    from tests.support.images import black_png

    dark = black_png(7000, 7000)
    return [(f"gelap{i}.png", dark) for i in range(1, 6)]


def big_jpeg() -> list[tuple[str, bytes]]:
    """A 49-megapixel photo (8100×6050): a sky, a road and some texture."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (8100, 6050), (120, 160, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 3500, 8100, 6050), fill=(90, 90, 90))
    for x in range(0, 8100, 300):
        draw.line((x, 3500, 4050, 6050), fill=(240, 240, 240), width=12)
    image.paste(Image.effect_noise((2000, 1500), 40).convert("RGB"), (600, 600))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return [("kamera-49mp.jpg", out.getvalue())]


def log_in(url: str):  # -> httpx.Client
    import httpx

    client = httpx.Client(base_url=url, timeout=300)
    log_in_blocking(client, CITIZEN, PASSWORD)
    return client


def send(url: str, cookies, items: list[tuple[str, bytes]]):  # -> (status, seconds, files)
    """One complaint with `items`, on a new connection (as a new browser tab would)."""
    import httpx

    with httpx.Client(base_url=url, timeout=300, cookies=cookies) as client:
        form = client.get("/pengaduan/baru").text
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
        category_id = re.search(r'name="category" value="(\d+)"', form).group(1)
        started = time.perf_counter()
        response = client.post(
            "/pengaduan/baru",
            data={
                "idempotency_key": key,
                "title": "Foto jalan rusak",
                "description": "Lubang besar di tengah jalan, sudah dua minggu.",
                "category": category_id,
                "location_text": "Jl. Merdeka, Bandung",
                "urgency": "normal",
            },
            files=[("evidence", (name, data, "image/png")) for name, data in items],
            headers={"x-csrftoken": client.cookies["csrftoken"]},
        )
        seconds = time.perf_counter() - started
    if response.status_code == 303:
        outcome = "303, complaint filed"
    else:
        message = re.search(r'id="e-evidence">([^<]*)<', response.text)
        outcome = f"{response.status_code}" + (f": {message.group(1)}" if message else "")
    return outcome, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--detail", action="store_true", help="print each process's change")
    args = parser.parse_args()
    log_dir = bench_environment()

    print("Seeding the demo set ...")
    dsn = asyncio.run(queue_load.prepare_database(0, 0, database_name=DATABASE))
    requests = [
        ("five 7000×7000 black PNGs (143 KB each)", hostile_pngs()),
        ("one 49-megapixel JPEG (8100×6050)", big_jpeg()),
    ]
    app = queue_load.start_app(dsn, log_dir)
    try:
        root = app.proc.pid
        client = log_in(app.url)
        client.get("/pengaduan/baru")
        started = quiet(root)
        servers = pools(root)
        print(
            f"\nserver tree at start: {started / MB:.0f} MB RSS; of it each worker's image fork"
            " server (started with the app, stays), RSS / PSS: "
            + ", ".join(
                f"{sum(p.memory_info().rss for p in ps) / MB:.0f} / {pss(ps) / MB:.0f} MB"
                for ps in servers.values()
            )
        )
        failed = False
        for label, items in requests:
            before = quiet(root)
            before_pss = tree_pss(root)
            processes = by_process(root)
            with Peak(root) as peak:
                outcome, seconds = send(app.url, client.cookies, items)
            after = quiet(root)
            after_pss = tree_pss(root)
            growth, left = peak.peak - before, after - before
            ok = growth <= TARGET_PEAK and left <= TARGET_LEFT
            failed |= not ok
            print(
                f"\n{label}: {outcome} in {seconds:.1f} s\n"
                f"  before {before / MB:.0f} MB, peak {peak.peak / MB:.0f} MB"
                f" (growth {growth / MB:.0f} MB, target ≤ {TARGET_PEAK // MB}),"
                f" after {after / MB:.0f} MB (left {left / MB:+.0f} MB, target ≤"
                f" {TARGET_LEFT // MB}) RSS; PSS {before_pss / MB:.0f} → {after_pss / MB:.0f} MB"
                f" ({(after_pss - before_pss) / MB:+.0f} MB): {'MET' if ok else 'MISSED'}"
            )
            if args.detail:
                for pid, (kind, rss) in sorted(by_process(root).items()):
                    was = processes.get(pid, ("new", 0))[1]
                    print(f"    {pid:>7} {kind:17} {rss / MB:6.1f} MB ({(rss - was) / MB:+.1f})")
        print("\n" + ("every target MET" if not failed else "a target was MISSED"))
    finally:
        app.stop()


if __name__ == "__main__":
    main()
