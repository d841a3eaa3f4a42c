"""A tiny local tile server for the console's browser tests: plain grey 256-px tiles
with a grid, and a red cross on a landmark given in the server's own datum (a WGS-84
server draws it where 天地图 would, a GCJ-02 one where 高德 would)."""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image, ImageDraw

from domain.geo import LngLat

_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def world_pixel(point: LngLat, zoom: int) -> tuple[float, float]:
    """Web-Mercator pixel of a point at ``zoom`` (256-px tiles)."""
    scale = 256 * 2**zoom
    x = (point.lng + 180) / 360 * scale
    s = math.sin(math.radians(point.lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale
    return x, y


def _tile(z: int, x: int, y: int, landmark: LngLat) -> bytes:
    image = Image.new("RGB", (256, 256), (236, 239, 242))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 255, 255), outline=(200, 205, 212))
    px, py = world_pixel(landmark, z)
    lx, ly = px - x * 256, py - y * 256
    if -12 <= lx <= 268 and -12 <= ly <= 268:
        draw.line((lx - 12, ly, lx + 12, ly), fill=(220, 0, 0), width=3)
        draw.line((lx, ly - 12, lx, ly + 12), fill=(220, 0, 0), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@contextmanager
def tile_server(landmark: LngLat) -> Iterator[str]:
    """Serve tiles on a free port; yields the Leaflet URL template."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = _PATH.match(self.path)
            if not found:
                self.send_error(404)
                return
            z, x, y = (int(v) for v in found.groups())
            body = _tile(z, x, y, landmark)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{{z}}/{{x}}/{{y}}.png"
    finally:
        server.shutdown()
        server.server_close()
