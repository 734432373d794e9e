"""How numbers and dates read on screen, the same on every page."""

import re
from datetime import datetime

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

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
PERCENT_FORMAT = "%.0f%%"
"""Whole percentages in `st.column_config` columns ("67%"), as f"{share:.0%}" reads in text.
The columns' own "percent" format shows up to two decimals ("66.67%") and a printf format does
not scale, so a table shows its shares as percentages from 0 to 100: see `percentages`."""
WORKING_ABOVE_TITLE = "Working above title"
TITLE_AHEAD_OF_EVIDENCE = "Title ahead of evidence"


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


def percentages(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `frame` for a table, its shares (0 to 1) in `columns` as percentages (0 to
    100) for `percent_column`; downloads keep the shares themselves."""
    return frame.assign(**{column: frame[column] * 100 for column in columns})


def percent_column(label: str, *, bar: bool = False, help: str | None = None) -> ColumnConfig:
    """The column of a share shown as a whole percentage, after `percentages`; `bar` draws it
    as a bar from 0 to 100%."""
    if bar:
        return st.column_config.ProgressColumn(
            label, help=help, format=PERCENT_FORMAT, min_value=0.0, max_value=100.0
        )
    return st.column_config.NumberColumn(label, help=help, format=PERCENT_FORMAT)


def title_check(title_level: float | None, attained_level: float | None) -> str | None:
    """How the level a person's evidence attains sits against the title level on the roster, in
    the words of the progress headline; None when they agree or either is unknown."""
    if pd.isna(title_level) or pd.isna(attained_level):
        return None
    if attained_level > title_level:
        return WORKING_ABOVE_TITLE
    if title_level > attained_level:
        return TITLE_AHEAD_OF_EVIDENCE
    return None
