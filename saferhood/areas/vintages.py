"""Which geography vintage a figure uses, and how an area of another vintage answers (ADR 0005).

The rule: every record and count is attributed to **one current pattern** — LSOA 2021 and the
newest ward pattern held — through the ONS lookups. Records published with 2011 LSOA codes keep
their code, and count in the current ward their 2021 successors lie in (best fit by residents
where the successors straddle wards; see ``importers.build``). So:

- child lists hold one vintage: a local authority or town lists the wards of its newest pattern,
  a ward lists its 2021 LSOAs — a 2011 code and its successors are never listed side by side;
- an LSOA code of the other vintage answers through the codes that cover exactly the same
  ground (a split 2011 LSOA through its 2021 parts; a 2021 LSOA merged from 2011 ones through
  them), and says so;
- where no exact equivalent exists (one part of a split, a redrawn LSOA, a ward of a retired
  pattern), the months whose figures sit in the other vintage are *not applicable*, never 0.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from saferhood.areas.models import Area, AreaLevel, LsoaChange

CURRENT_LSOA = "LSOA21"
RULE = (
    "Every figure uses one current geography: LSOA 2021 and the newest ward pattern held. "
    "Records published with 2011 LSOA codes count in the current ward their 2021 successors lie in "
    "(ONS LSOA 2011 to 2021 lookup; where the successors straddle wards, the ward holding most of "
    "their residents)."
)


def _ward_year(vintage: str) -> int:
    match = re.fullmatch(r"WD(\d\d)", vintage)
    return int(match.group(1)) if match else -1


def newest_ward_vintage(vintage_lists: list[str]) -> str | None:
    """The newest ward pattern among space-separated vintage strings ('WD21 WD25' → 'WD25')."""
    years = [v for text in vintage_lists for v in text.split() if _ward_year(v) >= 0]
    return max(years, key=_ward_year) if years else None


def one_vintage(children: list[Area]) -> tuple[list[Area], str | None]:
    """The children of one vintage only: wards of the newest pattern, LSOAs of 2021.

    Returns the kept children and the vintage they belong to (None for levels without one).
    """
    wards = [c for c in children if c.level == AreaLevel.WARD]
    lsoas = [c for c in children if c.level == AreaLevel.LSOA]
    if wards:
        newest = newest_ward_vintage([w.vintages for w in wards])
        if newest:
            return [c for c in children if c.level != AreaLevel.WARD or newest in c.vintages.split()], newest
    if lsoas and any(CURRENT_LSOA in c.vintages.split() for c in lsoas):
        kept = [c for c in children if c.level != AreaLevel.LSOA or CURRENT_LSOA in c.vintages.split()]
        return kept, CURRENT_LSOA
    return children, None


def current_ward_vintage(ward: Area) -> str | None:
    """The newest ward pattern held in the ward's local authority."""
    lad = next((a for a in ward.ancestors() if a.level == AreaLevel.LAD), None)
    if lad is None:
        return newest_ward_vintage([ward.vintages])
    siblings = Area.objects.filter(level=AreaLevel.WARD).filter(Q(parent=lad) | Q(parent__parent=lad))
    return newest_ward_vintage([ward.vintages, *siblings.values_list("vintages", flat=True)])


@dataclass(frozen=True)
class Attribution:
    """How an area's figures are drawn under the rule.

    ``codes``: the LSOA codes whose rows make up an LSOA's figures (itself, plus the codes of the
    other vintage covering exactly the same ground). ``shared``: codes of the other vintage that
    cover it only together with other LSOAs — months whose rows carry them are not applicable.
    ``retired``: a ward of an older pattern, to which nothing is attributed.
    """

    area_vintage: str
    relation: str  # 'current', 'successors', 'predecessors', 'shared', 'retired'
    codes: tuple[str, ...] = ()
    through: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()
    current_ward_vintage: str | None = None
    notes: list[str] = field(default_factory=list)


def _links(code: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The lookup's rows around a code, two steps out: 2011 → 2021 and 2021 → 2011."""
    fwd: dict[str, set[str]] = defaultdict(set)
    back: dict[str, set[str]] = defaultdict(set)
    rows = list(LsoaChange.objects.filter(lsoa11=code).values_list("lsoa11", "lsoa21"))
    rows += LsoaChange.objects.filter(lsoa21=code).values_list("lsoa11", "lsoa21")
    near = {c for row in rows for c in row}
    rows += LsoaChange.objects.filter(lsoa11__in=near).values_list("lsoa11", "lsoa21")
    rows += LsoaChange.objects.filter(lsoa21__in=near).values_list("lsoa11", "lsoa21")
    for l11, l21 in rows:
        fwd[l11].add(l21)
        back[l21].add(l11)
    return fwd, back


def lsoa_attribution(area: Area) -> Attribution:
    """An LSOA's figures under the rule: its own code, or through exact equivalents, or shared."""
    vintages = area.vintages.split()
    code = area.code
    current = CURRENT_LSOA in vintages
    fwd, back = _links(code)
    # A current code answers for the 2011 codes merged into it; a 2011 code for its 2021 parts.
    mine, theirs = (back, fwd) if current else (fwd, back)
    others = mine.get(code, set()) - {code}
    vintage = "LSOA 2021" if current else "LSOA 2011"
    if not others:
        return Attribution(vintage, "current", (code,))
    if all(theirs.get(o, set()) <= {code} for o in others):
        relation = "predecessors" if current else "successors"
        through = tuple(sorted(others))
        word = "2011 LSOAs merged into it" if current else "2021 LSOAs it was split into"
        note = (
            f"{code} answers through the {word} ({', '.join(through)}): together they cover the same ground."
        )
        return Attribution(vintage, relation, (code, *through), through, notes=[note])
    shared = tuple(sorted(others))
    note = (
        f"{code} covers part of {', '.join(shared)} (LSOA {'2011' if current else '2021'}), whose "
        "figures cannot be divided: months recorded under those codes are not applicable here."
    )
    return Attribution(vintage, "shared", (code,), shared=shared, notes=[note])


def attribution(area: Area) -> Attribution | None:
    """How an LSOA or ward's figures are drawn; None for levels every vintage agrees on."""
    if area.level == AreaLevel.LSOA:
        return lsoa_attribution(area)
    if area.level == AreaLevel.WARD:
        newest = current_ward_vintage(area)
        mine = newest_ward_vintage([area.vintages])
        if newest and mine and newest not in area.vintages.split():
            note = (
                f"{area.name} is a ward of an older pattern ({mine}); figures use the {newest} wards, "
                "so this ward's figures are not applicable."
            )
            return Attribution(mine, "retired", current_ward_vintage=newest, notes=[note])
        return Attribution(mine or "", "current", current_ward_vintage=newest)
    return None
