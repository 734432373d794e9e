"""Cached reads and the writes behind one person's progress page (My progress, and a manager's
read-only drill-down into a report).

Reads that show a person's data take the `PageContext`, so the cache key holds the database and
the viewer: two viewers never share a result. Results are DataFrames, frozen dataclasses or
plain values. A write (informal learning, a self-rating, a goal) clears the reads it makes
stale for that viewer and person, and the app-wide reads of other pages that show the same
mastery (`ui.data`), since a stale score elsewhere would be worse than one slower run.
"""

import json
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from data_model import credentials, goals, informal
from data_model.queries import person_calibration, person_summary
from data_model.queries.groups import closest_roles
from data_model.queries.learner import evidence_timeline, level_requirements
from data_model.queries.mastery import Explanation, explain_mastery, mastery_history, person_mastery
from data_model.queries.progress import Progress, person_progress
from data_model.record_pdf import RecordPage, record_pdf
from ui import data
from ui.context import PageContext
from ui.database import session_for
from ui.formatting import where_they_sit

TTL = "5m"
MAX_ENTRIES = 256


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Working out your progress")
def progress(context: PageContext, person_id: int) -> Progress:
    with session_for(context.database_url) as session:
        return person_progress(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def requirements(context: PageContext, person_id: int, job_family: str, rank: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return level_requirements(session, context.viewer, person_id, job_family, rank)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def mastery(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return person_mastery(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Reading your mastery over time")
def history(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return mastery_history(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def timeline(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return evidence_timeline(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def calibration(context: PageContext, person_id: int) -> pd.DataFrame:
    """Self-ratings beside everyone else's evidence, per competency with both."""
    with session_for(context.database_url) as session:
        return person_calibration(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def explanation(context: PageContext, person_id: int, competency_id: int) -> Explanation:
    with session_for(context.database_url) as session:
        return explain_mastery(session, context.viewer, person_id, competency_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def person_goals(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return goals.goals_with_progress(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def achieved(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return credentials.achieved_competencies(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def closest(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return closest_roles(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def verifiers(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return informal.verifier_options(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def competencies(url: str) -> pd.DataFrame:
    """The framework's competencies: organisation structure, the same for every viewer."""
    with session_for(url) as session:
        return informal.competency_options(session)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def activities(url: str) -> pd.DataFrame:
    with session_for(url) as session:
        return informal.activity_tags(session)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def activity_titles(url: str) -> dict[int, str]:
    """Catalogue activity titles by id, in catalogue order, for the informal learning form
    (`activities` has a row per activity and tag: de-duplicating it on every rerun was slow)."""
    unique = activities(url).drop_duplicates("activity_id")
    return dict(zip(unique["activity_id"], unique["title"], strict=True))


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def roles(url: str) -> pd.DataFrame:
    with session_for(url) as session:
        return goals.role_options(session)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def record_json(context: PageContext, person_id: int) -> str:
    """The unsigned CLR 2.0 of the person's achieved competencies, as pretty JSON."""
    with session_for(context.database_url) as session:
        clr = credentials.learner_record(session, context.viewer, person_id)
    return json.dumps(clr, indent=2, ensure_ascii=False)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def record_pdf_bytes(context: PageContext, person_id: int, standing: str) -> bytes:
    with session_for(context.database_url) as session:
        summary = person_summary(session, context.viewer, person_id)
        achieved_now = credentials.achieved_competencies(session, context.viewer, person_id)
    page = RecordPage(
        name=summary.name,
        email=summary.email,
        where=where_they_sit(summary),
        standing=standing,
        achieved=achieved_now,
        generated_on=datetime.now(UTC).date(),
    )
    return record_pdf(page)


def _forget(context: PageContext, person_id: int, goals_only: bool = False) -> None:
    """Clear what a write made stale for this viewer and person, and the shared reads."""
    person_goals.clear(context, person_id)
    if goals_only:
        return
    for read in (progress, mastery, history, timeline, calibration, achieved, closest, record_json):
        read.clear(context, person_id)
    explanation.clear()
    requirements.clear()
    record_pdf_bytes.clear()
    data.competency_evidence.clear(context, person_id)
    data.evidence_totals.clear(context, person_id)


def log_learning(context: PageContext, entry: dict) -> informal.Logged:
    with session_for(context.database_url) as session, session.begin():
        logged = informal.log_informal_learning(session, context.viewer, context.person_id, entry)
    _forget(context, context.person_id)
    return logged


def rate_myself(context: PageContext, rating: dict) -> informal.Rated:
    with session_for(context.database_url) as session, session.begin():
        rated = informal.rate_myself(session, context.viewer, context.person_id, rating)
    _forget(context, context.person_id)
    return rated


def set_goal(context: PageContext, goal: dict) -> int:
    with session_for(context.database_url) as session, session.begin():
        goal_id = goals.set_goal(session, context.viewer, context.person_id, goal)
    _forget(context, context.person_id, goals_only=True)
    return goal_id


def remove_goal(context: PageContext, goal_id: int) -> None:
    with session_for(context.database_url) as session, session.begin():
        goals.remove_goal(session, context.viewer, goal_id)
    _forget(context, context.person_id, goals_only=True)


def mark_goal_achieved(context: PageContext, goal_id: int) -> None:
    with session_for(context.database_url) as session, session.begin():
        goals.mark_achieved(session, context.viewer, goal_id)
    _forget(context, context.person_id, goals_only=True)
