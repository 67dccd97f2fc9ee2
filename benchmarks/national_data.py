"""``make bench-national``: police.uk street files for every force of England and Wales, resampled
from real rows.

Each file is what police.uk publishes for one force-month (``YYYY-MM/YYYY-MM-<force>-street.csv``,
the 12-column street format) so that the benchmark imports them through the app's own pipeline.
The rows are the real Staffordshire 2022 street records, resampled:

- which LSOAs: every LSOA 2011 of England and Wales (ONS LSOA11 → ward → LAD 2020, LAD → police
  force area 2020), each force's file holding its own LSOAs;
- each LSOA takes a real one as its donor (drawn at random among the Staffordshire LSOAs): its
  rate (records per LSOA-month relative to the mean, so some LSOAs are ten times busier than
  others as in the real data) and its rows; a file's rows are Poisson around its LSOAs' total;
- what each row is: a row of the donor drawn at random gives the crime type (so the mix and the
  ASB share are the real ones), the last outcome, the "On or near" label, and the point's offset
  from the donor's centroid, which is added to the new LSOA's centroid, so records share snap
  points and labels as police.uk's do (repeat locations are real ones); rows without a location
  come as often as police.uk publishes them;
- Crime IDs are new random 64-hex IDs (ASB rows have none, as published).

Pure (no Django, no database): the tests call it at small scale. Files are written once into a
cache folder named after the parameters and reused when present (a manifest is written last).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEMO_GEOGRAPHY = ROOT / "demo" / "geography"
STREET = ROOT / "demo" / "police-uk" / "police-uk-street-2022-staffs-warks-btp"
WARD_LOOKUP = DEMO_GEOGRAPHY / "ons-lookup-lsoa11-ward-lad" / "LSOA11_WD20_LAD20_EW_LU.csv"
FORCE_LOOKUP = DEMO_GEOGRAPHY / "ons-lookup-lad-csp-pfa" / "la_to_force_2020.csv"
CENTROIDS_NAME = Path("lsoa11-centroids-uk") / "lsoa_latlong.csv"
MONTHS = [f"{y}-{m:02d}" for y in (2020, 2021, 2022) for m in range(1, 13)]
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context\n"
)
GENERATOR_VERSION = 2  # bump when the files' content changes, so old caches are not reused

# police.uk's force slugs where slugifying the ONS force-area name does not give them.
SLUG_OVERRIDES = {
    "Metropolitan Police": "metropolitan",
    "London, City of": "city-of-london",
    "Devon & Cornwall": "devon-and-cornwall",
}
# ... and the force's own name in "Reported by" / "Falls within".
FORCE_NAME_OVERRIDES = {
    "Metropolitan Police": "Metropolitan Police Service",
    "London, City of": "City of London Police",
    "Devon & Cornwall": "Devon & Cornwall Police",
}


def centroids_path() -> Path:
    """The LSOA 2011 centroid file (shared data: not bundled, its provenance is undocumented)."""
    env = os.environ.get("SAFERHOOD_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [ROOT.parent / "shared" / "data", ROOT.parent.parent / "shared" / "data"]
    for base in candidates:
        if (base / CENTROIDS_NAME).is_file():
            return base / CENTROIDS_NAME
    raise SystemExit(
        f"LSOA centroids not found: set SAFERHOOD_SHARED_DATA to the folder holding {CENTROIDS_NAME}"
    )


def force_slug(pfa_name: str) -> str:
    if pfa_name in SLUG_OVERRIDES:
        return SLUG_OVERRIDES[pfa_name]
    return "-".join("".join(c if c.isalnum() else " " for c in pfa_name.lower()).split())


@dataclass
class NationalGeography:
    """Every LSOA 2011 of England and Wales with its centroid and police force (by index)."""

    lsoa: np.ndarray  # codes
    lsoa_part: np.ndarray  # "code,name" as written in a row
    lat: np.ndarray
    lon: np.ndarray
    force: np.ndarray  # index into forces
    forces: pd.DataFrame  # slug, name (as in "Falls within"), pfa_code, lsoas


def load_geography(
    ward_lookup: Path = WARD_LOOKUP, force_lookup: Path = FORCE_LOOKUP, centroids: Path | None = None
) -> NationalGeography:
    wards = pd.read_csv(
        ward_lookup, dtype=str, encoding="utf-8-sig", usecols=["LSOA11CD", "LSOA11NM", "LAD20CD"]
    )
    pfa = pd.read_csv(
        force_lookup, dtype=str, encoding="utf-8-sig", usecols=["LAD20CD", "PFA20CD", "PFA20NM"]
    )
    cen = pd.read_csv(centroids or centroids_path(), usecols=["LSOACD", "latitude", "longitude"])
    df = wards.merge(pfa.drop_duplicates("LAD20CD"), on="LAD20CD", how="inner")
    df = df.merge(cen, left_on="LSOA11CD", right_on="LSOACD", how="inner").sort_values("LSOA11CD")
    forces = (
        df.groupby(["PFA20CD", "PFA20NM"]).size().rename("lsoas").reset_index().sort_values("PFA20NM")
    ).reset_index(drop=True)
    forces["slug"] = forces["PFA20NM"].map(force_slug)
    forces["name"] = forces["PFA20NM"].map(lambda n: FORCE_NAME_OVERRIDES.get(n, f"{n} Police"))
    index = {code: i for i, code in enumerate(forces["PFA20CD"])}
    return NationalGeography(
        lsoa=df["LSOA11CD"].to_numpy(),
        lsoa_part=(df["LSOA11CD"] + "," + df["LSOA11NM"].map(_csv_field)).to_numpy(),
        lat=df["latitude"].to_numpy(float),
        lon=df["longitude"].to_numpy(float),
        force=df["PFA20CD"].map(index).to_numpy(np.int64),
        forces=forces.rename(columns={"PFA20CD": "pfa_code"})[["slug", "name", "pfa_code", "lsoas"]],
    )


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


@dataclass
class RealRows:
    """The real rows reduced to what a resampled row takes from them."""

    located: np.ndarray  # bool: published with a point and an LSOA
    dlat: np.ndarray  # offset of the point from its own LSOA's centroid (0 where not located)
    dlon: np.ndarray
    has_id: np.ndarray  # bool: published with a Crime ID (ASB never is)
    location: np.ndarray  # the label, CSV-escaped
    tail: np.ndarray  # "Crime type,Last outcome category," (Context is always empty)
    lsoa_rates: np.ndarray  # records per LSOA-month of each real (donor) LSOA, divided by their mean
    donor_rows: np.ndarray  # indices of the located rows, grouped by donor LSOA
    donor_start: np.ndarray  # where each donor's rows begin in donor_rows
    unlocated: np.ndarray  # indices of the rows published without a location


def load_real_rows(street: Path = STREET, centroids: Path | None = None) -> RealRows:
    files = sorted(street.glob("2022-*/2022-*-staffordshire-street.csv"))
    rows = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files], ignore_index=True)
    cen = pd.read_csv(centroids or centroids_path(), usecols=["LSOACD", "latitude", "longitude"])
    cen = cen.set_index("LSOACD")
    lsoa = rows["LSOA code"]
    located = ((lsoa != "") & lsoa.isin(cen.index) & (rows["Longitude"] != "")).to_numpy()
    lat = pd.to_numeric(rows["Latitude"], errors="coerce").to_numpy()
    lon = pd.to_numeric(rows["Longitude"], errors="coerce").to_numpy()
    c_lat = lsoa.map(cen["latitude"]).to_numpy(float)
    c_lon = lsoa.map(cen["longitude"]).to_numpy(float)
    dlat = np.where(located, lat - c_lat, 0.0)
    dlon = np.where(located, lon - c_lon, 0.0)
    # Each LSOA of the force's own (a few rows are across its border: an LSOA with one or two
    # stray rows is not its own) is a donor: a new LSOA takes one donor's rows, so its rate, its
    # snap points (records share them, as police.uk's do) and their labels are a real LSOA's.
    per_lsoa = lsoa[located].value_counts()
    per_lsoa = per_lsoa[per_lsoa >= 3].sort_index()
    rates = per_lsoa.to_numpy(float)
    own = located & lsoa.isin(per_lsoa.index).to_numpy()
    donor_rows = np.flatnonzero(own)[np.argsort(lsoa[own].to_numpy(), kind="stable")]
    donor_start = np.concatenate([[0], np.cumsum(per_lsoa.to_numpy())])
    return RealRows(
        located=located,
        dlat=dlat,
        dlon=dlon,
        has_id=(rows["Crime ID"] != "").to_numpy(),
        location=rows["Location"].map(_csv_field).to_numpy(),
        tail=(
            rows["Crime type"].map(_csv_field) + "," + rows["Last outcome category"].map(_csv_field) + ","
        ).to_numpy(),
        lsoa_rates=rates / rates.mean(),
        donor_rows=donor_rows,
        donor_start=donor_start,
        unlocated=np.flatnonzero(~located),
    )


@dataclass
class Plan:
    """How many rows each force-month file gets, and how busy each LSOA is."""

    months: list[str]
    weights: np.ndarray  # per LSOA of the geography: its donor's rate
    donor: np.ndarray  # per LSOA of the geography: the real LSOA whose rows it takes
    rows: np.ndarray  # (force, month) → rows


def make_plan(geo: NationalGeography, real: RealRows, total_rows: int, months: list[str], seed: int) -> Plan:
    """Per-LSOA rates drawn from the real ones; per-file rows Poisson around their expected total."""
    rng = np.random.default_rng([seed, 0])
    donor = rng.integers(0, len(real.lsoa_rates), size=len(geo.lsoa))
    weights = real.lsoa_rates[donor]
    per_force = np.bincount(geo.force, weights=weights, minlength=len(geo.forces))
    expected = per_force / per_force.sum() * total_rows / len(months)
    rows = rng.poisson(np.repeat(expected[:, None], len(months), axis=1))
    return Plan(months=list(months), weights=weights, donor=donor, rows=np.maximum(rows, 1))


def file_text(
    geo: NationalGeography, real: RealRows, plan: Plan, force: int, month_index: int, seed: int
) -> str:
    """One force-month street file (header and rows), the same text for the same arguments."""
    rng = np.random.default_rng([seed, 1, force, month_index])
    n = int(plan.rows[force, month_index])
    month = plan.months[month_index]
    mine = np.flatnonzero(geo.force == force)
    w = plan.weights[mine]
    lsoa = mine[rng.choice(len(mine), size=n, p=w / w.sum())]
    # A row of the LSOA's donor, or (as often as police.uk publishes one) a row without location.
    donor = plan.donor[lsoa]
    first, count = real.donor_start[donor], np.diff(real.donor_start)[donor]
    src = real.donor_rows[first + (rng.random(n) * count).astype(np.int64)]
    unlocated = rng.random(n) < len(real.unlocated) / len(real.located)
    src[unlocated] = real.unlocated[rng.integers(0, len(real.unlocated), size=int(unlocated.sum()))]
    located = real.located[src]
    lat = np.round(geo.lat[lsoa] + real.dlat[src], 6)
    lon = np.round(geo.lon[lsoa] + real.dlon[src], 6)
    hexes = rng.bytes(32 * n).hex()
    ids = [hexes[64 * i : 64 * i + 64] if k else "" for i, k in enumerate(real.has_id[src].tolist())]
    name = geo.forces["name"].iat[force]
    mid = f"{month},{name},{name},"
    parts = geo.lsoa_part[lsoa]
    locations, tails = real.location[src], real.tail[src]
    lines = [
        f"{cid},{mid}{x:.6f},{y:.6f},{loc},{part},{tail}\n" if ok else f"{cid},{mid},,{loc},,,{tail}\n"
        for cid, x, y, loc, part, tail, ok in zip(
            ids, lon.tolist(), lat.tolist(), locations, parts, tails, located.tolist(), strict=True
        )
    ]
    return HEADER + "".join(lines)


def file_path(cache: Path, slug: str, month: str) -> Path:
    return cache / month / f"{month}-{slug}-street.csv"


def build_cache(base: Path, total_rows: int, seed: int = 20261203, months: list[str] = MONTHS) -> dict:
    """Write every force-month file under ``base/<parameters>/`` unless a complete cache is there.

    Returns the manifest: the folder, the forces (slug, name, pfa_code, lsoas, rows) and the rows
    of each file, so a stage can pick forces without reading the files.
    """
    cache = base / f"v{GENERATOR_VERSION}-rows{total_rows}-seed{seed}-months{len(months)}"
    manifest_path = cache / "manifest.json"
    if manifest_path.is_file():
        return json.loads(manifest_path.read_text())
    geo = load_geography()
    real = load_real_rows()
    plan = make_plan(geo, real, total_rows, months, seed)
    for m, month in enumerate(months):
        (cache / month).mkdir(parents=True, exist_ok=True)
        for f, slug in enumerate(geo.forces["slug"]):
            file_path(cache, slug, month).write_text(file_text(geo, real, plan, f, m, seed), encoding="utf-8")
    forces = geo.forces.assign(rows=plan.rows.sum(axis=1))
    manifest = {
        "folder": str(cache),
        "months": months,
        "rows": int(plan.rows.sum()),
        "forces": forces.to_dict("records"),
        "file_rows": {slug: plan.rows[f].tolist() for f, slug in enumerate(geo.forces["slug"])},
        "lsoas": len(geo.lsoa),
    }
    manifest_path.write_text(json.dumps(manifest, default=int, indent=1))
    return manifest


def stage_forces(
    forces: list[dict], targets: list[int], first: str = "west-midlands", seed: int = 7
) -> list[list[str]]:
    """The forces loaded by each stage: each stage adds forces (``first``, then the rest in a fixed
    random order) until its records reach the stage's target; the last stage loads every force.

    Stages grow by whole forces so that every area measured at a stage has all its months: the
    figures then differ only in how much else the tables hold.
    """
    rest = [f["slug"] for f in forces if f["slug"] != first]
    np.random.default_rng(seed).shuffle(rest)
    order = [first, *rest] if any(f["slug"] == first for f in forces) else rest
    rows = {f["slug"]: int(f["rows"]) for f in forces}
    stages, taken, total = [], 0, 0
    for k, target in enumerate(targets):
        last = k == len(targets) - 1
        while taken < len(order) and (last or total < target):
            total += rows[order[taken]]
            taken += 1
        stages.append(order[:taken])
    return stages
