"""Merge the read files into the wanted geography, starting from what the database holds.

Starting from the stored rows means a user can import one new file (a towns table, a newer
lookup) without re-supplying the rest, and that a re-run of the same files changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.text import slugify

from saferhood.areas.models import AreaLevel
from saferhood.core.errors import ImportFileError

from .readers import (
    GSS_RE,
    HEADER_LINES,
    LAD_RE,
    LSOA_RE,
    WARD_RE,
    Recognised,
    Table,
    check_counts,
    check_pattern,
    column_with,
    require,
)

# Parents are always one of the levels above; the store writes levels top-down in this order.
LEVEL_ORDER = [AreaLevel.PFA, AreaLevel.CSP, AreaLevel.LAD, AreaLevel.TOWN, AreaLevel.WARD, AreaLevel.LSOA]


@dataclass
class Node:
    code: str
    name: str
    level: str
    parent: str | None = None
    vintages: set[str] = field(default_factory=set)
    boundary: str = ""
    boundary_source: str = ""

    def key(self) -> tuple:
        return (
            self.name,
            self.level,
            self.parent,
            " ".join(sorted(self.vintages)),
            self.boundary,
            self.boundary_source,
        )


@dataclass
class Geography:
    """The wanted state of every Area (by code), plus what this run's files said."""

    nodes: dict[str, Node]
    ward_town: dict[str, str]  # ward → town slug (from the database, replaced per LAD by a towns table)
    lsoa_pop: dict[str, dict[str, int]] = field(default_factory=dict)  # vintage → LSOA21 code → people
    changes: list[tuple[str, str, str]] | None = (
        None  # (lsoa11, lsoa21, chgind) if an exact-fit file was read
    )
    ward_lad: dict[str, str] = field(default_factory=dict)
    lsoa11_parent: dict[str, str] = field(default_factory=dict)
    lsoa21_parent: dict[str, str] = field(default_factory=dict)
    lad_csp: dict[str, str] = field(default_factory=dict)
    towns: dict[str, list[str]] = field(default_factory=dict)  # town slug → wards, for towns configured now
    skipped: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)

    @classmethod
    def from_existing(cls, nodes: dict[str, Node]) -> Geography:
        geo = cls(nodes=nodes, ward_town={})
        for node in nodes.values():
            if node.level != AreaLevel.WARD or node.parent is None or node.parent not in nodes:
                continue
            parent = nodes[node.parent]
            if parent.level == AreaLevel.TOWN:
                geo.ward_town[node.code] = parent.code
                if parent.parent:
                    geo.ward_lad[node.code] = parent.parent
            elif parent.level == AreaLevel.LAD:
                geo.ward_lad[node.code] = parent.code
        return geo

    def node(self, code: str, level: str, name: str | None = None, vintage: str | None = None) -> Node:
        """Get or add an area; a later (newer) file's name wins."""
        node = self.nodes.get(code)
        if node is None:
            node = self.nodes[code] = Node(code=code, name=name or code, level=level)
        elif name:
            node.name = name
        if vintage:
            node.vintages.add(vintage)
        return node

    # --- readers of each kind, called in apply() order ------------------------------------------

    def add_changes(self, t: Table) -> None:
        require(t, "lsoa11cd", "lsoa21cd", "chgind")
        check_pattern(t, "lsoa11cd", LSOA_RE, "an LSOA 2011 code like E01010074")
        check_pattern(t, "lsoa21cd", LSOA_RE, "an LSOA 2021 code like E01035150")
        check_pattern(t, "chgind", r"[USMX]", "a change indicator U, S, M or X")
        d = t.data
        n11 = d["lsoa11nm"] if "lsoa11nm" in d else d["lsoa11cd"]
        n21 = d["lsoa21nm"] if "lsoa21nm" in d else d["lsoa21cd"]
        for c11, name11, c21, name21 in zip(d["lsoa11cd"], n11, d["lsoa21cd"], n21, strict=True):
            self.node(c11, AreaLevel.LSOA, name11, "LSOA11")
            self.node(c21, AreaLevel.LSOA, name21, "LSOA21")
        self.changes = list(zip(d["lsoa11cd"], d["lsoa21cd"], d["chgind"], strict=True))

    def add_population(self, t: Table) -> None:
        d = t.data
        if t.kind == "population_census":
            # Nomis exports end with blank and note lines: rows with neither a code nor a count.
            d = t.data = d[(d["mnemonic"] != "") | (d["total"] != "")].reset_index(drop=True)
            code_col, count_col = "mnemonic", "total"
            name_col = next(c for c in d.columns if "lower layer" in c)
        else:
            require(t, "lsoacd", "population")
            code_col, count_col, name_col = "lsoacd", "population", None
        check_pattern(t, code_col, LSOA_RE, "an LSOA 2021 code like E01035150")
        counts = check_counts(t, count_col)
        dupes = d[code_col].duplicated()
        if dupes.any():
            i = int(dupes.to_numpy().nonzero()[0][0])
            raise ImportFileError(
                str(t.path),
                f"expected one row per LSOA, found {d[code_col].iloc[i]} twice",
                line=i + HEADER_LINES + 1,
                column=t.columns[code_col],
            )
        names = d[name_col] if name_col else [None] * len(d)
        for code, name in zip(d[code_col], names, strict=True):
            self.node(code, AreaLevel.LSOA, name or None, "LSOA21")
        self.lsoa_pop[t.vintage] = dict(zip(d[code_col], counts.tolist(), strict=True))

    def add_ward_lookup(self, t: Table) -> None:
        lsoa = "lsoa11cd" if t.kind == "ward11" else "lsoa21cd"
        ward, lad = column_with(t, r"wd\d\dcd"), column_with(t, r"lad\d\dcd")
        ward_nm, lad_nm = ward[:-2] + "nm", lad[:-2] + "nm"
        require(t, lsoa, ward, ward_nm, lad, lad_nm)
        check_pattern(t, lsoa, LSOA_RE, "an LSOA code like E01010074")
        check_pattern(t, ward, WARD_RE, "an electoral ward code like E05001260")
        check_pattern(t, lad, LAD_RE, "a local authority code like E08000028")
        d = t.data
        lsoa_vintage = "LSOA11" if t.kind == "ward11" else "LSOA21"
        wd_v, lad_v = "WD" + ward[2:4], "LAD" + lad[3:5]
        lsoa_names = d[lsoa[:-2] + "nm"] if lsoa[:-2] + "nm" in d else [None] * len(d)
        parents = self.lsoa11_parent if t.kind == "ward11" else self.lsoa21_parent
        for code, name, w, wn, la, lan in zip(
            d[lsoa], lsoa_names, d[ward], d[ward_nm], d[lad], d[lad_nm], strict=True
        ):
            self.node(code, AreaLevel.LSOA, name or None, lsoa_vintage)
            self.node(w, AreaLevel.WARD, wn, wd_v)
            self.node(la, AreaLevel.LAD, lan, lad_v)
            self.ward_lad[w] = la
            parents[code] = w

    def add_csp_lookup(self, t: Table) -> None:
        lad, csp, pfa = (
            column_with(t, r"lad\d\dcd"),
            column_with(t, r"csp\d\dcd"),
            column_with(t, r"pfa\d\dcd"),
        )
        require(t, lad, csp, csp[:-2] + "nm", pfa, pfa[:-2] + "nm")
        check_pattern(t, lad, LAD_RE, "a local authority code like E08000028")
        check_pattern(t, csp, GSS_RE, "a community safety partnership code like E22000338")
        check_pattern(t, pfa, GSS_RE, "a police force area code like E23000014")
        d = t.data
        csp_v, pfa_v = "CSP" + csp[3:5], "PFA" + pfa[3:5]
        unknown = 0
        for la, c, cn, p, pn in zip(
            d[lad], d[csp], d[csp[:-2] + "nm"], d[pfa], d[pfa[:-2] + "nm"], strict=True
        ):
            self.node(p, AreaLevel.PFA, pn, pfa_v)
            self.node(c, AreaLevel.CSP, cn, csp_v).parent = p
            # A LAD only in this (older) lookup no longer exists: don't resurrect it.
            if la in self.nodes and self.nodes[la].level == AreaLevel.LAD:
                self.lad_csp[la] = c
            else:
                unknown += 1
        if unknown:
            self.skipped.append(
                f"{t.path.name}: {unknown} local authorities not in the ward lookups (abolished)"
            )

    def add_towns(self, t: Table) -> None:
        require(t, "town", "ward_code")
        d = t.data
        check_pattern(t, "town", r".*\w.*", "a town name")
        town_of: dict[str, str] = {}
        town_lad: dict[str, str] = {}
        names: dict[str, str] = {}
        for i, (town, ward) in enumerate(zip(d["town"], d["ward_code"], strict=True)):
            line = i + HEADER_LINES + 1
            node = self.nodes.get(ward)
            if node is None or node.level != AreaLevel.WARD:
                raise ImportFileError(
                    str(t.path),
                    f"expected a ward code from the ward lookups, found {ward!r}",
                    line=line,
                    column="ward_code",
                )
            slug = slugify(town)
            if ward in town_of and town_of[ward] != slug:
                raise ImportFileError(
                    str(t.path),
                    f"expected each ward in one town, found {ward} in two",
                    line=line,
                    column="ward_code",
                )
            lad = self.ward_lad.get(ward, "")
            if town_lad.setdefault(slug, lad) != lad:
                raise ImportFileError(
                    str(t.path),
                    f"expected every ward of {town} in one local authority, found {ward} in {lad}",
                    line=line,
                    column="ward_code",
                )
            town_of[ward] = slug
            names[slug] = town
        # A towns table replaces the towns of the local authorities it covers.
        covered = set(town_lad.values())
        self.ward_town = {w: s for w, s in self.ward_town.items() if self.ward_lad.get(w) not in covered}
        self.ward_town.update(town_of)
        for slug, name in names.items():
            self.node(slug, AreaLevel.TOWN, name).parent = town_lad[slug] or None
            self.towns[slug] = sorted(w for w, s in town_of.items() if s == slug)
        stale = [n.name for n in self.nodes.values() if n.level == AreaLevel.TOWN and n.parent in covered]
        stale = [s for s in stale if slugify(s) not in names]
        if stale:
            self.skipped.append(
                f"towns no longer configured (kept, now without wards): {', '.join(sorted(stale))}"
            )

    # --- after every file -------------------------------------------------------------------------

    def resolve_parents(self) -> None:
        for node in self.nodes.values():
            if node.level == AreaLevel.LSOA:
                # LSOA21 codes take the newest (LSOA21 → ward) lookup. A 2011-only code hangs under
                # the current ward its 2021 successors lie in (ADR 0005), so records published with
                # it count in the same ward pattern as everything else; failing that, its 2011 ward.
                p21, p11 = self.lsoa21_parent.get(node.code), self.lsoa11_parent.get(node.code)
                if p21:
                    node.parent = p21
                elif not ("LSOA21" in node.vintages and node.parent) and p11:
                    node.parent = p11
            elif node.level == AreaLevel.WARD:
                node.parent = self.ward_town.get(node.code) or self.ward_lad.get(node.code) or node.parent
            elif node.level == AreaLevel.LAD and node.code in self.lad_csp:
                node.parent = self.lad_csp[node.code]
        self._hang_2011_codes_under_current_wards()

    def _hang_2011_codes_under_current_wards(self) -> None:
        """Best fit of each 2011-only LSOA in the current ward pattern, through its 2021 successors.

        One ward when every successor lies in it (exact); else the ward holding most of the
        successors' residents (the ONS best-fit principle: population decides), ties to the
        lowest ward code.
        """
        weights = self.lsoa_pop.get("mid-2022") or next(iter(self.lsoa_pop.values()), {})
        successors: dict[str, list[str]] = defaultdict(list)
        for l11, l21, _ in self.changes or []:
            successors[l11].append(l21)
        for node in self.nodes.values():
            if node.level != AreaLevel.LSOA or "LSOA21" in node.vintages or node.code not in successors:
                continue
            share: dict[str, int] = defaultdict(int)
            for l21 in successors[node.code]:
                part = self.nodes.get(l21)
                if part is not None and part.parent and "LSOA21" in part.vintages:
                    share[part.parent] += weights.get(l21, 1)
            if share:
                node.parent = min(share, key=lambda ward: (-share[ward], ward))


