"""Cached reads for the pages: each wraps one `data_model.queries` function.

Every read that shows someone's data takes the `PageContext`, so its cache key holds the
database and the viewer: two viewers never share a result. Results are DataFrames or frozen
dataclasses, never ORM objects, so they are safe to pickle and to hand to any session.
"""

import pandas as pd
import streamlit as st

from data_model import queries
from data_model.access import Viewer, viewer_for_email
from ui.context import PageContext
from ui.database import session_for

TTL = "5m"
"""New records show within five minutes; imports are batch jobs, not live streams."""
MAX_ENTRIES = 512


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def demo_personas(url: str) -> dict[str, Viewer]:
    with session_for(url) as session:
        return queries.demo_personas(session)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def viewer_with_email(url: str, email: str) -> Viewer | None:
    with session_for(url) as session:
        return viewer_for_email(session, email)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def person_summary(context: PageContext, person_id: int) -> queries.PersonSummary:
    with session_for(context.database_url) as session:
        return queries.person_summary(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def evidence_totals(context: PageContext, person_id: int) -> queries.EvidenceTotals:
    with session_for(context.database_url) as session:
        return queries.evidence_totals(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def competency_evidence(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return queries.competency_evidence(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def team_overview(context: PageContext, manager_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return queries.team_overview(session, context.viewer, manager_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def organisation_headcount(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return queries.organisation_headcount(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def organisation_totals(context: PageContext) -> queries.OrganisationTotals:
    with session_for(context.database_url) as session:
        return queries.organisation_totals(session, context.viewer)
