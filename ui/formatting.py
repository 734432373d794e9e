"""How numbers and dates read on screen, the same on every page."""

import re
from datetime import datetime

import pandas as pd

from data_model.queries import PersonSummary

MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=^])")
"""The punctuation Streamlit's markdown gives a meaning to: emphasis, links, headings, lists,
HTML, colour directives (:red[...]), icons and emoji (:name:) and LaTeX ($...$)."""
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
DAY_FORMAT = "D MMM YYYY"
"""The same day format for `st.column_config` columns, in its own (moment.js) notation."""


def as_text(value: object) -> str:
    """`value` for an f-string that goes to st.markdown, st.caption, st.title, st.write or a
    widget label: shown exactly as typed, on one line, never read as markdown or HTML.

    Names, titles and notes come from imported files; without this, "**Ann**" would show in
    bold and "[x](https://...)" as a link in another person's browser.
    """
    return MARKDOWN_SYNTAX.sub(r"\\\1", UNPRINTABLE.sub(" ", str(value)))


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
