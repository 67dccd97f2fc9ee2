"""The refresh's parts that need no server: polygon pieces, the token bucket, Retry-After."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from shapely.geometry import shape

from saferhood.policeapi.client import retry_after_seconds
from saferhood.policeapi.limiter import TokenBucket
from saferhood.policeapi.pieces import Piece, area_pieces

ROOT = Path(__file__).resolve().parents[3]
SANDWELL_WARDS = ROOT / "demo/geography/ons-census-merged-wards-2011-west-midlands/E08000028.geojson"


def west_bromwich_central() -> Piece:
    features = json.loads(SANDWELL_WARDS.read_bytes())["features"]
    feature = next(f for f in features if f["properties"]["cmwd11nm"] == "West Bromwich Central")
    (piece,) = area_pieces("E05001283", json.dumps(feature["geometry"]))
    return piece


def test_split_pieces_cover_the_polygon_exactly_and_keep_their_area():
    piece = west_bromwich_central()
    quarters = piece.split()
    eighths = [p for q in quarters for p in q.split()]

    for pieces in (quarters, eighths):
        union = shapely.union_all([p.polygon for p in pieces])
        assert shapely.symmetric_difference(union, piece.polygon).area < 1e-12
        assert abs(sum(p.polygon.area for p in pieces) - piece.polygon.area) < 1e-12
        assert all(p.area == "E05001283" for p in pieces)
    assert len({p.key for p in eighths}) == len(eighths)
    assert {p.depth for p in eighths} == {2}
    assert quarters[0].size_metres() < piece.size_metres() * 0.51


def test_poly_is_lat_lng_pairs_round_the_outer_ring():
    piece = west_bromwich_central()
    pairs = [tuple(map(float, pair.split(","))) for pair in piece.poly().split(":")]
    ring = shapely.Polygon([(lng, lat) for lat, lng in pairs])
    assert len(pairs) == len(piece.polygon.exterior.coords) - 1  # police.uk closes the ring itself
    assert shapely.hausdorff_distance(ring, shape(piece.polygon)) <= 1e-6  # six decimals: about 0.1 m


def test_token_bucket_lets_a_burst_through_then_keeps_to_the_rate():
    now = [0.0]
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(15, 30, clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        assert bucket.acquire() == 0.0
    for _ in range(15):
        bucket.acquire()
    assert abs(now[0] - 1.0) < 1e-9  # 45 requests in the first second: the burst and 15 more
    now[0] += 10  # idle: the bucket refills to the burst, never beyond
    for _ in range(30):
        assert bucket.acquire() == 0.0
    assert bucket.acquire() > 0


def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None


def test_a_month_keeps_each_crime_once_under_the_first_area_that_brought_it(tmp_path):
    from saferhood.policeapi.state import MonthFolder

    folder = MonthFolder.open(tmp_path, "2018-06", "2018-06", "digest")
    folder.store_piece("E05001260", [{"id": 2, "month": "2018-06"}, {"id": 1, "month": "2018-06"}])
    folder.store_piece("E05001261-0", [{"id": 2, "month": "2018-06"}, {"id": 3, "month": "2018-06"}])
    folder.store_piece("E05001261-1", [{"id": 3, "month": "2018-06"}])
    folder.store_piece("E05001262", [{"id": 1, "month": "2018-06"}])  # nothing of its own

    files = folder.assemble(
        {
            "crimes": [
                ("E05001260", "E05001260"),
                ("E05001261", "E05001261-0"),
                ("E05001261", "E05001261-1"),
                ("E05001262", "E05001262"),
            ],
            "stops": [],
            "outcomes": [],
        }
    )

    held = {area: [r["id"] for r in json.loads(path.read_bytes())] for area, path in files.items()}
    assert held == {"E05001260": [1, 2], "E05001261": [3]}  # no empty file: the importer refuses []
    assert (folder.records, folder.duplicates) == (3, 3)
    assert sorted(p.name for p in folder.import_dir.iterdir()) == sorted(p.name for p in files.values())
    reopened = MonthFolder.open(tmp_path, "2018-06", "2018-06", "digest")
    assert reopened.complete and reopened.holds("E05001261-1")
    # Another publication's answers are out of date: the folder starts again.
    assert not MonthFolder.open(tmp_path, "2018-06", "2018-07", "digest").holds("E05001260")


def test_stops_seen_by_two_polygons_are_kept_once_but_two_people_searched_together_stay_two(tmp_path):
    from saferhood.policeapi.state import MonthFolder

    alike = {"datetime": "2019-12-01T01:48:53+00:00", "type": "Person search", "location": None}
    other = {**alike, "gender": "Female"}
    outcome = {
        "category": {"code": "x", "name": "X"},
        "date": "2019-12",
        "person_id": None,
        "crime": {"id": 7},
    }
    folder = MonthFolder.open(tmp_path, "2019-12", "2019-12", "digest")
    folder.store_piece("stops/A", [alike, alike, other])  # two people searched together, and one more
    folder.store_piece("stops/B", [alike, other])  # the same point seen from the next polygon
    folder.store_piece("outcomes/A", [outcome])
    folder.store_piece("outcomes/B", [outcome, {**outcome, "person_id": 1}])

    files = folder.assemble(
        {
            "crimes": [],
            "stops": [("A", "stops/A"), ("B", "stops/B")],
            "outcomes": [("A", "outcomes/A"), ("B", "outcomes/B")],
        }
    )

    held = {key: json.loads(path.read_bytes()) for key, path in files.items()}
    assert held["stops/A"] == [alike, alike, other] and "stops/B" not in held
    assert held["outcomes/A"] == [outcome] and held["outcomes/B"] == [{**outcome, "person_id": 1}]
    assert folder.kinds == {
        "crimes": {"records": 0, "duplicates": 0},
        "stops": {"records": 3, "duplicates": 2},
        "outcomes": {"records": 2, "duplicates": 1},
    }
    assert sorted(p.name for p in folder.import_dir.iterdir()) == [
        "police-uk-api-outcomes_2019-12_A_published-2019-12.json",
        "police-uk-api-outcomes_2019-12_B_published-2019-12.json",
        "police-uk-api-stops_2019-12_A_published-2019-12.json",
    ]
