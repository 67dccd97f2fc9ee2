"""The geography a profile's figures use (ADR 0005), read against the stored counts.

``saferhood.areas.vintages`` says how an area of each vintage answers; this module finds, in
the monthly counts, the months an answer is not applicable (an area's other-vintage
equivalents hold rows that cannot be divided) and states the rule for the API and the page.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from saferhood.areas.models import Area, AreaLevel, LsoaChange
from saferhood.areas.vintages import RULE, Attribution, attribution
from saferhood.crime.models import MonthlyCount
from saferhood.evidence.coverage import Coverage


def _months_with_rows(lads: list[str], codes: tuple[str, ...]) -> set[str]:
    if not codes:
        return set()
    rows = MonthlyCount.objects.filter(lad_code__in=lads, lsoa_code__in=codes, count__gt=0)
    return set(rows.values_list("month", flat=True).distinct())


def applicable(area: Area, cov: Coverage) -> tuple[set[str], dict[str, Any]]:
    """The covered months whose figures the area can give under the rule, and the ``geography`` key."""
    covered = cov.complete_months()
    how: Attribution | None = attribution(area)
    not_applicable: set[str] = set()
    if how is not None and how.relation == "retired":
        not_applicable = set(covered)
    elif how is not None and how.shared:
        not_applicable = covered & _months_with_rows(cov.lad_codes, how.shared)
    geography = {
        "rule": RULE,
        "lsoa_vintage": "LSOA 2021",
        "ward_vintage": how.current_ward_vintage if how else None,
        "area_vintage": (how.area_vintage if how else area.vintages) or None,
        "answers": how.relation if how else "current",
        "through": list(how.through) if how else [],
        "not_applicable_months": sorted(not_applicable),
        "notes": list(how.notes) if how else [],
    }
    return covered - not_applicable, geography


def not_applicable_figures(profile: dict[str, Any]) -> dict[str, Any]:
    """Null the headline figures of a period the area cannot answer under the rule (never 0)."""
    geography = profile["geography"]
    months = {p["month"] for p in profile["series"]}
    if months and months <= set(geography["not_applicable_months"]):
        geography["applicable"] = False
        for key in ("crimes", "asb", "rate_per_1000"):
            profile[key] = None
        profile["by_type"] = {}
    else:
        geography["applicable"] = True
    return profile


def lsoa_children(
    codes: list[str], totals: dict[str, dict[str, int]], months: set[str], lads: list[str]
) -> dict[str, dict[str, int] | None]:
    """Each listed 2021 LSOA's totals under the rule, from totals keyed by published code.

    A 2021 LSOA merged from 2011 ones adds their rows; one part of a split 2011 LSOA whose
    2011 code holds rows in ``months`` is not applicable (None): the old rows cannot be divided.
    The 2011 code's rows may sit in another ward (its best fit), so they are looked up in ``lads``.
    """
    back: dict[str, set[str]] = defaultdict(set)
    for l11, l21 in LsoaChange.objects.filter(lsoa21__in=codes).values_list("lsoa11", "lsoa21"):
        back[l21].add(l11)
    olds = {c for cs in back.values() for c in cs}
    fwd: dict[str, set[str]] = defaultdict(set)
    for l11, l21 in LsoaChange.objects.filter(lsoa11__in=olds).values_list("lsoa11", "lsoa21"):
        fwd[l11].add(l21)
    zero = {"crimes": 0, "asb": 0}
    shared = {p for code in codes for p in back.get(code, set()) - {code} if not fwd[p] <= {code}}
    held = MonthlyCount.objects.filter(lad_code__in=lads, lsoa_code__in=shared, month__in=months, count__gt=0)
    held = set(held.values_list("lsoa_code", flat=True).distinct()) if shared and months else set()
    result: dict[str, dict[str, int] | None] = {}
    for code in codes:
        preds = back.get(code, set()) - {code}
        own = dict(totals.get(code, zero))
        if not preds:
            result[code] = own
        elif all(fwd[p] <= {code} for p in preds):
            for p in preds:
                for key, n in totals.get(p, zero).items():
                    own[key] += n
            result[code] = own
        elif preds & held:
            result[code] = None
        else:
            result[code] = own
    return result


def is_lsoa_list(children: list[Area]) -> bool:
    return bool(children) and all(c.level == AreaLevel.LSOA for c in children)
