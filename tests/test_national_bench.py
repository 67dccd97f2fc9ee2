"""The national benchmark's generated police.uk files: what the app reads, and what they resample.

``make bench-national`` times the app on files made by ``benchmarks.national_data``; if those files
were unlike police.uk's (a mix of types, LSOAs outside their force, points far from their LSOA, a
file the importer refuses), its figures would say nothing. These tests check the files against the
real Staffordshire rows and the ONS lookups they are resampled from, at a small scale, without a
database.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from benchmarks import national_data as nd
from saferhood.crime.importers.csv_files import read_csv
from saferhood.crime.importers.discovery import discover

# police.uk's own force slugs (data.police.uk/api/forces), without British Transport Police and PSNI.
POLICE_UK_FORCES = set(
    "avon-and-somerset bedfordshire cambridgeshire cheshire city-of-london cleveland cumbria derbyshire "
    "devon-and-cornwall dorset durham dyfed-powys essex gloucestershire greater-manchester gwent hampshire "
    "hertfordshire humberside kent lancashire leicestershire lincolnshire merseyside metropolitan norfolk "
    "north-wales north-yorkshire northamptonshire northumbria nottinghamshire south-wales south-yorkshire "
    "staffordshire suffolk surrey sussex thames-valley warwickshire west-mercia west-midlands "
    "west-yorkshire wiltshire".split()
)


@pytest.fixture(scope="module")
def centroids():
    try:
        return nd.centroids_path()
    except SystemExit as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def geo(centroids) -> nd.NationalGeography:
    return nd.load_geography(centroids=centroids)


@pytest.fixture(scope="module")
def real(centroids) -> nd.RealRows:
    return nd.load_real_rows(centroids=centroids)


@pytest.fixture(scope="module")
def plan(geo, real) -> nd.Plan:
    return nd.make_plan(geo, real, 2_000_000, nd.MONTHS, seed=5)


def frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def test_every_lsoa_of_england_and_wales_in_one_of_the_43_forces(geo):
    lookup = pd.read_csv(nd.WARD_LOOKUP, dtype=str, encoding="utf-8-sig")
    assert set(geo.lsoa) == set(lookup["LSOA11CD"]) and len(geo.lsoa) == len(lookup) == 34_753
    assert set(geo.forces["slug"]) == POLICE_UK_FORCES
    assert geo.forces["lsoas"].sum() == len(geo.lsoa)
    sandwell = lookup.loc[lookup["LAD20CD"] == "E08000028", "LSOA11CD"]
    west_midlands = geo.forces.index[geo.forces["slug"] == "west-midlands"][0]
    assert (geo.force[np.isin(geo.lsoa, sandwell)] == west_midlands).all() and len(sandwell) == 186


def test_a_force_month_file_is_one_the_app_reads_whole(geo, real, plan, tmp_path):
    force = int(geo.forces.index[geo.forces["slug"] == "west-midlands"][0])
    path = nd.file_path(tmp_path, "west-midlands", "2021-03")
    path.parent.mkdir(parents=True)
    path.write_text(nd.file_text(geo, real, plan, force, nd.MONTHS.index("2021-03"), seed=5))
    parsed = read_csv(discover([path]).csv[0])  # every check the importer makes
    assert parsed.rows == plan.rows[force, nd.MONTHS.index("2021-03")] > 1000
    rows = parsed.frame
    assert set(rows["Falls within"]) == {"West Midlands Police"} and set(rows["Month"]) == {"2021-03"}
    named = rows.loc[rows["LSOA code"] != "", "LSOA code"]
    assert set(named) <= set(geo.lsoa[geo.force == force])


def test_rows_keep_the_real_mix_of_types_asb_ids_and_missing_locations(geo, real, plan):
    source = pd.concat(
        [frame(p.read_text()) for p in sorted(nd.STREET.glob("2022-*/2022-*-staffordshire-street.csv"))]
    )
    force = int(geo.forces.index[geo.forces["slug"] == "metropolitan"][0])
    made = pd.concat([frame(nd.file_text(geo, real, plan, force, m, seed=5)) for m in range(3)])
    assert len(made) > 20_000
    mix = made["Crime type"].value_counts(normalize=True)
    real_mix = source["Crime type"].value_counts(normalize=True)
    assert set(mix.index) == set(real_mix.index)
    assert (mix - real_mix).abs().max() < 0.01  # e.g. ASB about 20%, violence about 39%
    asb = made["Crime type"] == "Anti-social behaviour"
    assert (made.loc[asb, "Crime ID"] == "").all()
    assert made.loc[~asb, "Crime ID"].str.fullmatch("[0-9a-f]{64}").all()
    assert made.loc[~asb, "Crime ID"].is_unique
    no_location = made["LSOA code"] == ""
    assert no_location.mean() == pytest.approx((source["LSOA code"] == "").mean(), abs=0.002)
    assert (made.loc[no_location, "Longitude"] == "").all()


def test_points_lie_around_their_lsoa_as_the_real_ones_do(geo, real, plan):
    """The distance of a point from its LSOA's centroid: same spread as in the real rows."""
    force = int(geo.forces.index[geo.forces["slug"] == "west-midlands"][0])
    made = frame(nd.file_text(geo, real, plan, force, 0, seed=5))
    made = made[made["LSOA code"] != ""]
    at = pd.Series(np.arange(len(geo.lsoa)), index=geo.lsoa)[made["LSOA code"]].to_numpy()
    dlat = made["Latitude"].astype(float).to_numpy() - geo.lat[at]
    dlon = made["Longitude"].astype(float).to_numpy() - geo.lon[at]
    made_km = np.hypot(dlat * 111, dlon * 68)  # near enough at 52° N for a comparison
    real_km = np.hypot(real.dlat[real.located] * 111, real.dlon[real.located] * 68)
    for q in (0.5, 0.9):
        assert np.quantile(made_km, q) == pytest.approx(np.quantile(real_km, q), rel=0.1)


