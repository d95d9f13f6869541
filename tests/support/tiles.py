"""A map tile server for the tests: every /{z}/{x}/{y}.png is one grey tile (nothing is fetched
from the internet); it remembers the paths it served."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


class TileStub:
    def __init__(self) -> None:
        buffer = io.BytesIO()
        Image.new("RGB", (256, 256), (220, 226, 230)).save(buffer, "PNG")
        tile, served = buffer.getvalue(), []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args: object) -> None:
                pass

        self.served: list[str] = served
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.tile_url = self.url + "/{z}/{x}/{y}.png"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
