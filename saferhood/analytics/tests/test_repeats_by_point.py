"""Repeat locations by hand: one published point labelled two ways is one snap point."""

import pandas as pd

from saferhood.analytics.repeats import repeat_locations


def test_one_point_two_labels_is_one_row_with_both():
    records = pd.DataFrame(
        {
            "location": ["On or near Petrol Station"] * 2 + ["On or near "] * 3 + ["On or near Bar Road"] * 4,
            "lon": [-2.141123] * 5 + [-2.2] * 4,
            "lat": [52.990315] * 5 + [53.0] * 4,
            "month": ["2022-01", "2022-02", "2022-02", "2022-03", "2022-04"] + ["2022-01"] * 4,
        }
    )
    out = repeat_locations(records)
    assert out["count"].tolist() == [5, 4]
    first = out.iloc[0]
    assert (first["lon"], first["lat"]) == (-2.141123, 52.990315)
    assert first["labels"] == ["On or near", "On or near Petrol Station"]  # most records first
    assert first["location"] == "On or near"
    assert (first["months_active"], first["first_month"], first["last_month"]) == (4, "2022-01", "2022-04")
    assert out.iloc[1]["labels"] == ["On or near Bar Road"]


def test_a_point_without_any_label_still_counts():
    records = pd.DataFrame(
        {"location": [None, ""], "lon": [0.1, 0.1], "lat": [51.0, 51.0], "month": ["2022-01"] * 2}
    )
    out = repeat_locations(records)
    assert out["count"].tolist() == [2] and out.iloc[0]["labels"] == [] and out.iloc[0]["location"] == ""