def test_busy_and_quiet_lsoas_as_in_the_real_rows(geo, real, plan):
    # Per-LSOA rates are drawn from the real ones: the busiest tenth holds the same share.
    def top_decile_share(rates: np.ndarray) -> float:
        ordered = np.sort(rates)[::-1]
        return ordered[: len(ordered) // 10].sum() / ordered.sum()

    assert top_decile_share(plan.weights) == pytest.approx(top_decile_share(real.lsoa_rates), abs=0.02)
    assert plan.rows.sum() == pytest.approx(2_000_000, rel=0.005)
    assert plan.rows.shape == (43, 36)


def test_the_same_arguments_make_the_same_file(geo, real, plan):
    assert nd.file_text(geo, real, plan, 3, 7, seed=5) == nd.file_text(geo, real, plan, 3, 7, seed=5)
    assert nd.file_text(geo, real, plan, 3, 7, seed=5) != nd.file_text(geo, real, plan, 3, 8, seed=5)


def test_stages_grow_by_whole_forces_to_their_targets():
    forces = [{"slug": f"f{i}", "rows": 100 + i} for i in range(40)] + [
        {"slug": "west-midlands", "rows": 900}
    ]
    stages = nd.stage_forces(forces, [1_000, 2_500, 5_000])
    rows = {f["slug"]: f["rows"] for f in forces}
    assert stages[0][0] == "west-midlands"
    for stage, target in zip(stages[:2], [1_000, 2_500], strict=True):
        total = sum(rows[s] for s in stage)
        assert total >= target and total - rows[stage[-1]] < target  # the first force past it
    assert stages[0] == stages[1][: len(stages[0])] and stages[1] == stages[2][: len(stages[1])]
    assert sorted(stages[-1]) == sorted(rows)  # the last stage loads every force


def test_the_cache_is_written_once_and_reused(centroids, tmp_path, monkeypatch):
    monkeypatch.setenv("SAFERHOOD_SHARED_DATA", str(centroids.parent.parent))
    first = nd.build_cache(tmp_path, 4_300, months=nd.MONTHS[:2])
    files = sorted(tmp_path.rglob("*-street.csv"))
    assert len(files) == 86 and first["rows"] == sum(sum(r) for r in first["file_rows"].values())
    stamps = [f.stat().st_mtime_ns for f in files]
    assert nd.build_cache(tmp_path, 4_300, months=nd.MONTHS[:2]) == first
    assert [f.stat().st_mtime_ns for f in files] == stamps


def test_records_share_snap_points_as_the_real_ones_do(geo, real):
    """Records per distinct point in a month: repeat locations depend on it (police.uk snaps every
    record to one of a few points per street), so a point per record would misstate their cost."""
    source = frame((nd.STREET / "2022-06" / "2022-06-staffordshire-street.csv").read_text())
    force = int(geo.forces.index[geo.forces["slug"] == "west-midlands"][0])
    full_scale = nd.make_plan(geo, real, 20_000_000, nd.MONTHS, seed=5)
    made = frame(nd.file_text(geo, real, full_scale, force, 0, seed=5))

    def per_point(rows: pd.DataFrame) -> float:
        located = rows[rows["LSOA code"] != ""]
        return len(located) / len(located.drop_duplicates(["Longitude", "Latitude"]))

    # At full scale, per LSOA-month both have about 13-16 records, so their sharing is comparable.
    assert per_point(made) == pytest.approx(per_point(source), rel=0.3)
    assert per_point(made) > 1.5
