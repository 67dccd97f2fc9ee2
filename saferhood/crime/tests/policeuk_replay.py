"""A local HTTP server that answers like the police.uk API, from real police.uk files.

Street crimes (``crimes-street/all-crime``) come from the Sandwell June 2018 ward files bundled
in demo/ (police.uk API output, OGL v3.0; see that folder's SOURCE.md): each crime once (by
``id``). police.uk publishes no API files of stop and search or outcomes that we hold, so
``stops-street`` and ``outcomes-at-location`` answer from the real bulk CSVs in demo/police-uk
(stop and search of seven forces, 2019-12 to 2020-02; West Midlands outcomes, 2019-03 and
2020-04/05/12), each row turned into the API's JSON record (``stop_record``, ``outcome_record``:
the CSV's columns under the API's field names; empty values as null; what the CSV lacks, the
outcome's crime category and month and a person id, as null). Every answer holds the records
of the month asked whose point lies in the polygon a request sends, as police.uk does. A test can make it answer 503 above a number of records (the
API's "more than 10,000 crimes"), queue faults (a 429 with Retry-After, a connection cut mid-body, a whole answer whose JSON
stops half way, a 500),
or die after a number of polygon answers. Every request is logged. Tests never touch the internet.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[3]
SANDWELL_API = ROOT / "demo/police-uk/police-uk-api-sandwell-wards-2018-06"
STOPS_CSV = ROOT / "demo/police-uk/police-uk-stop-and-search-2019-12-to-2020-02"
OUTCOMES_CSV = ROOT / "demo/police-uk/police-uk-outcomes-west-midlands-2019-2020"
PATHS = {"crimes-street/all-crime": "crimes", "stops-street": "stops", "outcomes-at-location": "outcomes"}
FLAGS = {"True": True, "False": False, "": None}


def _location(lat: str, lon: str, street: str) -> dict | None:
    if not lat:
        return None
    return {"latitude": lat, "street": {"id": 0, "name": street}, "longitude": lon}


def stop_record(row: dict) -> dict:
    """A stop-and-search CSV row as ``stops-street`` gives it."""
    null = {k: (v if v != "" else None) for k, v in row.items()}
    return {
        "age_range": null["Age range"],
        "outcome": null["Outcome"],
        "involved_person": row["Type"] != "Vehicle search",
        "self_defined_ethnicity": null["Self-defined ethnicity"],
        "gender": null["Gender"],
        "legislation": null["Legislation"],
        "outcome_linked_to_object_of_search": FLAGS[row["Outcome linked to object of search"]],
        "datetime": row["Date"],
        "removal_of_more_than_outer_clothing": FLAGS[row["Removal of more than just outer clothing"]],
        "outcome_object": {"id": "", "name": row["Outcome"]},
        "location": _location(row["Latitude"], row["Longitude"], ""),
        "operation": FLAGS[row["Part of a policing operation"]],
        "officer_defined_ethnicity": null["Officer-defined ethnicity"],
        "type": row["Type"],
        "operation_name": null["Policing operation"],
        "object_of_search": null["Object of search"],
    }


def outcome_record(row: dict) -> dict:
    """An outcomes CSV row as ``outcomes-at-location`` gives it."""
    return {
        "category": {"code": row["Outcome type"].lower().replace(" ", "-"), "name": row["Outcome type"]},
        "date": row["Month"],
        "person_id": None,
        "crime": {
            "category": None,
            "location_type": "Force",
            "location": _location(row["Latitude"], row["Longitude"], row["Location"]),
            "context": "",
            "persistent_id": row["Crime ID"],
            "id": None,
            "location_subtype": "",
            "month": None,
        },
    }


def _csv_rows(folder: Path, pattern: str) -> list[dict]:
    import pandas as pd

    frames = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in sorted(folder.glob(pattern))]
    return pd.concat(frames).to_dict("records")


def load_stops(folder: Path = STOPS_CSV) -> list[dict]:
    return [stop_record(row) for row in _csv_rows(folder, "*/*-stop-and-search.csv")]


def load_outcomes(folder: Path = OUTCOMES_CSV) -> list[dict]:
    return [outcome_record(row) for row in _csv_rows(folder, "*/*-outcomes.csv")]


def _month(kind: str, record: dict) -> str:
    return {
        "crimes": lambda r: r["month"],
        "stops": lambda r: r["datetime"][:7],
        "outcomes": lambda r: r["date"],
    }[kind](record)


class Located:
    """One kind's records with a point (police.uk answers a polygon with located records only)."""

    def __init__(self, kind: str, records: list[dict]) -> None:
        where = [r.get("location") if kind != "outcomes" else r["crime"].get("location") for r in records]
        keep = [i for i, loc in enumerate(where) if loc]
        self.kind = kind
        self.records = [records[i] for i in keep]
        self.months = np.array([_month(kind, r) for r in self.records], dtype=object)
        lon = np.array([float(where[i]["longitude"]) for i in keep])
        lat = np.array([float(where[i]["latitude"]) for i in keep])
        self.points = shapely.points(lon, lat)


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
    def __init__(
        self,
        records: list[dict],
        *,
        latest: str = "2018-06",
        months: list[str] | None = None,
        stops: list[dict] | None = None,
        outcomes: list[dict] | None = None,
    ):
        self.kinds = {
            "crimes": Located("crimes", records),
            "stops": Located("stops", stops or []),
            "outcomes": Located("outcomes", outcomes or []),
        }
        self.bad_answers: dict[str, bytes] = {}  # kind → a body answered (200) to every request of it
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

    def requests_for(self, kind: str) -> list[Logged]:
        path = next(p for p, k in PATHS.items() if k == kind)
        return [entry for entry in self.log if entry.path.endswith("/" + path)]

    def in_polygon(self, poly: str, month: str | None, kind: str = "crimes") -> list[dict]:
        """The records of the month whose point lies in (or on) the polygon ``lat,lng:lat,lng:…``."""
        pairs = [tuple(map(float, p.split(","))) for p in poly.split(":")]
        polygon = shapely.Polygon([(lng, lat) for lat, lng in pairs])
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        located = self.kinds[kind]
        inside = shapely.covers(polygon, located.points) & (located.months == month)
        return [located.records[i] for i in np.flatnonzero(inside)]

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
                kind = next((k for p, k in PATHS.items() if self.path.endswith("/" + p)), None)
                if kind is None or "poly" not in form:
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
                if kind in replay.bad_answers:
                    self._log(200, form)
                    self._send(200, replay.bad_answers[kind])
                    return
                found = replay.in_polygon(form["poly"], form.get("date"), kind)
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
    replay = ReplayPoliceUk(load_records(), stops=load_stops(), outcomes=load_outcomes())
    replay._server.server_close()
    replay._server = ThreadingHTTPServer(("127.0.0.1", args.port), replay._handler())
    replay.too_many = args.too_many
    print(f"police.uk replay on {replay.url} (Ctrl-C stops it)", flush=True)
    try:
        replay._server.serve_forever()
    except KeyboardInterrupt:
        pass


@contextmanager
def serving(replay: ReplayPoliceUk, settings, fetch_dir: Path) -> Iterator[ReplayPoliceUk]:
    """Point the refresh at ``replay`` (fast, few retries, Sandwell as the partnership) while it runs."""
    replay.start()
    settings.SAFERHOOD_POLICE_UK_URL = replay.url
    settings.SAFERHOOD_POLICE_UK_RATE = 1000
    settings.SAFERHOOD_POLICE_UK_BURST = 1000
    settings.SAFERHOOD_POLICE_UK_ATTEMPTS = 3
    settings.SAFERHOOD_POLICE_UK_BACKOFF = 0.01
    settings.SAFERHOOD_FETCH_DIR = fetch_dir
    settings.SAFERHOOD_PARTNERSHIP_LADS = ["E08000028"]
    try:
        yield replay
    finally:
        replay.stop()
