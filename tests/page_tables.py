"""Reading the pages' tables as the browser shows them, for the AppTest page tests."""

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest


def percent_cells(at: AppTest, column: str, table_key: str | None = None) -> list[str]:
    """The cells of `column` as the browser shows them, in the one table with a column
    `table_key` (default: `column`): the column's printf format applied to each value.
    Streamlit's own "percent" format is not one; it shows up to two decimals."""
    [table] = [t for t in at.dataframe if (table_key or column) in t.value.columns]
    number_format = json.loads(table.proto.columns)[column]["type_config"]["format"]
    return [number_format % value for value in table.value[column]]


def whole_percents(shares: list[float]) -> list[str]:
    """Shares as every page's text shows them."""
    return [f"{share:.0%}" for share in shares]


def assert_calibration_shown(
    at: AppTest, toggle: str, expected: pd.DataFrame, before: pd.DataFrame, name: str
) -> None:
    """Turn on the group's "self-ratings against the evidence" table and check it against the
    query: the same competencies and gaps, one more self-rater on `name` than `before` had, and
    the shares as whole percentages."""
    assert not [table for table in at.dataframe if "share_high" in table.value.columns]
    at.toggle(key=toggle).set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = next(table.value for table in at.dataframe if "share_high" in table.value.columns)
    assert shown["name"].tolist() == expected["name"].tolist()
    assert shown["mean_gap"].tolist() == pytest.approx(expected["mean_gap"].tolist())
    row = shown.set_index("name").loc[name]
    had = int(before.loc[name, "people"]) if name in before.index else 0
    assert row["people"] == had + 1
    assert row["share_high"] >= 100 / row["people"]
    assert percent_cells(at, "share_high") == whole_percents(expected["share_high"].tolist())
    assert percent_cells(at, "share_low") == whole_percents(expected["share_low"].tolist())
