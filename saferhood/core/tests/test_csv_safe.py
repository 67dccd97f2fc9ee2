"""CSV cells a spreadsheet would run as formulas are written as text; numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from saferhood.core import csv_safe


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tTAB", "\r=1+1"],
)
def test_formula_cells_are_written_as_text(cell: str) -> None:
    out = io.StringIO()
    csv_safe.writer(out).writerow([cell])
    (row,) = csv.reader(io.StringIO(out.getvalue()))
    assert row == ["'" + cell]


def test_numbers_and_plain_text_are_left_alone() -> None:
    out = io.StringIO()
    csv_safe.writer(out, lineterminator="\n").writerows([[-3, 1.5, "-3", "+44", "-0.25", "1e5", "Anne", ""]])
    assert out.getvalue() == "-3,1.5,-3,+44,-0.25,1e5,Anne,\n"
