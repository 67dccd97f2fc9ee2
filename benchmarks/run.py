"""``make bench``: import throughput and profile latency, as ratios to baselines measured in the same run.

Results go to benchmarks/results/*.json. Nothing here is a test: the numbers are reported, the
targets stated beside them, and whether each was met.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.results_file import write_result
from benchmarks.startup_bench import bench_startup

ROOT = Path(__file__).resolve().parent.parent
STREET = ROOT / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"


GUIDE_FLOOR_RATIO = 3.7  # parse + a bare unindexed sqlite executemany, GUIDE section 7
TARGET_RATIO = 5.0  # issue 14, item 8 (GUIDE section 7 allowed 6x; issue 2 asked 3x, below the floor)


def _setup_django(db_path: Path) -> None:
    os.environ["SAFERHOOD_PROFILE"] = "dev"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "saferhood.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from saferhood.areas.importers import import_geography

    import_geography(None)


def _bare_insert(workdir: Path, files: list[Path], attempt: int) -> float:
    """Parse + a bare sqlite ``executemany`` of the same rows into one unindexed table, one commit."""
    import pandas as pd

    con = sqlite3.connect(workdir / f"bare-{attempt}.sqlite3")
    t0 = time.perf_counter()
    frames = [pd.read_csv(f, dtype=str) for f in files]
    con.execute("create table t (" + ",".join(f"c{i} text" for i in range(12)) + ")")
    for frame in frames:
        con.executemany("insert into t values (" + ",".join("?" * 12) + ")", frame.itertuples(index=False))
    con.commit()
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def bench_import(workdir: Path, repeats: int = 11) -> None:
    """Import time as a ratio to the bare parse, every figure the best of ``repeats`` in this run.

    The machine is shared and noisy, so each figure is the best of several: the bare parse, the
    floor (parse + bare insert), a first import into empty record tables (the tables are emptied
    and vacuumed, untimed, between attempts) and a re-import that replaces every force-month.
    """
    import pandas as pd
    from django.db import connection

    from saferhood.crime.importers import import_police
    from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount

    files = sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv"))
    parse_times, floor_times, import_times, reimport_times = [], [], [], []
    parse_cpu, import_cpu = [], []  # CPU seconds of this process: less disturbed by other processes
    rows = 0
    for attempt in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        frames = [pd.read_csv(f, dtype=str) for f in files]
        parse_times.append(time.perf_counter() - t0)
        parse_cpu.append(time.process_time() - c0)
        rows = sum(len(f) for f in frames)
        floor_times.append(_bare_insert(workdir, files, attempt))

        ImportRun.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
        t0, c0 = time.perf_counter(), time.process_time()
        import_police(files, progress=False)
        import_times.append(time.perf_counter() - t0)
        import_cpu.append(time.process_time() - c0)
        assert CrimeRecord.objects.count() == rows, "import stored a different number of rows"
        t0 = time.perf_counter()
        import_police(files, progress=False)  # a re-import replaces every force-month
        reimport_times.append(time.perf_counter() - t0)
        assert ImportRun.objects.count() == len(files) and CrimeRecord.objects.count() == rows

    parse, floor, first, reimport = (min(t) for t in (parse_times, floor_times, import_times, reimport_times))
    ratio = first / parse
    floor_ratio = floor / parse
    met = ratio <= TARGET_RATIO
    result = {
        "what": "police.uk street import of Staffordshire 2022-01..11 (11 files) into SQLite, "
        "with validation, placement, indexes, the monthly count table and coverage",
        "rows": rows,
        "monthly_count_rows": MonthlyCount.objects.count(),
        "repeats": repeats,
        "method": "every figure is the best of the repeats, all measured in this run on this machine",
        "bare_parse_seconds": round(parse, 4),
        "floor_seconds": round(floor, 4),
        "floor": "pandas.read_csv(dtype=str) of the files + a bare sqlite3 executemany of the same rows "
        "into one unindexed 12-column table, one commit",
        "floor_ratio_to_bare_parse": round(floor_ratio, 2),
        "import_seconds": round(first, 4),
        "reimport_seconds": round(reimport, 4),
        "rows_per_second": round(rows / first),
        "ratio_to_bare_parse": round(ratio, 2),
        "ratio_reimport_to_bare_parse": round(reimport / parse, 2),
        # The same ratio from the medians: how a typical run compares, not the luckiest one.
        "ratio_of_medians": round(statistics.median(import_times) / statistics.median(parse_times), 2),
        "cpu_ratio_to_bare_parse": round(min(import_cpu) / min(parse_cpu), 2),
        "cpu_note": "CPU seconds of the benchmark process (best of the repeats): excludes waiting for the "
        "disk (WAL writes, checkpoint fsyncs) and for the CPU, so it is steadier on a shared machine "
        "but not the target's measure",
        "all_seconds": {
            "bare_parse": [round(t, 4) for t in parse_times],
            "floor": [round(t, 4) for t in floor_times],
            "import": [round(t, 4) for t in import_times],
            "reimport": [round(t, 4) for t in reimport_times],
            "bare_parse_cpu": [round(t, 4) for t in parse_cpu],
            "import_cpu": [round(t, 4) for t in import_cpu],
        },
        "target": f"issue 14 item 8: import <= {TARGET_RATIO:g}x the bare parse, both measured in this run. "
        f"That is below the floor, parse + a bare unindexed executemany of the same rows "
        f"({floor_ratio:.2f}x in this run, {GUIDE_FLOOR_RATIO}x in GUIDE section 7): the import has to store "
        "more (19 columns, 4 indexes, the count and coverage tables) faster than the floor stores 12 "
        "columns, which it does by parsing in a second process and binding less per row (see notes)",
        "target_ratio_to_bare_parse": TARGET_RATIO,
        "met": met,
        "notes": "How the import gets under the floor (docs/adr/0003-import-pipeline.md): the next file is "
        "parsed and checked in a forked worker process while this one is stored; columns that hold one "
        "value throughout a file (its run and month, Reported by, Falls within, Context) go into the "
        "INSERT as literals instead of being bound per row, 250 rows per statement; rows go in as INSERT "
        "OR FAIL with no savepoint of their own, so SQLite keeps no statement journal (it used to copy "
        "every page each statement touched to a temporary file: about 2,000 writes per file); counts and "
        "coverage rows are worked out in numpy from the arrays in memory, not by aggregates over the rows "
        "just written; foreign keys are not re-checked row by row; the write-ahead log is checkpointed "
        "from a second connection beside the import; LSOAs are fetched as the files name them. Where the "
        "rest goes (py-spy, main process, 2026-12-03): SQLite storing the 103k records 55% (binding and "
        "copying each text value, building records, the table and its two indexes), the 35k monthly counts "
        "with their three indexes 19%, the commits writing the log 10%, placement 5% (most of it fetching "
        "the LSOAs named), loading the geography index 2.5%, coverage 1.6%. The inserts of records and "
        "counts alone, with nothing else, take about 4x the bare parse on this machine (0.56-0.58 s of "
        "CPU against 0.13-0.15 s), so the import as a whole sits near 5x on a quiet machine; when other "
        "processes share its two cores the import (three processes and threads) loses more than the "
        "single-threaded parse and the ratio rises. Going further means storing less per row (a schema "
        "change: e.g. per-file values on the run) or fewer indexes, which readers would have to follow.",
    }
    if floor_ratio > GUIDE_FLOOR_RATIO:
        # The floor itself came out slower than GUIDE section 7 measured (a loaded machine): say how
        # the import compares with the floor too, against the same allowance (5 / 3.7).
        allowance = TARGET_RATIO / GUIDE_FLOOR_RATIO
        result["ratio_to_floor"] = round(first / floor, 2)
        result["target_ratio_to_floor"] = round(allowance, 2)
        result["met_relative_to_floor"] = first / floor <= allowance
    write_result("import", result)


def _resampled_files(workdir: Path, total_rows: int, seed: int = 20261122) -> list[Path]:
    """Police.uk-format files of Staffordshire rows resampled over ten years of months."""
    import pandas as pd

    source = pd.concat(
        [pd.read_csv(f, dtype=str) for f in sorted(STREET.glob("2022-*/2022-*-staffordshire-street.csv"))]
    )
    months = [f"{y}-{m:02d}" for y in range(2013, 2023) for m in range(1, 13)]
    per_month = total_rows // len(months) + 1
    out = []
    for i, month in enumerate(months):
        sample = source.sample(n=per_month, replace=True, random_state=seed + i).copy()
        sample["Month"] = month
        folder = workdir / "resampled" / month
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{month}-staffordshire-street.csv"
        sample.to_csv(path, index=False)
        out.append(path)
    return out


def bench_profile(workdir: Path, total_rows: int = 1_000_000, requests: int = 1000) -> None:
    from django.test import Client

    from saferhood.areas.models import Area
    from saferhood.core.months import add_months
    from saferhood.crime.importers import import_police
    from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount

    ImportRun.objects.all().delete()
    files = _resampled_files(workdir, total_rows)
    t0 = time.perf_counter()
    import_police(files, progress=False)
    build = time.perf_counter() - t0
    records = CrimeRecord.objects.count()
    lads = list(MonthlyCount.objects.values_list("lad_code", flat=True).distinct())
    wards = list(MonthlyCount.objects.values_list("ward_code", flat=True).distinct())
    lsoas = list(MonthlyCount.objects.values_list("lsoa_code", flat=True).distinct())
    codes = [c for c in lads + wards + lsoas if c]
    codes += list(Area.objects.filter(level="town").values_list("code", flat=True))
    rng = random.Random(7)
    client = Client()
    latencies = []
    # The API's per-client rate limit (SAFERHOOD_API_RATES) would refuse a benchmark's burst: this
    # measures the profile, not the limiter, so it is lifted for the run.
    from django.conf import settings

    settings.SAFERHOOD_API_RATES = {
        "api": ("1000000/min", "1000000/min"),
        "analysis": ("1000000/min", "1000000/min"),
    }
    for _ in range(requests):
        code = rng.choice(codes)
        length = rng.randint(1, 24)
        start = add_months("2013-01", rng.randint(0, 119 - length))
        end = add_months(start, length - 1)
        t0 = time.perf_counter()
        response = client.get(f"/api/v1/areas/{code}/profile", {"from": start, "to": end})
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.content
    latencies.sort()
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    write_result(
        "profile",
        {
            "what": "GET /api/v1/areas/{code}/profile over random areas (LAD, town, ward, LSOA) and periods "
            "(1-24 months), in-process Django test client, SQLite",
            "records": records,
            "monthly_count_rows": MonthlyCount.objects.count(),
            "database_build_seconds": round(build, 1),
            "requests": requests,
            "p50_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(p95, 2),
            "max_ms": round(latencies[-1], 2),
            "target": "p95 <= 100 ms on SQLite with >= 1 million records",
            "met": p95 <= 100 and records >= 1_000_000,
        },
    )


BENCHMARKS = {"import": bench_import, "profile": bench_profile, "startup": bench_startup}


def main(argv: list[str] | None = None) -> None:
    """``python benchmarks/run.py [import] [profile] [startup]``: the named benchmarks, or all of them."""
    names = (sys.argv[1:] if argv is None else argv) or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}")
    with tempfile.TemporaryDirectory(prefix="saferhood-bench-") as tmp:
        workdir = Path(tmp)
        _setup_django(workdir / "bench.sqlite3")
        for name in names:
            BENCHMARKS[name](workdir)


if __name__ == "__main__":
    main()
