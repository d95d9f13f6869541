"""Bytes a first visit transfers, compressed, for the citizen's two busiest pages (the
new-complaint form and My complaints) and the public transparency page. The page's HTML plus every subresource it references
(stylesheets, scripts, icons, images), each fetched with `Accept-Encoding: br, gzip` and
counted as it travels (compressed body size), against the target of 30 KB per page.

    .venv/bin/python bench/page_bytes.py

Runs the app in-process against the embedded PostgreSQL in var/bench-pgdata, with the demo
data loaded, logged in as the demo citizen `warga`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from harness import log_in

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support: test databases and settings, outside the package
PAGES = {
    "New complaint": "/pengaduan/baru",
    "My complaints": "/pengaduan-saya",
    "Transparency (public figures)": "/transparansi",
}
TARGET = 30 * 1024
ENCODINGS = {"Accept-Encoding": "br, gzip"}


class Subresources(HTMLParser):
    """What a browser fetches on its own for a page: stylesheets, icons, scripts, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if (
            tag == "link"
            and a.get("href")
            and {"stylesheet", "icon", "preload"} & set((a.get("rel") or "").split())
        ):
            self.urls.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "img" and a.get("src"):
            self.urls.append(a["src"])


async def transferred(client, url: str) -> tuple[int, int, str, str]:
    """(compressed bytes, uncompressed bytes, content encoding, body text)."""
    import gzip

    import brotli

    async with client.stream("GET", url, headers=ENCODINGS) as response:
        assert response.status_code == 200, (url, response.status_code)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    encoding = response.headers.get("content-encoding", "-")
    body = {"br": brotli.decompress, "gzip": gzip.decompress}.get(encoding, bytes)(raw)
    return len(raw), len(body), encoding, body.decode("utf-8", "replace")


async def main() -> None:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    os.environ["PENGADUAN_DATA_DIR"] = str(ROOT / "var" / "bench")
    import httpx

    from pengaduan import db, demo
    from pengaduan.app import create_app
    from pengaduan.db import embedded, migrations
    from tests.support.databases import recreate_database, settings_for

    server = embedded.start_embedded(ROOT / "var" / "bench-pgdata")
    dsn = await recreate_database(db.with_database(server.server_dsn, "postgres"), "bench_pages")
    await migrations.migrate(dsn)
    settings = settings_for(dsn, PENGADUAN_BCRYPT_ROUNDS="4", PENGADUAN_OUTBOX_IN_APP="false")
    await demo.seed(settings, dsn)
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await log_in(client, "warga", "pengaduan-warga-demo")
            print("\nFirst visit, compressed bytes on the wire (target ≤ 30 KB per page):")
            for name, path in PAGES.items():
                wire, raw, encoding, html = await transferred(client, path)
                rows = [(path, wire, raw, encoding)]
                parser = Subresources()
                parser.feed(html)
                for url in dict.fromkeys(parser.urls):
                    sub_wire, sub_raw, sub_encoding, _ = await transferred(
                        client, urljoin(path, url)
                    )
                    rows.append((url, sub_wire, sub_raw, sub_encoding))
                total = sum(r[1] for r in rows)
                verdict = "ok" if total <= TARGET else "OVER"
                print(f"\n  {name} ({path}): {total / 1024:.1f} KB  (target 30.0 KB: {verdict})")
                for url, sub_wire, sub_raw, sub_encoding in rows:
                    print(
                        f"    {sub_wire / 1024:6.1f} KB  ({sub_raw / 1024:6.1f} KB raw, "
                        f"{sub_encoding:>4})  {url}"
                    )


if __name__ == "__main__":
    asyncio.run(main())
