"""The partnership's boundaries to ask police.uk about: its wards', or a local authority's own."""

from __future__ import annotations

from saferhood.areas.models import Area, AreaLevel


class NoBoundaryError(Exception):
    """A partnership local authority with no ward (or own) boundary to ask police.uk about."""


def partnership_boundaries(lad_codes: list[str]) -> dict[str, str]:
    """Area code → boundary to fetch: every ward of the partnership's local authorities that
    has a boundary; a local authority none of whose wards has one is asked for whole."""
    nodes = {
        pk: (code, level, parent)
        for pk, code, level, parent in Area.objects.order_by()
        .exclude(level=AreaLevel.LSOA)
        .values_list("id", "code", "level", "parent_id")
    }

    def lad_of(pk: int | None) -> str | None:
        for _ in range(10):  # the hierarchy is 6 deep; a guard against a cycle in bad data
            if pk is None or pk not in nodes:
                return None
            code, level, pk = nodes[pk]
            if level == AreaLevel.LAD:
                return code
        return None

    wards = {pk: lad_of(parent) for pk, (_, level, parent) in nodes.items() if level == AreaLevel.WARD}
    wanted = [pk for pk, lad in wards.items() if lad in lad_codes]
    found = dict(
        Area.objects.order_by("code")
        .filter(pk__in=wanted)
        .exclude(boundary="")
        .values_list("code", "boundary")
    )
    covered = {wards[pk] for pk in wanted if nodes[pk][0] in found}
    for lad in lad_codes:
        if lad in covered:
            continue
        whole = Area.objects.filter(code=lad, level=AreaLevel.LAD).exclude(boundary="").first()
        if whole is None:
            raise NoBoundaryError(
                f"no boundary for local authority {lad} (SAFERHOOD_PARTNERSHIP_LADS) nor for any of its "
                "wards: police.uk is asked by polygon, so import its ward boundaries (GeoJSON) with "
                "`saferhood import geography` first"
            )
        found[lad] = whole.boundary
    return dict(sorted(found.items()))
