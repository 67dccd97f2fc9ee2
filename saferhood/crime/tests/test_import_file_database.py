"""An import into an SQLite file, as ``make run`` and the ``saferhood`` command do it.

The other import tests run inside a transaction on the test database, where the import's
file-only machinery stands aside: per-row foreign-key checks off, and the write-ahead log
checkpointed beside the import rather than inside its commits. Here a real database file is
built with the project's own commands and imported into outside any transaction.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
STREET = ROOT / "demo/police-uk/police-uk-street-2022-staffs-warks-btp"
FILES = [
    STREET / "2022-01/2022-01-staffordshire-street.csv",
    STREET / "2022-02/2022-02-staffordshire-street.csv",
    STREET / "2022-01/2022-01-btp-street.csv",
]
pytestmark = pytest.mark.sqlite_file

# Runs in `manage.py shell`: import, then report what the connection and the file look like.
SCRIPT = """
import json, os
from pathlib import Path
from django.db import connection
from saferhood.crime.importers import import_police
db = connection.settings_dict["NAME"]
before = os.path.getsize(db)
summary = import_police([Path(p) for p in {files!r}], progress=False)
after = os.path.getsize(db)  # before anything else can checkpoint the log
with connection.cursor() as c:
    pragmas = {{p: c.execute(f"PRAGMA {{p}}").fetchone()[0] for p in ("foreign_keys", "wal_autocheckpoint")}}
    broken = c.execute("PRAGMA foreign_key_check").fetchall()
    stored = c.execute(
        "SELECT r.force, r.month, COUNT(*) FROM crime_crimerecord c JOIN crime_importrun r ON r.id = c.run_id "
        "GROUP BY r.force, r.month ORDER BY r.force, r.month"
    ).fetchall()
    counted = c.execute("SELECT SUM(count) FROM crime_monthlycount").fetchone()[0]
print("RESULT" + json.dumps(dict(before=before, after=after, pragmas=pragmas, broken=broken,
                                 stored=stored, counted=counted, runs=len(summary.runs))))
"""


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("filedb") / "saferhood.sqlite3"
    env = {**os.environ, "SAFERHOOD_PROFILE": "dev", "DATABASE_URL": f"sqlite:///{db}"}
    _manage(env, "migrate", "--no-input", "-v0")
    _manage(env, "import", "geography")
    out = _manage(env, "shell", "-c", SCRIPT.format(files=[str(f) for f in FILES]))
    return json.loads(out.split("RESULT", 1)[1])


def test_every_row_stored_once_and_counted(report):
    expected = sorted(
        (path.name.split("-")[2], path.name[:7], len(pd.read_csv(path, dtype=str))) for path in FILES
    )
    assert [tuple(row) for row in report["stored"]] == expected
    assert report["counted"] == sum(n for _, _, n in expected)
    assert report["runs"] == len(FILES)


def test_database_left_consistent_and_settings_restored(report):
    assert report["broken"] == []  # no record or count refers to a missing run
    assert report["pragmas"] == {"foreign_keys": 1, "wal_autocheckpoint": 1000}
    # The log was copied into the database file before the import returned: the file grew by
    # at least the records' text (about 20k rows of well over 100 bytes).
    assert report["after"] - report["before"] > 2_000_000
