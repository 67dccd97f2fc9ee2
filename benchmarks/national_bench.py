"""``make bench-national``: Saferhood at national scale on PostgreSQL (issue 15, item 6).

Builds the England and Wales geography with the app's own ``import_geography`` (the bundled ONS
lookups cover every LSOA of England and Wales), writes police.uk street files for 43 forces × 36
months resampled from the real rows (``national_data``, cached under ``var/national``) and grows
the database in stages (about 1M, 5M, then every force: 20M+ records). Each stage imports its new
forces' files through ``import_police`` in a process of its own (``national_import``: time and
memory), COPYs the same files into a bare table (the floor), ANALYZEs, then times the profile API
for random areas at every level, the area page and hotspots for local authorities over a year.
Results go to benchmarks/results/national.json after every stage, so a run cut short still
records the largest scale it reached.

Run: ``make bench-national`` (starts a throwaway PostgreSQL server unless DATABASE_URL names one).
``--scale 0.01`` runs the same at a hundredth of the size (development).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.national_data import build_cache, file_path, stage_forces
from benchmarks.results_file import write_result

ROOT = Path(__file__).resolve().parent.parent
TOTAL_ROWS = 20_200_000
STAGES = [1_000_000, 5_000_000, 20_000_000]
TARGETS_MS = {"profile_p95": 200.0, "page_p95": 500.0, "hotspots": 2000.0}
FIRST, LAST = "2020-01", "2022-12"
SANDWELL, BIRMINGHAM = "E08000028", "E08000025"


def _ensure_postgres(argv: list[str]) -> None:
    """Re-run under scripts/with-postgres.sh (a throwaway server) unless DATABASE_URL is PostgreSQL."""
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return
    script = ROOT / "scripts" / "with-postgres.sh"
    os.execv(str(script), [str(script), sys.executable, "-m", "benchmarks.national_bench", *argv])


def _setup_django() -> None:
    os.environ.setdefault("SAFERHOOD_PROFILE", "dev")
    # Production's setting: with DEBUG on, Django logs every query's SQL (time and memory).
    os.environ.setdefault("DEBUG", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = "saferhood.settings"
    import django

    django.setup()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, int(round(q * len(ordered))) - 1)], 1)


def _summary(times_ms: list[float]) -> dict:
    return {
        "requests": len(times_ms),
        "p50_ms": round(statistics.median(times_ms), 1),
        "p95_ms": _pct(times_ms, 0.95),
        "max_ms": round(max(times_ms), 1),
    }


def _postgres_facts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select version()")
        version = cursor.fetchone()[0]
        facts = {"version": version.split(",")[0]}
        for name in ("shared_buffers", "work_mem", "fsync", "synchronous_commit", "full_page_writes"):
            cursor.execute(f"show {name}")
            facts[name] = cursor.fetchone()[0]
    return facts


def load_geography() -> dict:
    from django.core.management import call_command

    from saferhood.areas.importers import import_geography

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    summary = import_geography(None)
    return {
        "what": "saferhood import geography of the bundled ONS lookups (demo/geography: every LSOA 2011 "
        "and 2021 of England and Wales, wards, local authorities, CSPs, police force areas)",
        "seconds": round(time.perf_counter() - t0, 1),
        "areas_by_level": summary.levels,
    }


def areas_with_records() -> set[str]:
    """Codes of the LSOAs, wards and local authorities the loaded records were placed in.

    The geography holds older ward and local-authority codes too (WD20, WD21, LAD20 beside the
    newest), which hold no records: profiles of those say "no data" quickly and would flatter the
    figures, so they are not drawn.
    """
    from django.db import connection

    codes: set[str] = set()
    with connection.cursor() as cursor:
        for column in ("lsoa_code", "ward_code"):
            cursor.execute(f"select distinct {column} from crime_monthlycount")
            codes |= {row[0] for row in cursor.fetchall()}
        cursor.execute("select distinct lad_code from crime_runcoverage")
        codes |= {row[0] for row in cursor.fetchall()}
    return codes


def areas_by_level(pfa_codes: set[str], with_records: set[str] | None = None) -> dict[str, list[str]]:
    """Codes of the LSOAs (2011), wards, local authorities and forces inside the given forces (of the
    first three, only those in ``with_records`` when given)."""
    from saferhood.areas.models import Area

    rows = list(Area.objects.order_by().values_list("id", "code", "level", "parent_id", "vintages"))
    by_id = {pk: (code, level, parent) for pk, code, level, parent, _ in rows}

    def force_of(pk: int | None) -> str | None:
        for _ in range(10):
            if pk is None:
                return None
            code, level, pk = by_id[pk]
            if level == "pfa":
                return code
        return None

    out: dict[str, list[str]] = {"lsoa": [], "ward": [], "lad": [], "pfa": []}
    for pk, code, level, _, vintages in rows:
        if level not in out or (level == "lsoa" and "LSOA11" not in vintages):
            continue
        if level != "pfa" and with_records is not None and code not in with_records:
            continue
        if force_of(pk) in pfa_codes:
            out[level].append(code)
    return {level: sorted(codes) for level, codes in out.items()}


def _months_between(start: str, end: str) -> int:
    y0, m0 = map(int, start.split("-"))
    y1, m1 = map(int, end.split("-"))
    return (y1 - y0) * 12 + m1 - m0 + 1


ERRORS: list[dict] = []  # requests that did not answer 200: reported, not hidden


def _what_went_wrong(body: str) -> str:
    """A page's error summary as text (e.g. over the analysis budget), else the end of the body."""
    import re

    found = re.search(r'govuk-error-summary__list">(.*?)</ul>', body, re.S)
    text = re.sub(r"<[^>]+>", " ", found.group(1)) if found else body[-300:]
    return " ".join(text.split())[:400]


