"""What a fetch holds on disk: one folder per month, so an interrupted fetch resumes.

``<fetch dir>/<YYYY-MM>/``
  ``manifest.json``  the publication and boundaries it was fetched under, each piece's state
                     (``done`` with its record count, or ``split``), and whether it is complete;
  ``parts/<key>.json``  police.uk's street crimes for one piece, as received;
  ``parts/stops/<key>.json``, ``parts/outcomes/<key>.json``  its stop and search and outcomes;
  ``import/``        once every piece of every kind is held: one file per area and kind,
                     records seen in two pieces kept once (``records.repeat_key``), named so that
                     ``import police`` runs them per area-month and kind and the run's file name
                     says which publication it came from.

Every file is written to a temporary name and renamed (atomic on one file system), and a piece
is marked done only after its file is whole, so a kill at any moment leaves either the piece or
nothing. A folder fetched under another publication or other boundaries starts again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from saferhood.policeapi.records import CRIMES, KINDS, OUTCOMES, STOPS, repeat_key

MANIFEST = "manifest.json"
# The import file of an area: the importer keys its run on the one ONS code in the name.
IMPORT_NAME = "police-uk-api_{month}_{area}_published-{publication}.json"
IMPORT_NAMES = {
    CRIMES: IMPORT_NAME,
    STOPS: "police-uk-api-stops_{month}_{area}_published-{publication}.json",
    OUTCOMES: "police-uk-api-outcomes_{month}_{area}_published-{publication}.json",
}
PUBLISHED_RE = re.compile(r"_published-(\d{4}-\d{2})\.json$")


def publication_of(file_name: str) -> str | None:
    """The publication a fetched import file came from (None for a file imported by hand)."""
    match = PUBLISHED_RE.search(file_name)
    return match.group(1) if match else None


def piece_key(kind: str, key: str) -> str:
    """A piece's key in the manifest (and its part's path under ``parts/``) for one kind."""
    return key if kind == CRIMES else f"{kind}/{key}"


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class MonthFolder:
    root: Path
    month: str
    publication: str
    boundaries: str  # polygons.boundaries_digest
    pieces: dict[str, dict] = field(default_factory=dict)
    complete: bool = False
    records: int = 0  # unique records once complete, every kind
    duplicates: int = 0  # records dropped as a repeat of one another piece brought
    kinds: dict[str, dict[str, int]] = field(default_factory=dict)  # kind → records, duplicates

    @property
    def path(self) -> Path:
        return self.root / self.month

    @property
    def import_dir(self) -> Path:
        return self.path / "import"

    @classmethod
    def open(cls, root: Path, month: str, publication: str, boundaries: str) -> MonthFolder:
        """The month's folder as fetched under this publication and these boundaries; a folder
        from another publication or other boundaries is emptied (its answers are out of date)."""
        folder = cls(Path(root), month, publication, boundaries)
        stored = folder.read_manifest()
        if stored and stored.get("publication") == publication and stored.get("boundaries") == boundaries:
            folder.pieces = dict(stored.get("pieces") or {})
            # A folder fetched before stops and outcomes were fetched lacks them: not complete.
            folder.complete = bool(stored.get("complete")) and set(stored.get("kinds") or ()) >= set(KINDS)
            folder.records = int(stored.get("records") or 0)
            folder.duplicates = int(stored.get("duplicates") or 0)
            folder.kinds = dict(stored.get("kinds") or {}) if folder.complete else {}
            if folder.complete and not folder.import_dir.is_dir() and folder.records:
                folder.complete = False  # the import files went missing: assemble them again
        elif folder.path.exists():
            shutil.rmtree(folder.path)
        return folder

    def discard(self) -> None:
        """Forget every answer of the month (they could not be imported)."""
        if self.path.exists():
            shutil.rmtree(self.path)
        self.pieces, self.kinds, self.complete, self.records, self.duplicates = {}, {}, False, 0, 0

    def read_manifest(self) -> dict | None:
        try:
            stored = json.loads((self.path / MANIFEST).read_bytes())
        except (OSError, ValueError):
            return None
        return stored if isinstance(stored, dict) else None

    def save(self) -> None:
        manifest = {
            "month": self.month,
            "publication": self.publication,
            "boundaries": self.boundaries,
            "complete": self.complete,
            "records": self.records,
            "duplicates": self.duplicates,
            "kinds": self.kinds,
            "pieces": self.pieces,
        }
        write_atomically(self.path / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())

    def part_path(self, key: str) -> Path:
        return self.path / "parts" / f"{key}.json"

    def holds(self, key: str) -> bool:
        return self.pieces.get(key, {}).get("state") == "done" and self.part_path(key).is_file()

    def is_split(self, key: str) -> bool:
        return self.pieces.get(key, {}).get("state") == "split"

    def store_piece(self, key: str, records: list) -> None:
        write_atomically(self.part_path(key), json.dumps(records, separators=(",", ":")).encode())
        self.pieces[key] = {"state": "done", "records": len(records)}
        self.save()

    def mark_split(self, key: str) -> None:
        self.pieces[key] = {"state": "split"}
        self.save()

    def read_piece(self, key: str) -> list:
        return json.loads(self.part_path(key).read_bytes())

    def assemble(self, order: dict[str, list[tuple[str, str]]] | list[tuple[str, str]]) -> dict[str, Path]:
        """Write the import files from the pieces held, per kind: ``order`` maps a kind to the
        (area, piece key) of its pieces (a list: crimes only). A record two pieces brought is
        written once, under the first area that brought it; records equal under the kind's key
        within one answer are all kept (two people searched together), so a record is written
        as many times as any one piece holds it. Areas with no record get no file (the importer
        refuses an empty array). Returns "<kind>/<area>" (crimes: "<area>") → file."""
        orders = {CRIMES: order} if isinstance(order, list) else order
        staging = self.path / "import.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        files = {}
        self.kinds = {}
        for kind, pieces in orders.items():
            by_area, duplicates = self._unique(kind, pieces)
            self.kinds[kind] = {"records": sum(len(r) for r in by_area.values()), "duplicates": duplicates}
            for area, records in sorted(by_area.items()):
                if kind == CRIMES:
                    records.sort(key=_record_id)
                name = IMPORT_NAMES[kind].format(month=self.month, area=area, publication=self.publication)
                write_atomically(staging / name, json.dumps(records, separators=(",", ":")).encode() + b"\n")
                files[piece_key(kind, area)] = self.import_dir / name
        if self.import_dir.exists():
            shutil.rmtree(self.import_dir)
        if files:
            os.replace(staging, self.import_dir)
        self.records = sum(k["records"] for k in self.kinds.values())
        self.duplicates = sum(k["duplicates"] for k in self.kinds.values())
        self.complete = True
        self.save()
        return files

    def _unique(self, kind: str, pieces: list[tuple[str, str]]) -> tuple[dict[str, list], int]:
        kept: Counter = Counter()  # key → most times one piece held it
        by_area: dict[str, list] = {}
        duplicates = 0
        for area, key in pieces:
            here: Counter = Counter()
            for record in self.read_piece(key):
                record_key = repeat_key(kind, record)
                if record_key is not None:  # anything else is the importer's to refuse
                    here[record_key] += 1
                    if here[record_key] <= kept[record_key]:
                        duplicates += 1
                        continue
                    kept[record_key] = here[record_key]
                by_area.setdefault(area, []).append(record)
        return by_area, duplicates


def _record_id(record: object) -> int:
    record_id = record.get("id") if isinstance(record, dict) else None
    return record_id if isinstance(record_id, int) else 0
