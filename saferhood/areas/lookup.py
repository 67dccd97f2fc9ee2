"""Area questions every app asks: which area a code names, which local authorities it lies in."""

from __future__ import annotations

from saferhood.areas.models import Area, AreaLevel


def find_area(code: str) -> Area | None:
    """An area by ONS code or town slug (codes are matched case-insensitively)."""
    area = Area.objects.select_related("parent").filter(code=code).first()
    if area is None:
        area = Area.objects.select_related("parent").filter(code__iexact=code).first()
    return area


def lad_codes(area: Area) -> list[str]:
    """The local authority codes an area lies in (several for a CSP or force area)."""
    if area.level in (AreaLevel.CSP, AreaLevel.PFA):
        frontier = [area.pk]
        found: list[str] = []
        for _ in range(3):
            rows = list(Area.objects.filter(parent_id__in=frontier).values_list("pk", "code", "level"))
            found += [code for _, code, level in rows if level == AreaLevel.LAD]
            frontier = [pk for pk, _, level in rows if level != AreaLevel.LAD]
            if not frontier:
                break
        return found
    node: Area | None = area
    while node is not None and node.level != AreaLevel.LAD:
        node = node.parent
    return [node.code] if node else []
