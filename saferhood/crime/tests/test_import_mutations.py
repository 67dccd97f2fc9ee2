"""The mutation corpus: over 500 damaged police.uk files, class by class, on SQLite and PostgreSQL.

Each class starts from a database holding the undamaged slices (street, outcomes, stop and
search, two API ward files, an archive zip of two force-months). Every damaged file is imported
through ``import_police`` (what ``saferhood import police`` runs), in a savepoint rolled back
after it, and must end in one of two ways:

- our import error, naming the file (``path:line`` wherever a line means something), with the
  database unchanged: every record, count, run and coverage row as before (checksum);
- success, with no force-month silently emptied: each one holds at least the replacement share
  of its rows, and every run's records and counts agree with what the run says it stored.

Any other exception is a traceback a user would have seen, and fails the class.
"""

from __future__ import annotations

import hashlib
import traceback
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum

from saferhood.core.errors import ImportFileError
from saferhood.crime.importers import import_police
from saferhood.crime.importers.store import ReplaceWithFewerError
from saferhood.crime.models import (
    CrimeRecord,
    ImportRun,
    MonthlyCount,
    OutcomeRecord,
    RunCoverage,
    StopSearchRecord,
)
from saferhood.crime.tests.mutations import CLASSES, bases, corpus

BASES = bases()
TABLES = [CrimeRecord, OutcomeRecord, StopSearchRecord, MonthlyCount, ImportRun, RunCoverage]
RECORDS = {
    "street": CrimeRecord,
    "api": CrimeRecord,
    "outcomes": OutcomeRecord,
    "stop-and-search": StopSearchRecord,
}
# Errors about a whole archive or member (no line inside it to name).
WHOLE_FILE = ("expected a zip archive", "expected a readable zip member", "expected at least")


@pytest.fixture(scope="module")
def area_index(django_db_blocker):
    from saferhood.areas.placement import AreaIndex

    with django_db_blocker.unblock():
        return AreaIndex.load()


def checksum() -> str:
    digest = hashlib.sha256()
    for model in TABLES:
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "created_on"]
        for row in model.objects.order_by("pk").values_list(*fields):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def held() -> dict[tuple[str, str, str], int]:
    """Rows per current kind-force-month, as the runs say."""
    rows = ImportRun.objects.current().values_list("kind", "force", "month").annotate(n=Sum("rows_stored"))
    return {(k, f, m): n for k, f, m, n in rows}


def check_consistent() -> None:
    """Every run holds the records (and, for crimes, the counts) it says it stored: no partial run."""
    for run_id, kind, stored in ImportRun.objects.values_list("pk", "kind", "rows_stored"):
        model = RECORDS[kind]
        assert model.objects.filter(run_id=run_id).count() == stored, (run_id, kind)
        if model is CrimeRecord:
            counted = MonthlyCount.objects.filter(run_id=run_id).aggregate(n=Sum("count"))["n"] or 0
            assert counted == stored, (run_id, kind)
    assert not ImportRun.objects.values("kind", "force", "month").annotate(n=Count("pk")).filter(n__gt=1)


def import_one(tmp_path: Path, name: str, data: bytes, area_index):
    path = tmp_path / name
    path.write_bytes(data)
    return path, import_police([path], progress=False, area_index=area_index)


@pytest.fixture
def baseline(db, area_index, tmp_path):
    (tmp_path / "base").mkdir()
    for name, data in BASES.items():
        import_one(tmp_path / "base", name, data, area_index)
    check_consistent()
    return held(), checksum()


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_mutation_class(baseline, area_index, tmp_path, kind):
    rows_before, digest_before = baseline
    share = settings.SAFERHOOD_IMPORT_MIN_REPLACEMENT_SHARE
    problems: list[str] = []
    outcomes = {"refused": 0, "imported": 0}
    for n, (label, name, data) in enumerate(corpus(kind, BASES)):
        folder = tmp_path / str(n)
        folder.mkdir()
        point = transaction.savepoint()
        try:
            try:
                path, _summary = import_one(folder, name, data, area_index)
            except ImportFileError as exc:
                outcomes["refused"] += 1
                message = str(exc)
                if not message.startswith(str(folder / name)):
                    problems.append(f"{label}: error does not name the file: {message}")
                whole = isinstance(exc, ReplaceWithFewerError) or any(w in message for w in WHOLE_FILE)
                if exc.line is None and not whole:
                    problems.append(f"{label}: error names no line: {message}")
                if checksum() != digest_before:
                    problems.append(f"{label}: refused, yet the database changed: {message}")
                continue
            except Exception:  # a traceback the user would have seen
                problems.append(f"{label}: {traceback.format_exc(limit=-3)}")
                continue
            outcomes["imported"] += 1
            rows_after = held()
            for key, before in rows_before.items():
                after = rows_after.get(key, 0)
                if after < share * before:
                    problems.append(f"{label}: {key} went from {before} to {after} rows without a refusal")
            try:
                check_consistent()
            except AssertionError as exc:
                problems.append(f"{label}: partial import {exc}")
        finally:
            transaction.savepoint_rollback(point)
    assert not problems, f"{len(problems)} of the {kind} mutations:\n" + "\n".join(problems[:20])
    assert checksum() == digest_before
    assert sum(outcomes.values()) >= 20 and outcomes["refused"], outcomes


def test_corpus_is_large_enough():
    assert sum(len(corpus(kind, BASES)) for kind in CLASSES) >= 500
