"""Ward and town boundaries: match polygons to areas, orient them, derive unions.

Boundaries are stored as GeoJSON geometry text in WGS84 with clockwise exterior rings, which
is what plotly's choropleths need (anticlockwise rings fill the whole world instead).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from saferhood.areas.models import AreaLevel
from saferhood.core.errors import ImportFileError

from .build import Geography, norm_name


def to_text(geom: BaseGeometry) -> str:
    return shapely.to_geojson(shapely.orient_polygons(geom, exterior_cw=True))


def _geometry(path: Path, index: int, feature: dict) -> BaseGeometry:
    try:
        geom = shape(feature["geometry"])
    except Exception as exc:  # shapely raises several types for a malformed geometry
        raise ImportFileError(
            str(path), f"expected a polygon geometry in feature {index + 1} ({exc})"
        ) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ImportFileError(str(path), f"expected a polygon in feature {index + 1}, found {geom.geom_type}")
    return geom if geom.is_valid else shapely.make_valid(geom)


def _prop(props: dict, pattern: str) -> str:
    for key, value in props.items():
        if re.fullmatch(pattern, key.lower()) and value:
            return str(value)
    return ""


def add_ward_boundaries(geo: Geography, path: Path, doc: dict, label: str) -> dict[str, BaseGeometry]:
    """Attach ward polygons; returns the LADs whose wards this file covered completely (→ their union).

    A feature is matched by its E05 code if it has one, else by name among its LAD's wards
    (census merged wards carry E36 codes). A LAD's features are used only if *all* of them
    match distinct wards: a partial match means another ward pattern (Birmingham's pre-2018
    wards share a few names with today's), and would attach wrong shapes to same-named wards.
    """
    wards_by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for ward, lad in geo.ward_lad.items():
        wards_by_name[(lad, norm_name(geo.nodes[ward].name))].append(ward)
    groups: dict[str, list[tuple[str, str, BaseGeometry]]] = defaultdict(list)  # lad → (name, ward|'', geom)
    for i, feature in enumerate(doc.get("features") or []):
        props = feature.get("properties") or {}
        code = _prop(props, r"wd\d\dcd")
        name = _prop(props, r"(cm)?wd\d\dnm")
        lad = _prop(props, r"lad\d\dcd") or (path.stem if re.fullmatch(r"[EW]0\d{7}", path.stem) else "")
        if code and code in geo.nodes and geo.nodes[code].level == AreaLevel.WARD:
            ward = code
        else:
            # The oldest vintage first: these polygons are older than the newest ward codes.
            candidates = sorted(
                wards_by_name.get((lad, norm_name(name)), []), key=lambda w: sorted(geo.nodes[w].vintages)
            )
            ward = candidates[0] if candidates else ""
        groups[lad].append((name or code, ward, _geometry(path, i, feature)))
    complete: dict[str, BaseGeometry] = {}
    for lad, features in groups.items():
        matched = {w for _, w, _ in features if w}
        unmatched = [n for n, w, _ in features if not w]
        if unmatched or len(matched) != len(features):
            lad_name = geo.nodes[lad].name if lad in geo.nodes else lad or "unknown local authority"
            geo.skipped.append(
                f"{label}: {lad_name}: {len(features) - len(unmatched)} of {len(features)} ward polygons match "
                f"ward names (a different ward pattern), none used; unmatched: {', '.join(sorted(unmatched)[:5])}"
                + ("…" if len(unmatched) > 5 else "")
            )
            continue
        for _, ward, geom in features:
            geo.nodes[ward].boundary = to_text(geom)
            geo.nodes[ward].boundary_source = label
        complete[lad] = shapely.union_all([g for _, _, g in features])
    return complete


def add_town_boundaries(geo: Geography, path: Path, doc: dict, label: str) -> set[str]:
    done: set[str] = set()
    for i, feature in enumerate(doc.get("features") or []):
        props = {k.lower(): v for k, v in (feature.get("properties") or {}).items()}
        slug = _slug(str(props.get("town") or ""))
        node = geo.nodes.get(slug)
        if node is None or node.level != AreaLevel.TOWN:
            geo.skipped.append(f"{label}: town polygon {props.get('town')!r} is not a configured town")
            continue
        node.boundary = to_text(_geometry(path, i, feature))
        node.boundary_source = label
        done.add(slug)
    return done


def _slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name)


def union_boundaries(geo: Geography, towns_from_file: set[str], lad_unions: dict[str, BaseGeometry]) -> int:
    """Towns without a polygon get the union of their wards; covered LADs the union of theirs."""
    made = 0
    wards_of: dict[str, list[str]] = defaultdict(list)
    for ward, town in geo.ward_town.items():
        wards_of[town].append(ward)
    for town, wards in wards_of.items():
        node = geo.nodes.get(town)
        if (
            node is None
            or town in towns_from_file
            or (node.boundary and not node.boundary_source.startswith("union"))
        ):
            continue
        if all(geo.nodes[w].boundary for w in wards):
            geom = shapely.union_all([shapely.from_geojson(geo.nodes[w].boundary) for w in wards])
            node.boundary, node.boundary_source = to_text(geom), "union of its wards"
            made += 1
    for lad, geom in lad_unions.items():
        node = geo.nodes.get(lad)
        if node is not None and (not node.boundary or node.boundary_source.startswith("union")):
            node.boundary, node.boundary_source = to_text(geom), "union of its wards"
            made += 1
    return made