def apply(geo: Geography, found: Recognised) -> None:
    """Apply every recognised table in dependency order; of several lookups of a kind the newest wins."""
    by_kind: dict[str, list[Table]] = defaultdict(list)
    for t in found.tables:
        by_kind[t.kind].append(t)
    for kind in ("ward11", "ward21", "csp", "lsoa_change"):
        tables = sorted(by_kind[kind], key=lambda t: t.vintage)
        for old in tables[:-1]:
            geo.skipped.append(f"{old.path}: superseded by the newer {tables[-1].path.name}")
        by_kind[kind] = tables[-1:]
    geo.used += [str(t.path) for tables in by_kind.values() for t in tables]
    for t in by_kind["lsoa_change"]:
        geo.add_changes(t)
    for t in by_kind["population"] + by_kind["population_census"]:
        geo.add_population(t)
    # Ward lookups oldest first, so the newest names and ward → LAD links win.
    for t in sorted(by_kind["ward11"] + by_kind["ward21"], key=lambda t: t.vintage):
        geo.add_ward_lookup(t)
    for t in by_kind["csp"]:
        geo.add_csp_lookup(t)
    for t in by_kind["towns"]:
        geo.add_towns(t)
    geo.resolve_parents()


def norm_name(name: str) -> str:
    """Ward names as compared across files: case, '&' and punctuation do not matter."""
    name = name.lower().replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", name).split())
