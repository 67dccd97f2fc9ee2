"""A local HTTP server that answers like the police.uk API, from real API files.

It serves the Sandwell June 2018 ward files bundled in demo/ (police.uk API output, OGL v3.0;
see that folder's SOURCE.md): each crime once (by ``id``), found by point in the polygon a
request sends, as police.uk does. A test can make it answer 503 above a number of records (the
API's "more than 10,000 crimes"), queue faults (a 429 with Retry-After, a connection cut mid-body, a whole answer whose JSON
stops half way, a 500),
or die after a number of polygon answers. Every request is logged. Tests never touch the internet.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[3]
SANDWELL_API = ROOT / "demo/police-uk/police-uk-api-sandwell-wards-2018-06"


def load_records(folder: Path = SANDWELL_API) -> list[dict]:
    """Every record of the folder's JSON files, once per ``id`` (police.uk holds each crime once)."""
    seen: dict[int, dict] = {}
    for path in sorted(folder.glob("*.json")):
        for record in json.loads(path.read_bytes()):
            seen.setdefault(record["id"], record)
    return list(seen.values())


@dataclass
class Logged:
    at: float
    method: str
    path: str
    status: int
    poly: str | None = None
    date: str | None = None


class ReplayPoliceUk:
    def __init__(self, records: list[dict], *, latest: str = "2018-06", months: list[str] | None = None):
        self.records = records
        self.lon = np.array([float(r["location"]["longitude"]) for r in records])
        self.lat = np.array([float(r["location"]["latitude"]) for r in records])
        self.points = shapely.points(self.lon, self.lat)
        self.latest = latest
        self.months = months or [latest]
        self.too_many: int | None = None  # answer 503 to a polygon holding more records than this
        self.faults: list[str] = []  # applied in turn to the next polygon requests
        self.die_after: int | None = None  # polygon answers given before every request fails
        self.answered = 0  # polygon answers given (200)
        self.log: list[Logged] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api"

    def start(self) -> ReplayPoliceUk:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def crimes_requests(self) -> list[Logged]:
        return [entry for entry in self.log if entry.path.endswith("/crimes-street/all-crime")]

    def in_polygon(self, poly: str) -> list[dict]:
        """The records whose point lies in (or on) the polygon ``lat,lng:lat,lng:…``."""
        pairs = [tuple(map(float, p.split(","))) for p in poly.split(":")]
        polygon = shapely.Polygon([(lng, lat) for lat, lng in pairs])
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        inside = shapely.covers(polygon, self.points)
        return [r for r, keep in zip(self.records, inside, strict=True) if keep]

    def _handler(self):
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # quiet
                pass

            def _send(self, status: int, body: bytes, *, headers: dict | None = None, cut: bool = False):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if cut else body)
                if cut:
                    self.close_connection = True

            def _log(self, status: int, form: dict | None = None) -> None:
                form = form or {}
                with replay._lock:
                    replay.log.append(
                        Logged(
                            time.monotonic(),
                            self.command,
                            self.path,
                            status,
                            form.get("poly"),
                            form.get("date"),
                        )
                    )

            def do_GET(self):
                path = urllib.parse.urlsplit(self.path).path
                if path.endswith("/crime-last-updated"):
                    self._log(200)
                    self._send(200, json.dumps({"date": f"{replay.latest}-01"}).encode())
                elif path.endswith("/crimes-street-dates"):
                    self._log(200)
                    body = [{"date": m, "stop-and-search": ["west-midlands"]} for m in sorted(replay.months)]
                    self._send(200, json.dumps(body[::-1]).encode())
                else:
                    self._log(404)
                    self._send(404, b'{"error": "not found"}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
                if not self.path.endswith("/crimes-street/all-crime") or "poly" not in form:
                    self._log(400, form)
                    self._send(400, b"")
                    return
                with replay._lock:
                    dead = replay.die_after is not None and replay.answered >= replay.die_after
                    fault = replay.faults.pop(0) if replay.faults and not dead else None
                if dead or fault == "500":
                    self._log(500, form)
                    self._send(500, b"Internal Server Error")
                    return
                if fault == "429":
                    self._log(429, form)
                    self._send(429, b"", headers={"Retry-After": "1"})
                    return
                found = [r for r in replay.in_polygon(form["poly"]) if r["month"] == form.get("date")]
                if replay.too_many is not None and len(found) > replay.too_many:
                    self._log(503, form)
                    self._send(503, b"")
                    return
                self._log(200, form)
                body = json.dumps(found).encode()
                with replay._lock:
                    if fault not in ("truncated", "garbled"):
                        replay.answered += 1
                if fault == "garbled":  # whole as HTTP goes, but the JSON stops half way
                    body = body[: len(body) // 2]
                self._send(200, body, cut=fault == "truncated")

        return Handler


if __name__ == "__main__":  # python -m saferhood.crime.tests.policeuk_replay [--port N]
    import argparse

    parser = argparse.ArgumentParser(description="Answer like police.uk from the bundled Sandwell API files")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--too-many", type=int, default=None, help="answer 503 above this many records")
    args = parser.parse_args()
    replay = ReplayPoliceUk(load_records())
    replay._server.server_close()
    replay._server = ThreadingHTTPServer(("127.0.0.1", args.port), replay._handler())
    replay.too_many = args.too_many
    print(f"police.uk replay on {replay.url} (Ctrl-C stops it)", flush=True)
    try:
        replay._server.serve_forever()
    except KeyboardInterrupt:
        pass
