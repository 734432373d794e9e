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
from data_model.queries.calibration import calibration_of
from data_model.queries.mastery import (
    Explanation,
    explain_mastery,
    find_competency,
)
from data_model.queries.organisation import pathway_levels
from data_model.queries.progress import (
    Candidate,
    TeamProgress,
    candidates,
    team_progress,
)
from data_model.queries.team import (
    competency_scales,
    gap_cells,
    level_label,
    level_titles,
    team_table,
)
from data_model.verification import Answer, accept, decline, verification_inbox
from ui.audited import csv_file, excel_file
from ui.context import PageContext
from ui.database import session_for
from ui.figures import frame_bytes
from ui.formatting import DAY_FORMAT, as_text, day, title_check, whole

TTL = "5m"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 record', '2,431 records': a count with its noun agreeing."""
    return f"{whole(count)} {singular if count == 1 else plural or singular + 's'}"


MAX_ENTRIES = 256


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Working out your team's progress")
def my_team_progress(context: PageContext) -> TeamProgress:
    with session_for(context.database_url) as session:
        return team_progress(session, context.viewer, context.person_id)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def titles(url: str) -> pd.DataFrame:
    with session_for(url) as session:
        return level_titles(session)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def roles(url: str) -> pd.DataFrame:
    """Every level of every job family, to choose an open role from."""
    with session_for(url) as session:
        return pathway_levels(session)


LEVEL_COLUMNS = {
    "title": st.column_config.TextColumn("Title", help="Their pathway level on the roster."),
    "level": st.column_config.TextColumn(
        "Level attained", help="The highest pathway level their evidence meets."
    ),
    "next_level": st.column_config.TextColumn(
        "Next level",
        help="The level to be ready for: the one above the level attained or, for someone "
        "working above their title, the one above their title, which their evidence may "
        "already meet.",
    ),
    "title_check": st.column_config.TextColumn(
        "Title and evidence",
        help="Working above title: the evidence meets a level above their title. Title ahead "
        "of evidence: the title is above the level the evidence shows so far.",
    ),
}
"""Where a person stands, as both the My team table and the cohort builder show it: levels as
number and title, with how the evidence sits against the title that explains the next level."""


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def my_team_table(context: PageContext) -> pd.DataFrame:
    """The team table: progress per report with last evidence and pending records, plus the
    `title` on the roster and the `title_check` that says how the evidence sits against it."""
    with session_for(context.database_url) as session:
        overview = queries.team_overview(session, context.viewer, context.person_id)
    progress = my_team_progress(context)
    level_names = titles(context.database_url)
    table = team_table(progress, overview, level_names)
    people = {person.person_id: person for person in progress.people}
    standing = [people[person_id] for person_id in table["person_id"]]
    return table.assign(
        title=[level_label(level_names, p.job_family, p.title_level) for p in standing],
        title_check=[title_check(p.title_level, p.attained_level) for p in standing],
    )


@st.cache_data(
    ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False, hash_funcs={pd.DataFrame: frame_bytes}
)
def spreadsheets(export: pd.DataFrame, sheet: str) -> tuple[bytes, bytes]:
    """The Excel and CSV files of `export`, made once per content: writing the workbook took
    longer than the rest of a rerun of My team."""
    return excel_file(export, sheet), csv_file(export)


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def my_team_gaps(context: PageContext) -> pd.DataFrame:
    return gap_cells(my_team_progress(context))


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner="Comparing self-ratings")
def team_calibration(context: PageContext) -> pd.DataFrame:
    """Per competency, where the direct reports' self-ratings run high or low."""
    with session_for(context.database_url) as session:
        return calibration_of(
            session, context.viewer, manager_id=context.person_id, all_levels=False
        )


@st.cache_data(ttl=TTL, max_entries=MAX_ENTRIES, show_spinner=False)
def team_goals(context: PageContext, person_ids: tuple[int, ...]) -> pd.DataFrame:
    """The active and achieved learning goals of these reports, with progress toward each."""
    with session_for(context.database_url) as session:
        return people_goals(session, context.viewer, list(person_ids))


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
    context: PageContext, person_id: int, competency_id: int, rating: float | None, note: str
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
            f"{as_text(who)} has no usable evidence on this competency yet: an attestation or a "
            "completed activity tagged with it would start a score.",
            icon=":material/lightbulb:",
        )
        return
    mastery = summary["mastery"]
    score = "not yet scored" if mastery != mastery else f"{mastery:.1f}"
    st.markdown(
        f"**{as_text(summary['name'])}**: mastery {score}"
        f" ({as_text(summary['level'] or 'below the first level')}), "
        f"support {summary['support']:.2f}, "
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
