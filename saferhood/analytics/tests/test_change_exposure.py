"""The per-day quasi-Poisson change test against statsmodels on Sandwell's real monthly counts.

The series are read from the bundled count files with pandas (no Saferhood code), and the
expected p-values come from statsmodels' Poisson GLM with a log(days) offset.
"""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from saferhood.analytics.change import compare_counts, compare_rates, estimate_dispersion, p_value_text

COUNTS = Path(__file__).resolve().parents[3] / "demo" / "police-uk-api-wm-lsoa21-monthly-counts-2023-2026"


@pytest.fixture(scope="module")
def sandwell() -> pd.DataFrame:
    """Sandwell's monthly crimes (excluding ASB) and ASB, its loaded months only, with days."""
    frames = [pd.read_csv(p) for p in sorted((COUNTS / "birmingham").glob("*.csv"))]
    frame = pd.concat(frames)
    frame = frame[frame.borough == "Sandwell"]
    frame["m"] = frame.year.astype(str) + "-" + frame.month.map("{:02d}".format)
    frame["kind"] = np.where(frame.category == "Anti-social behaviour", "asb", "crimes")
    table = frame.pivot_table(index="m", columns="kind", values="crime_count", aggfunc="sum", fill_value=0)
    table = table.drop(["2023-05", "2023-06"])  # near-empty (SOURCE.md); 2024-09 has no rows
    table["days"] = [calendar.monthrange(int(m[:4]), int(m[5:]))[1] for m in table.index]
    table["t"] = [int(m[:4]) * 12 + int(m[5:]) for m in table.index]
    return table


def glm_dispersion(window: pd.DataFrame, column: str) -> float:
    t = window.t.to_numpy(dtype=float)
    fit = sm.GLM(
        window[column].to_numpy(),
        sm.add_constant(t - t.mean()),
        family=sm.families.Poisson(),
        offset=np.log(window.days.to_numpy(dtype=float)),
    ).fit(scale="X2", tol=1e-13)
    return float(fit.scale)


@pytest.mark.parametrize("column", ["crimes", "asb"])
@pytest.mark.parametrize("end", ["2024-08", "2025-03", "2026-03"])
def test_dispersion_is_statsmodels_pearson_scale(sandwell, column, end):
    window = sandwell[sandwell.index <= end].tail(24)
    ours = estimate_dispersion(window[column].tolist(), window.days.tolist(), window.t.tolist())
    assert ours == pytest.approx(glm_dispersion(window, column), rel=1e-8)
    assert ours > 3  # Sandwell's monthly counts are several times more variable than Poisson


@pytest.mark.parametrize(
    ("now", "before"),
    [
        (["2026-03"], ["2026-02"]),
        (["2025-03"], ["2025-02"]),
        (["2024-05", "2024-06", "2024-07"], ["2024-02", "2024-03", "2024-04"]),
        (["2024-10", "2024-11", "2024-12"], ["2024-07", "2024-08"]),  # 2024-09 missing
    ],
)
@pytest.mark.parametrize("column", ["crimes", "asb"])
def test_p_value_is_the_quasi_poisson_glm(sandwell, now, before, column):
    window = sandwell[sandwell.index <= now[-1]].tail(24)
    phi = max(1.0, glm_dispersion(window, column))
    rows = pd.concat([sandwell.loc[now].assign(x=1.0), sandwell.loc[before].assign(x=0.0)])
    fit = sm.GLM(
        rows[column].to_numpy(),
        sm.add_constant(rows.x.to_numpy()),
        family=sm.families.Poisson(),
        offset=np.log(rows.days.to_numpy(dtype=float)),
    ).fit(scale=phi, tol=1e-13)
    result = compare_rates(
        int(sandwell.loc[now, column].sum()),
        int(sandwell.loc[before, column].sum()),
        current_days=int(sandwell.loc[now, "days"].sum()),
        previous_days=int(sandwell.loc[before, "days"].sum()),
        dispersion=phi,
    )
    assert result.p_value == pytest.approx(float(np.asarray(fit.pvalues)[1]), rel=1e-6)
    assert result.percent == round(100 * (np.exp(float(np.asarray(fit.params)[1])) - 1), 1)


def test_february_against_march_is_judged_per_day(sandwell):
    feb, mar = int(sandwell.loc["2026-02", "crimes"]), int(sandwell.loc["2026-03", "crimes"])
    assert compare_counts(mar, feb).significant is True  # months as equal exposure: "significant"
    per_day = compare_rates(mar, feb, current_days=31, previous_days=28)
    assert per_day.significant is False and abs(per_day.percent) < 0.5


def test_zero_on_one_side_is_tested_without_a_log_of_zero():
    result = compare_rates(0, 40, current_days=90, previous_days=90, dispersion=2.0)
    assert result.significant is True and result.percent == -100.0
    assert compare_rates(0, 0, current_days=30, previous_days=31).p_value == 1.0


def test_dispersion_is_floored_at_one_and_needs_six_months():
    assert compare_rates(120, 100, current_days=30, previous_days=30, dispersion=0.3).dispersion == 1.0
    assert estimate_dispersion([10, 12, 9, 11, 10], [31, 30, 31, 30, 31]) is None
    assert estimate_dispersion([0] * 8, [30] * 8) == 1.0


@pytest.mark.parametrize(("p", "text"), [(0.0, "< 0.001"), (1e-40, "< 0.001"), (0.0009, "< 0.001"),
                                          (0.001, "0.001"), (0.0456, "0.046"), (1.0, "1.000")])  # fmt: skip
def test_p_values_are_never_printed_as_zero(p, text):
    assert p_value_text(p) == text


@pytest.mark.parametrize("counts", [[0] * 11 + [1], [0] * 11 + [3], [2] + [0] * 11])
def test_dispersion_of_records_all_at_one_end_of_the_window(counts):
    # A quiet LSOA with one crime in the last month of the year: the trend's fit has no finite
    # answer, and the profile API used to answer 500 (numpy "Singular matrix"). Found by
    # make bench-national. Without a trend, the dispersion is the plain Pearson statistic.
    phi = estimate_dispersion(counts, [30] * 12)
    rate = sum(counts) / 12
    assert phi == pytest.approx(sum((c - rate) ** 2 / rate for c in counts) / 11)
