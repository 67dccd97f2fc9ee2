"""police.uk force slugs, and each local authority's own force (from LAD → CSP → PFA).

Here rather than in ``evidence.coverage`` (which uses them) so that the refresh, below evidence,
decides "the street files hold this month" by the same rule as coverage does.
"""

from __future__ import annotations

from django.utils.text import slugify

from saferhood.areas.models import Area, AreaLevel

# ONS police force area names whose police.uk slug is not simply the slugified name.
FORCE_SLUG_OVERRIDES = {
    "Metropolitan Police": "metropolitan",
    "London, City of": "city-of-london",
    "Devon & Cornwall": "devon-and-cornwall",
}


def force_slug(pfa_name: str) -> str:
    """The police.uk force slug for an ONS police force area name."""
    return FORCE_SLUG_OVERRIDES.get(pfa_name, slugify(pfa_name))


def home_forces(lad_codes: list[str]) -> dict[str, str]:
    """Each local authority's own police force (slug), from LAD → CSP → PFA."""
    rows = Area.objects.filter(code__in=lad_codes).values_list(
        "code", "parent__level", "parent__name", "parent__parent__level", "parent__parent__name"
    )
    forces = {}
    for code, p_level, p_name, pp_level, pp_name in rows:
        if p_level == AreaLevel.PFA:
            forces[code] = force_slug(p_name)
        elif pp_level == AreaLevel.PFA:
            forces[code] = force_slug(pp_name)
    return forces
