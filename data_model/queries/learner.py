"""Reads behind one person's progress page that the other read models do not give: every
requirement of a pathway level with the person's standing on it (for the radar), and the
records behind their evidence in time order (for the timeline). Scoped like every read.
"""

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session, aliased

from data_model import pathways as rules_of
from data_model.access import Viewer, ensure_can_view
from data_model.evidence_source import competency_rules
from data_model.models import (
    Activity,
    ActivityCompetency,
    Competency,
    JobFamily,
    LearningRecord,
    Person,
)
from data_model.queries.evidence import read_frame
from data_model.queries.mastery import NotFound, _materialised
from data_model.queries.progress import _pathways
from data_model.verification import decline_reasons

REQUIREMENT_COLUMNS = ["competency_id", "competency", "name", "category", "required", "weight",
                       "critical", "mastery", "support", "met", "credit", "missing"]  # fmt: skip
TIMELINE_COLUMNS = ["record_id", "occurred_at", "what", "competencies", "formal", "source_kind",
                    "verification", "verifier", "notes", "decline_reason"]  # fmt: skip


def level_requirements(
    session: Session, viewer: Viewer, person_id: int, job_family: str, rank: int
) -> pd.DataFrame:
    """Every requirement of level `rank` of `job_family` with the person's current mastery,
    whether it is met and what is missing (REQUIREMENT_COLUMNS), by category then name."""
    ensure_can_view(session, viewer, person_id)
    family_id = session.scalar(select(JobFamily.id).where(JobFamily.code == job_family))
    if family_id is None:
        raise NotFound(f"No job family has the code '{job_family}'.")
    rules = competency_rules(session)
    now = datetime.now(UTC)
    mastery = _materialised(session, [person_id], rules, now)
    targets = pd.DataFrame({"person_id": [person_id], "job_family_id": [family_id], "rank": [rank]})
    assessed = rules_of.assess(targets, _pathways(session), mastery, rules, now)
    if assessed.empty:
        return pd.DataFrame(columns=REQUIREMENT_COLUMNS)
    categories = read_frame(
        session, select(Competency.id.label("competency_id"), Competency.category)
    ).astype({"category": str})
    frame = assessed.merge(categories, on="competency_id")
    order = {"technical": 0, "professional": 1, "values": 2}
    frame = frame.assign(order=frame["category"].map(order)).sort_values(["order", "name"])
    return frame[REQUIREMENT_COLUMNS].reset_index(drop=True)


def evidence_timeline(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """Every record of the person, newest first (TIMELINE_COLUMNS): what it was (the activity's
    title, or the rating and its source), the competency codes it speaks to, formal or not,
    where it came from, its verification state and who verified or was asked to. Declined
    records are kept here (marked declined, with the reason the verifier gave), as the learner
    should see what was turned down and why."""
    ensure_can_view(session, viewer, person_id)
    verifier = aliased(Person)
    tag = aliased(Competency)
    tagged = (
        select(func.aggregate_strings(tag.code, ", "))
        .join(ActivityCompetency, ActivityCompetency.competency_id == tag.id)
        .where(ActivityCompetency.activity_id == LearningRecord.activity_id)
        .correlate(LearningRecord)
        .scalar_subquery()
    )
    statement = (
        select(
            LearningRecord.id.label("record_id"),
            LearningRecord.occurred_at,
            Activity.title.label("activity"),
            Competency.code.label("rated"),
            Competency.name.label("rated_name"),
            LearningRecord.rating,
            func.coalesce(Activity.formal, literal(False)).label("formal"),
            LearningRecord.competency_id.is_(None).label("through_tags"),
            tagged.label("tags"),
            LearningRecord.source_kind,
            LearningRecord.verification,
            verifier.name.label("verifier"),
            LearningRecord.notes,
            LearningRecord.raw,
        )
        .outerjoin(Activity, Activity.id == LearningRecord.activity_id)
        .outerjoin(Competency, Competency.id == LearningRecord.competency_id)
        .outerjoin(verifier, verifier.id == LearningRecord.verified_by_id)
        .where(LearningRecord.person_id == person_id)
        .order_by(LearningRecord.occurred_at.desc(), LearningRecord.id.desc())
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["what"] = [_what(row) for row in frame.to_dict("records")]
    frame["competencies"] = frame["rated"].fillna(frame["tags"]).fillna("")
    frame["formal"] = frame["formal"].astype(bool) & frame["through_tags"].astype(bool)
    for column in ("source_kind", "verification"):
        frame[column] = frame[column].astype(str)
    frame["decline_reason"] = frame["record_id"].map(decline_reasons(session, viewer, person_id))
    return frame[TIMELINE_COLUMNS]


def _what(row: dict) -> str:
    raw = row["raw"] if isinstance(row["raw"], dict) else {}
    if isinstance(row["activity"], str):
        return row["activity"]
    if raw.get("title"):
        return str(raw["title"])
    rating = row["rating"]
    source = str(row["source_kind"]).replace("_", " ").capitalize()
    shown = "" if rating is None or rating != rating else f" {rating:g}"
    return f"{source}: {row['rated_name']}{shown}"
