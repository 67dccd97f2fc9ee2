"""How a count file's columns map to area, month, crime type and count: a small declarative spec.

Another extract (a force analyst's spreadsheet, counts rebuilt from the API) is described by a
JSON file of the same keys, without code::

    {"area_code": "LSOA21CD", "crime_type": "Crime type", "period": "Month",
     "count": "Crimes", "filters": {"Force": ["West Midlands Police"]}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

from saferhood.core.errors import ImportFileError


@dataclass(frozen=True)
class CountSpec:
    """Column names of a count file. The defaults describe the bundled West Midlands files.

    The month is either ``period`` (one ``YYYY-MM`` column) or ``year`` plus ``month`` (a
    four-digit year and a month number 1–12). ``filters`` keeps only rows whose column holds one
    of the listed values (e.g. ``{"borough": ["Sandwell"]}``); other rows are read but not stored.
    """

    area_code: str = "lsoa_code"  # LSOA 2011 or 2021 code, or ward code
    area_name: str | None = "lsoa_name"  # optional; only quoted in error messages
    crime_type: str = "category"  # police.uk names or API slugs
    count: str = "crime_count"
    year: str | None = "year"
    month: str | None = "month"
    period: str | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.period is None and not (self.year and self.month):
            raise ValueError("give either 'period' (a YYYY-MM column) or both 'year' and 'month'")
        if self.period is not None and (self.year or self.month):
            raise ValueError("give either 'period' or 'year' and 'month', not both")

    @property
    def columns(self) -> list[str]:
        """Every column the file must have."""
        named = [self.area_code, self.area_name, self.crime_type, self.count]
        named += [self.period] if self.period else [self.year, self.month]
        return [c for c in dict.fromkeys([*named, *self.filters]) if c]

    @classmethod
    def from_json(cls, path: Path | str) -> CountSpec:
        """Read a spec from JSON; keys left out keep their defaults (``"period"`` drops year/month)."""
        display = str(path)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ImportFileError(
                display, f"expected a JSON object describing the columns, found: {exc}"
            ) from exc
        if not isinstance(data, dict):
            raise ImportFileError(display, f"expected a JSON object, found {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ImportFileError(display, f"expected keys among {sorted(known)}, found {unknown[0]!r}")
        for key, value in data.items():
            if key == "filters":
                ok = isinstance(value, dict) and all(
                    isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                    for k, v in value.items()
                )
                what = 'an object of column → list of values, e.g. {"borough": ["Sandwell"]}'
            else:
                ok = (
                    isinstance(value, str)
                    and value != ""
                    or (value is None and key in ("area_name", "year", "month", "period"))
                )
                what = "a column name"
            if not ok:
                raise ImportFileError(display, f"expected {what} for {key!r}, found {value!r}")
        if data.get("period") and "year" not in data and "month" not in data:
            data = {**data, "year": None, "month": None}
        try:
            return cls(**data)
        except ValueError as exc:
            raise ImportFileError(display, f"expected a consistent spec: {exc}") from exc


DEFAULT_SPEC = CountSpec()
