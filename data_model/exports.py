"""Tables leaving Pathwise as files: made safe to open in a spreadsheet.

Rejected rows come back exactly as someone's export wrote them, so a cell such as
`=HYPERLINK(...)` would run as a formula when the download is opened in Excel or Sheets
(CSV injection). Every text cell that a spreadsheet would read as a formula gets a leading
single quote, which the spreadsheet shows as text and does not evaluate.
"""

from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection)."""


def _neutralised(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def safe_for_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` in which no text cell, and no column name, starts like a formula.

    Column names are included because rejected rows keep the file's own header, which
    becomes the first line of the download. Numbers are left alone: -3 is a number, not a
    formula, and stays one.
    """
    safe = frame.copy()
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            safe.isetitem(position, column.map(_neutralised))
    safe.columns = [_neutralised(column) for column in safe.columns]
    return safe
