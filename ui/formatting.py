"""How numbers and dates read on screen, the same on every page."""

import re
from datetime import datetime

import pandas as pd

from data_model.queries import PersonSummary

MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]<>~$|&]|:(?=\w))")
"""What Streamlit's markdown reads as syntax anywhere in a line: emphasis, links and images,
HTML and entities, strikethrough, LaTeX ($...$), tables, and a colon before a word, which
starts a colour directive (:red[...]), an icon or an emoji (:name:); "https://" keeps its."""
LINE_START = re.compile(r"^([#+\-]|\d+[.)])")
"""What it reads as a heading or a list only at the start of a line."""
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
DAY_FORMAT = "D MMM YYYY"
"""The same day format for `st.column_config` columns, in its own (moment.js) notation."""


def as_text(value: object) -> str:
    """`value` for an f-string that goes to st.markdown, st.caption, st.title, st.write or a
    widget label: shown exactly as typed, on one line, never read as markdown or HTML.

    Names, titles and notes come from imported files; without this, "**Ann**" would show in
    bold and "[x](https://...)" as a link in another person's browser. Only what markdown
    would read is escaped, so ordinary names ("J. Smith-Jones") pass through unchanged.
    """
    text = MARKDOWN_SYNTAX.sub(r"\\\1", UNPRINTABLE.sub(" ", str(value)).strip())
    return LINE_START.sub(lambda marker: f"{marker[1][:-1]}\\{marker[1][-1]}", text)


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
