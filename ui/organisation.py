"""Cached reads of the Organisation page, each keyed by `PageContext` and the filter, so an
L&D admin moving between filters gets each view computed once per five minutes."""

import pandas as pd
import streamlit as st

from data_model.access import visible_person_id
from data_model.queries.calibration import calibration_of
from data_model.queries.equity import equity_attributes, equity_basis, progression_equity
from data_model.queries.freshness import Freshness, freshness
from data_model.queries.groups import GroupProgress, cohort, group_progress
from data_model.queries.organisation import (
    EVERYONE,
    FilterOptions,
    OrganisationFilter,
    OrganisationTotals,
    filter_options,
    levels_by_family,
    organisation_headcount,
    organisation_totals,
    pathway_levels,
)
from data_model.queries.programmes import programme_effectiveness
from data_model.queries.team import level_label
from ui.context import PageContext
from ui.database import session_for
from ui.formatting import title_check

TTL = "5m"
MAX_ENTRIES = 128


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def options(context: PageContext) -> FilterOptions:
    with session_for(context.database_url) as session:
        return filter_options(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def totals(context: PageContext, where: OrganisationFilter) -> OrganisationTotals:
    with session_for(context.database_url) as session:
        return organisation_totals(session, context.viewer, where=where)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Working out everyone's progress")
def group(context: PageContext, where: OrganisationFilter) -> GroupProgress:
    with session_for(context.database_url) as session:
        return group_progress(session, context.viewer, **where.as_kwargs())


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def levels(context: PageContext, where: OrganisationFilter) -> pd.DataFrame:
    """Per job family and level: people by title and by the level their evidence attains."""
    with session_for(context.database_url) as session:
        headcount = organisation_headcount(session, context.viewer, where)
        family_levels = pathway_levels(session)
    return levels_by_family(headcount, group(context, where).people, family_levels)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Comparing self-ratings")
def calibration(context: PageContext, where: OrganisationFilter) -> pd.DataFrame:
    """Per competency, where self-ratings run high or low among the people the filter keeps."""
    with session_for(context.database_url) as session:
        return calibration_of(session, context.viewer, **where.as_kwargs())


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Building the cohort")
def cohort_of(
    context: PageContext, job_family: str, min_readiness: float, missing: str | None
) -> pd.DataFrame:
    """The cohort (`groups.cohort`) with `title_check`: how each person's evidence sits
    against their title."""
    with session_for(context.database_url) as session:
        members = cohort(session, context.viewer, job_family, min_readiness, missing)
    pairs = zip(members["title_level"], members["attained_level"], strict=True)
    return members.assign(title_check=[title_check(title, level) for title, level in pairs])


def levels_named(members: pd.DataFrame, job_family: str, titles: pd.DataFrame) -> pd.DataFrame:
    """A cohort of `job_family` as its table shows it, in the columns of `team.LEVEL_COLUMNS`:
    title, level attained and next level as number and title (`titles`: `team.titles`)."""

    def named(ranks: pd.Series) -> list[str | None]:
        return [
            None if pd.isna(rank) else level_label(titles, job_family, int(rank)) for rank in ranks
        ]

    return members.assign(
        title=named(members["title_level"]),
        level=named(members["attained_level"]),
        next_level=named(members["next_level"]),
    )


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def attributes(url: str) -> list[str]:
    with session_for(url) as session:
        return equity_attributes(session)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Comparing groups")
def _equity_basis(context: PageContext) -> pd.DataFrame:
    """Everyone's readiness and levelling up (`equity.equity_basis`), once for every attribute
    compared, from the roll-up `group` keeps for everyone in scope."""
    people = group(context, EVERYONE).people
    with session_for(context.database_url) as session:
        return equity_basis(session, context.viewer, people)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def equity(context: PageContext, attribute: str) -> pd.DataFrame:
    basis = _equity_basis(context)
    with session_for(context.database_url) as session:
        return progression_equity(session, context.viewer, attribute, basis)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def data_freshness(context: PageContext, where: OrganisationFilter) -> Freshness:
    with session_for(context.database_url) as session:
        return freshness(session, context.viewer, where)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Comparing programmes")
def programmes(context: PageContext, window_days: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return programme_effectiveness(session, context.viewer, window_days)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def person_id(context: PageContext, external_id: str) -> int:
    """The id of someone the viewer may see, by external id (`NotPermitted` otherwise)."""
    with session_for(context.database_url) as session:
        return visible_person_id(session, context.viewer, external_id)
