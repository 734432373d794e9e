"""How numbers and dates read on screen, the same on every page."""

from datetime import datetime

import pandas as pd

from data_model.queries import PersonSummary

DAY_FORMAT = "D MMM YYYY"
"""The same day format for `st.column_config` columns, in its own (moment.js) notation."""


def whole(count: int) -> str:
    return f"{count:,}"


def day(when: datetime | pd.Timestamp | None) -> str:
    if when is None or pd.isna(when):
        return "None yet"
    return f"{when.day} {when:%b %Y}"


def where_they_sit(summary: PersonSummary) -> str:
    """One line under a person's name: level, family, department and manager, as known."""
    parts = [
        summary.level_title or "No pathway level",
        summary.job_family or "no job family",
        summary.department,
        f"reports to {summary.manager_name}" if summary.manager_name else None,
    ]
    return " · ".join(part for part in parts if part)