def _time_get(client, url: str, params: dict | None = None) -> float:
    t0 = time.perf_counter()
    try:
        response = client.get(url, params or {})
    except Exception as exc:  # the test client re-raises a view's exception
        status, detail = 500, f"{type(exc).__name__}: {exc}"
    else:
        status, detail = response.status_code, _what_went_wrong(response.content.decode("utf-8", "replace"))
    elapsed = (time.perf_counter() - t0) * 1000
    if status != 200:
        ERRORS.append({"url": url, "params": params or {}, "status": status, "detail": detail})
    return elapsed


def measure_queries(
    client, areas: dict[str, list[str]], per_level: int, pages_per_level: int, seed: int
) -> dict:
    from saferhood.core.months import add_months

    rng = random.Random(seed)
    span = _months_between(FIRST, LAST)
    profile: dict[str, list[float]] = {}
    for level, codes in areas.items():
        _time_get(client, f"/api/v1/areas/{codes[0]}/profile", {"from": FIRST, "to": LAST})  # warm
        times = []
        for _ in range(per_level):
            length = rng.randint(1, span)
            start = add_months(FIRST, rng.randint(0, span - length))
            end = add_months(start, length - 1)
            code = rng.choice(codes)
            times.append(_time_get(client, f"/api/v1/areas/{code}/profile", {"from": start, "to": end}))
        profile[level] = times
    every = [t for times in profile.values() for t in times]
    pages: dict[str, list[float]] = {}
    for level, codes in areas.items():
        _time_get(client, f"/areas/{codes[0]}/")  # warm
        pages[level] = [_time_get(client, f"/areas/{rng.choice(codes)}/") for _ in range(pages_per_level)]
    every_page = [t for times in pages.values() for t in times]
    lads = [c for c in (SANDWELL, BIRMINGHAM) if c in areas["lad"]]
    lads += rng.sample([c for c in areas["lad"] if c not in lads], min(8, len(areas["lad"]) - len(lads)))
    hotspots = {}
    for code in lads:
        hotspots[code] = round(
            _time_get(client, f"/api/v1/areas/{code}/hotspots", {"from": "2022-01", "to": "2022-12"}), 1
        )
    return {
        "profile": {
            "what": "GET /api/v1/areas/{code}/profile, random area of the level and random period of "
            f"1-36 months within {FIRST}..{LAST}",
            "all_levels": _summary(every),
            "by_level": {level: _summary(times) for level, times in profile.items()},
        },
        "area_page": {
            "what": "GET /areas/{code}/ (signed in; default period: the latest twelve months), server time",
            "all_levels": _summary(every_page),
            "by_level": {level: _summary(times) for level, times in pages.items()},
        },
        "hotspots": {
            "what": "GET /api/v1/areas/{lad}/hotspots?from=2022-01&to=2022-12 (counts, KDE and Gi* per cell "
            "over a local authority's year of records), one request per local authority, first call",
            "ms_by_lad": hotspots,
            "p50_ms": round(statistics.median(hotspots.values()), 1),
            "max_ms": round(max(hotspots.values()), 1),
        },
    }


def import_stage(files_by_month: list[list[str]], workdir: Path) -> dict:
    plan, result = workdir / "plan.json", workdir / "import-result.json"
    plan.write_text(json.dumps(files_by_month))
    subprocess.run([sys.executable, "-m", "benchmarks.national_import", str(plan), str(result)], check=True)
    return json.loads(result.read_text())


