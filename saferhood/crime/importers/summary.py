"""What a police.uk import did, per run and in total, as a dataclass and as text."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class RunSummary:
    kind: str
    force: str
    month: str
    file_name: str
    rows_read: int
    rows_stored: int
    rows_replaced: int
    rows_without_location: int
    rows_outside_partnership: int
    rows_duplicate: int
    methods: dict[str, int]
    run_id: int | None = None  # None in a dry run


@dataclass
class PoliceImportSummary:
    dry_run: bool = False
    files_read: int = 0
    runs: list[RunSummary] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None  # set when a bad file stopped the command

    def _total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.runs)

    @property
    def rows_read(self) -> int:
        return self._total("rows_read")

    @property
    def rows_stored(self) -> int:
        return self._total("rows_stored")

    @property
    def rows_replaced(self) -> int:
        return self._total("rows_replaced")

    @property
    def rows_without_location(self) -> int:
        return self._total("rows_without_location")

    @property
    def rows_outside_partnership(self) -> int:
        return self._total("rows_outside_partnership")

    @property
    def rows_duplicate(self) -> int:
        return self._total("rows_duplicate")

    @property
    def methods(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for run in self.runs:
            total.update(run.methods)
        return dict(sorted(total.items(), key=lambda kv: -kv[1]))

    def render(self) -> str:
        stored = "would be stored" if self.dry_run else "stored"
        replaced = "would be replaced" if self.dry_run else "replaced"
        lines = ["police.uk import" + (" — DRY RUN: nothing was stored" if self.dry_run else "")]
        for r in self.runs:
            extra = f", {r.rows_duplicate:,} duplicates dropped" if r.rows_duplicate else ""
            lines.append(
                f"  {r.kind:<15} {r.force:<20} {r.month}  {r.rows_read:>8,} read  {r.rows_stored:>8,} {stored}  "
                f"{r.rows_replaced:>8,} {replaced}{extra}  ({r.file_name})"
            )
        lines += [
            f"Files read:                 {self.files_read:,}",
            f"Rows read:                  {self.rows_read:,}",
            f"Rows {stored + ':':<22} {self.rows_stored:,}",
            f"Rows {replaced + ':':<22} {self.rows_replaced:,}",
            f"Rows without location:      {self.rows_without_location:,}",
            f"Rows outside the partnership: {self.rows_outside_partnership:,}",
            f"Duplicates dropped:         {self.rows_duplicate:,}",
            "Placement methods:          "
            + (", ".join(f"{k} {v:,}" for k, v in self.methods.items()) or "none"),
        ]
        if self.skipped:
            lines.append(f"Skipped (not police.uk files): {len(self.skipped)}")
        if self.error:
            lines.append(f"STOPPED: {self.error}")
        return "\n".join(lines)
