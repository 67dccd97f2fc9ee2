"""What a fetch holds on disk: one folder per month, so an interrupted fetch resumes.

``<fetch dir>/<YYYY-MM>/``
  ``manifest.json``  the publication and boundaries it was fetched under, each piece's state
                     (``done`` with its record count, or ``split``), and whether it is complete;
  ``parts/<key>.json``  police.uk's answer for one piece, as received;
  ``import/``        once every piece is held: one file per area, records deduplicated on the
                     API's ``id`` across pieces, named so that ``import police`` runs them per
                     area-month and the run's file name says which publication it came from.

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
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
# The import file of an area: the importer keys its run on the one ONS code in the name.
IMPORT_NAME = "police-uk-api_{month}_{area}_published-{publication}.json"
PUBLISHED_RE = re.compile(r"_published-(\d{4}-\d{2})\.json$")


def publication_of(file_name: str) -> str | None:
    """The publication a fetched import file came from (None for a file imported by hand)."""
    match = PUBLISHED_RE.search(file_name)
    return match.group(1) if match else None


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
    records: int = 0  # unique records once complete
    duplicates: int = 0  # records dropped as a repeat of an id another piece brought

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
            folder.complete = bool(stored.get("complete"))
            folder.records = int(stored.get("records") or 0)
            folder.duplicates = int(stored.get("duplicates") or 0)
            if folder.complete and not folder.import_dir.is_dir() and folder.records:
                folder.complete = False  # the import files went missing: assemble them again
        elif folder.path.exists():
            shutil.rmtree(folder.path)
        return folder

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

    def assemble(self, areas_in_order: list[tuple[str, str]]) -> dict[str, Path]:
        """Write the import files from the pieces held: each record once, under the first
        (area, piece) in ``areas_in_order`` that brought it; areas with no record get no file
        (the importer refuses an empty array). Returns area → file."""
        seen: set = set()
        by_area: dict[str, list] = {}
        self.duplicates = 0
        for area, key in areas_in_order:
            for record in self.read_piece(key):
                record_id = record.get("id") if isinstance(record, dict) else None
                if isinstance(record_id, int):  # anything else is the importer's to refuse
                    if record_id in seen:
                        self.duplicates += 1
                        continue
                    seen.add(record_id)
                by_area.setdefault(area, []).append(record)
        staging = self.path / "import.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        files = {}
        for area, records in sorted(by_area.items()):
            records.sort(key=_record_id)
            name = IMPORT_NAME.format(month=self.month, area=area, publication=self.publication)
            write_atomically(staging / name, json.dumps(records, separators=(",", ":")).encode() + b"\n")
            files[area] = self.import_dir / name
        if self.import_dir.exists():
            shutil.rmtree(self.import_dir)
        if files:
            os.replace(staging, self.import_dir)
        self.records = sum(len(r) for r in by_area.values())
        self.complete = True
        self.save()
        return files


def _record_id(record: object) -> int:
    record_id = record.get("id") if isinstance(record, dict) else None
    return record_id if isinstance(record_id, int) else 0
