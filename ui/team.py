"""Cached reads and the writes of the My team page: a manager's reports, their progress, the
verification inbox, attestations and the explanation behind any score.

Reads are keyed by `PageContext`, so each viewer has their own results. A write (an
attestation, an answer to a verification request) changes mastery that other pages show too,
so it clears every cached read: a stale score would be worse than one slower run.
"""

import pandas as pd
import streamlit as st

from data_model import queries
from data_model.attestation import Attested, attest
from data_model.goals import people_goals
from data_model.queries.mastery import (
    Explanation,
    explain_mastery,
    find_competency,
    person_mastery,
)
from data_model.queries.progress import (
    Candidate,
    Progress,
    TeamProgress,
    candidates,
    person_progress,
    team_progress,
)
from data_model.queries.team import (
    STATUS_LABELS,
    competency_scales,
    gap_cells,
    level_label,
    level_titles,
    team_table,
)
from data_model.verification import Answer, accept, decline, verification_inbox
from ui.context import PageContext
from ui.database import session_for
from ui.formatting import DAY_FORMAT, day, whole

TTL = "5m"
MAX_ENTRIES = 256


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Working out your team's progress")
def my_team_progress(context: PageContext) -> TeamProgress:
    with session_for(context.database_url) as session:
        return team_progress(session, context.viewer, context.person_id)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def titles(url: str) -> pd.DataFrame:
    with session_for(url) as session:
        return level_titles(session)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def my_team_table(context: PageContext) -> pd.DataFrame:
    """The team table: progress per report with last evidence and pending records."""
    with session_for(context.database_url) as session:
        overview = queries.team_overview(session, context.viewer, context.person_id)
    return team_table(my_team_progress(context), overview, titles(context.database_url))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def my_team_gaps(context: PageContext) -> pd.DataFrame:
    return gap_cells(my_team_progress(context))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def team_goals(context: PageContext, person_ids: tuple[int, ...]) -> pd.DataFrame:
    """The active and achieved learning goals of these reports, with progress toward each."""
    with session_for(context.database_url) as session:
        return people_goals(session, context.viewer, list(person_ids))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def progress_of(context: PageContext, person_id: int) -> Progress:
    with session_for(context.database_url) as session:
        return person_progress(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def mastery_of(context: PageContext, person_id: int) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return person_mastery(session, context.viewer, person_id)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def explanation(context: PageContext, person_id: int, competency: str) -> Explanation:
    """Why `person_id` has the mastery they have on the competency with code `competency`."""
    with session_for(context.database_url) as session:
        competency_id = find_competency(session, competency)
        return explain_mastery(session, context.viewer, person_id, competency_id)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def competencies(url: str) -> pd.DataFrame:
    """Every competency with its scale, for the attestation form."""
    with session_for(url) as session:
        return competency_scales(session)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def inbox(context: PageContext) -> pd.DataFrame:
    with session_for(context.database_url) as session:
        return verification_inbox(session, context.viewer)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Ranking the candidates")
def role_candidates(context: PageContext, job_family: str, rank: int) -> list[Candidate]:
    with session_for(context.database_url) as session:
        return candidates(session, context.viewer, job_family, rank)


def record_attestation(
    context: PageContext, person_id: int, competency_id: int, rating: float, note: str
) -> Attested:
    with session_for(context.database_url) as session, session.begin():
        done = attest(session, context.viewer, person_id, competency_id, rating, note)
    st.cache_data.clear()
    return done


def answer_request(
    context: PageContext, record_id: int, accepted: bool, reason: str = ""
) -> Answer:
    with session_for(context.database_url) as session, session.begin():
        if accepted:
            answer = accept(session, context.viewer, record_id)
        else:
            answer = decline(session, context.viewer, record_id, reason)
    st.cache_data.clear()
    return answer


EXPLANATION_COLUMNS = {
    "occurred_at": st.column_config.DatetimeColumn("When", format=DAY_FORMAT),
    "source_kind": st.column_config.TextColumn("Source"),
    "verification": st.column_config.TextColumn("Verification"),
    "value": st.column_config.NumberColumn("Level shown", format="%.1f"),
    "trust": st.column_config.NumberColumn("Trust", format="%.2f"),
    "recency": st.column_config.NumberColumn(
        "Recency", format="%.2f", help="How much of its weight the evidence keeps at its age."
    ),
    "weight": st.column_config.NumberColumn("Weight", format="%.2f", help="Trust times recency."),
    "share": st.column_config.NumberColumn(
        "Share of the score", format="%.2f", help="How many levels of the score it accounts for."
    ),
}


def show_explanation(found: Explanation, who: str) -> None:
    """The numbers of one score and every piece of evidence behind it, with its weight."""
    summary = found.summary
    if not summary:
        st.info(
            f"{who} has no usable evidence on this competency yet: an attestation or a "
            "completed activity tagged with it would start a score.",
            icon=":material/lightbulb:",
        )
        return
    mastery = summary["mastery"]
    score = "not yet scored" if mastery != mastery else f"{mastery:.1f}"
    st.markdown(
        f"**{summary['name']}**: mastery {score}"
        f" ({summary['level'] or 'below the first level'}), support {summary['support']:.2f}, "
        f"confidence {summary['confidence']:.0%}, from {whole(int(summary['evidence_count']))} "
        f"pieces of evidence, the latest on {day(summary['last_evidence_at'])}."
    )
    st.dataframe(
        found.evidence[list(EXPLANATION_COLUMNS)],
        hide_index=True,
        width="stretch",
        column_config=EXPLANATION_COLUMNS,
    )
    st.caption(
        "Each row is one learning record. Its weight is its trust times its recency; the "
        "shares add up to the score above the bottom of the scale."
    )


def show_progress(context: PageContext, progress: Progress, titles: pd.DataFrame) -> None:
    """A report's progress, read-only: where they stand, their gaps, next steps, and the
    explanation of any of their scores."""
    readiness = "—" if progress.readiness is None else f"{progress.readiness:.0%}"
    with st.container(horizontal=True):
        st.metric(
            "Level attained",
            level_label(titles, progress.job_family, progress.attained_level) or "None yet",
            border=True,
        )
        st.metric(
            "Next level",
            level_label(titles, progress.job_family, progress.next_level) or "—",
            border=True,
        )
        st.metric("Readiness", readiness, border=True)
        st.metric("Status", STATUS_LABELS.get(progress.status, progress.status), border=True)
    if progress.forecast_ready:
        st.caption(f"At their recent pace they would be ready around {progress.forecast_ready}.")
    if progress.gaps:
        gaps = pd.DataFrame(
            {
                "name": [gap.name for gap in progress.gaps],
                "required": [gap.required for gap in progress.gaps],
                "mastery": [gap.mastery for gap in progress.gaps],
                "missing": [gap.missing for gap in progress.gaps],
            }
        )
        st.dataframe(
            gaps,
            hide_index=True,
            width="stretch",
            column_config={
                "name": st.column_config.TextColumn("Competency"),
                "required": st.column_config.NumberColumn("Required", format="%.1f"),
                "mastery": st.column_config.NumberColumn("Mastery", format="%.1f"),
                "missing": st.column_config.TextColumn("What is missing"),
            },
        )
        st.caption(
            f"The {whole(len(gaps))} requirements of their next level not met yet, with the "
            "level required, their mastery and what is missing."
        )
    if progress.recommendations:
        st.markdown(
            "**Recommended next steps:** "
            + "; ".join(step.activity for step in progress.recommendations)
            + "."
        )
    scores = mastery_of(context, progress.person_id)
    if scores.empty:
        st.info(
            f"{progress.name} has no evidence yet: an attestation from you would be the first.",
            icon=":material/lightbulb:",
        )
        return
    names = dict(zip(scores["competency"], scores["name"], strict=True))
    chosen = st.selectbox(
        "Explain a score",
        list(names),
        index=None,
        format_func=names.__getitem__,
        placeholder=f"Choose one of {progress.name}'s {len(names)} scored competencies",
        key=f"explain_score_{progress.person_id}",
    )
    if chosen is not None:
        show_explanation(explanation(context, progress.person_id, chosen), progress.name)