def copy_floor(files: list[str]) -> dict:
    """The same files COPYed as they are (CSV) into one bare unindexed 12-column table, a commit per
    file: the least any import of these rows into this PostgreSQL can cost."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as con:
        con.execute("drop table if exists national_bare")
        con.execute("create table national_bare (" + ", ".join(f"c{i} text" for i in range(12)) + ")")
        con.commit()
        t0 = time.perf_counter()
        for path in files:
            with con.cursor() as cur, cur.copy("COPY national_bare FROM STDIN (FORMAT csv, HEADER)") as copy:
                copy.write(Path(path).read_bytes())
            con.commit()
        seconds = time.perf_counter() - t0
        rows = con.execute("select count(*) from national_bare").fetchone()[0]
        con.execute("drop table national_bare")
        con.commit()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def database_facts() -> dict:
    from django.db import connection

    from saferhood.crime.models import CrimeRecord, ImportRun, MonthlyCount

    out = {}
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute("ANALYZE")
        out["analyze_seconds"] = round(time.perf_counter() - t0, 1)
        for model in (CrimeRecord, MonthlyCount):
            table = model._meta.db_table
            cursor.execute(f"select count(*), pg_total_relation_size('{table}') from {table}")
            rows, size = cursor.fetchone()
            out[table] = {"rows": rows, "size_mb": round(size / 2**20)}
        cursor.execute("select pg_database_size(current_database())")
        out["database_size_mb"] = round(cursor.fetchone()[0] / 2**20)
    out["import_runs"] = ImportRun.objects.count()
    return out


def _stage_start(stages: list[dict], call: dict) -> int:
    """Records in the database before the stage holding ``call`` began."""
    before = 0
    for stage in stages:
        if any(c is call for c in stage["import"]["calls"]):
            return before
        before = stage["records"]
    return before


def _memory_verdict(stages: list[dict]) -> dict:
    """Peak memory of each import call against the rows imported before it and its own size."""
    calls = [c for s in stages for c in s["import"]["calls"]]
    peaks = [c["peak_rss_mb"] for c in calls]
    first = [c["peak_rss_mb"] for c in calls if c["rows_before"] == 0]
    # Same call sizes compared early and late in the biggest stage: the first and the last month.
    last_stage = stages[-1]["import"]["calls"]
    # Least squares: peak = a + b * (rows of the call's largest file) + c * (rows imported before it).
    import numpy as np

    x = np.array([[1.0, c["largest_file_rows"], c["rows_before"] + _stage_start(stages, c)] for c in calls])
    coef = np.linalg.lstsq(x, np.array(peaks), rcond=None)[0]
    return {
        "fit": "per import call: peak RSS = a + b x rows of its largest file + c x rows already in the database",
        "mb_per_10k_rows_of_the_largest_file": round(float(coef[1]) * 1e4, 2),
        "mb_per_million_rows_already_imported": round(float(coef[2]) * 1e6, 2),
        "peak_rss_mb_by_stage": [s["import"]["peak_rss_mb"] for s in stages],
        "rows_imported_by_stage": [s["import"]["rows"] for s in stages],
        "peak_rss_mb_first_and_last_call_of_last_stage": [
            last_stage[0]["peak_rss_mb"],
            last_stage[-1]["peak_rss_mb"],
        ],
        "rows_before_last_call_of_last_stage": last_stage[-1]["rows_before"],
        "peak_rss_mb_range_over_all_calls": [min(peaks), max(peaks)],
        "first_call_peak_rss_mb": first,
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the full size (0.01: development)"
    )
    parser.add_argument("--requests", type=int, default=100, help="profile requests per level per stage")
    parser.add_argument("--pages", type=int, default=20, help="area page requests per level per stage")
    args = parser.parse_args(argv)
    _ensure_postgres(argv)
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    total = int(TOTAL_ROWS * args.scale)
    targets = [int(t * args.scale) for t in STAGES]
    result: dict = {
        "what": "Saferhood on PostgreSQL at national scale: police.uk street records for 43 forces x 36 months "
        "(2020-01..2022-12) resampled from the real Staffordshire 2022 rows over every LSOA of England and "
        "Wales, imported through saferhood.crime.importers.import_police, grown in stages by whole forces",
        "issue": "15, item 6",
        "method": "Each stage imports the new forces' force-month files (police.uk street CSV, one file per "
        "force-month) with the app's import in a separate process, one import_police call per month (every new "
        "force's file of that month), then COPYs the same files into a bare unindexed 12-column table (the "
        "floor), ANALYZEs (as autovacuum would after a bulk load) and times requests in-process with Django's "
        "test client (server time; API rate limits lifted for the burst). Random areas are drawn among the "
        "forces loaded so far; every area measured has all 36 months.",
        "targets": {
            "profile_p95_ms": TARGETS_MS["profile_p95"],
            "area_page_p95_ms": TARGETS_MS["page_p95"],
            "hotspots_ms": TARGETS_MS["hotspots"],
            "import_memory": "flat in the number of rows",
        },
        "scale_arg": args.scale,
        "postgres": _postgres_facts(),
        "stages": [],
    }
    result["postgres"]["note"] = (
        "the throwaway server of scripts/with-postgres.sh: fsync, synchronous_commit and full_page_writes off, "
        "so import figures are those of a server that does not wait for the disk"
    )
    result["geography"] = load_geography()
    t0 = time.perf_counter()
    manifest = build_cache(ROOT / "var" / "national", total)
    result["generation"] = {
        "seconds": round(time.perf_counter() - t0, 1),
        "note": "0 s when the cached files were reused",
        "folder": manifest["folder"],
        "records": manifest["rows"],
        "lsoas": manifest["lsoas"],
        "forces": len(manifest["forces"]),
        "months": len(manifest["months"]),
    }
    settings.SAFERHOOD_API_RATES = {"api": ("1000000/min",) * 2, "analysis": ("1000000/min",) * 2}
    user, _ = get_user_model().objects.get_or_create(username="national-bench")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    forces = {f["slug"]: f for f in manifest["forces"]}
    loaded: list[str] = []
    cache = Path(manifest["folder"])
    with tempfile.TemporaryDirectory(prefix="saferhood-national-") as tmp:
        for k, (target, slugs) in enumerate(
            zip(targets, stage_forces(manifest["forces"], targets), strict=True)
        ):
            new = [s for s in slugs if s not in loaded]
            by_month = [[str(file_path(cache, s, m)) for s in new] for m in manifest["months"]]
            print(f"stage {k + 1}: importing {len(new)} forces", flush=True)
            imported = import_stage(by_month, Path(tmp))
            floor = copy_floor([p for month in by_month for p in month])
            loaded += new
            facts = database_facts()
            areas = areas_by_level({forces[s]["pfa_code"] for s in loaded}, areas_with_records())
            print(f"stage {k + 1}: {facts}; measuring", flush=True)
            queries = measure_queries(client, areas, args.requests, args.pages, seed=k)
            stage = {
                "target_records": target,
                "records": facts["crime_crimerecord"]["rows"],
                "forces": len(loaded),
                "forces_added": new,
                "areas_sampled_from": {level: len(codes) for level, codes in areas.items()},
                "import": {
                    **{key: v for key, v in imported.items() if key != "calls"},
                    "rows_per_second": round(imported["rows"] / imported["seconds"]),
                    "calls": imported["calls"],
                },
                "copy_floor": floor,
                "import_ratio_to_copy": round(imported["seconds"] / floor["seconds"], 2),
                "database": facts,
                **queries,
            }
            stage["errors"] = ERRORS[:]
            ERRORS.clear()
            result["stages"].append(stage)
            _finish(result)
            write_result("national", result)


def _finish(result: dict) -> None:
    """Scale reached, growth across stages, targets met, memory verdict."""
    stages = result["stages"]
    last = stages[-1]
    result["scale_reached"] = {
        "records": last["records"],
        "forces": last["forces"],
        "months": 36,
        "monthly_count_rows": last["database"]["crime_monthlycount"]["rows"],
    }
    result["growth"] = {
        "records": [s["records"] for s in stages],
        "import_rows_per_second": [s["import"]["rows_per_second"] for s in stages],
        "import_ratio_to_copy": [s["import_ratio_to_copy"] for s in stages],
        "import_peak_rss_mb": [s["import"]["peak_rss_mb"] for s in stages],
        "profile_p50_ms": [s["profile"]["all_levels"]["p50_ms"] for s in stages],
        "profile_p95_ms": [s["profile"]["all_levels"]["p95_ms"] for s in stages],
        "profile_p95_ms_by_level": {
            level: [s["profile"]["by_level"][level]["p95_ms"] for s in stages]
            for level in last["profile"]["by_level"]
        },
        "area_page_p95_ms": [s["area_page"]["all_levels"]["p95_ms"] for s in stages],
        "hotspots_max_ms": [s["hotspots"]["max_ms"] for s in stages],
    }
    result["memory"] = _memory_verdict(stages)
    result["met"] = {
        "profile_p95": last["profile"]["all_levels"]["p95_ms"] <= TARGETS_MS["profile_p95"],
        "area_page_p95": last["area_page"]["all_levels"]["p95_ms"] <= TARGETS_MS["page_p95"],
        "hotspots": last["hotspots"]["max_ms"] <= TARGETS_MS["hotspots"],
        "scale_20m": last["records"] >= 20_000_000,
    }


if __name__ == "__main__":
    main()
