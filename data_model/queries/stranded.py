"""Verification requests the roster has stranded: pending records whose verifier no longer
stands above the learner, has left (inactive), or is gone from the roster altogether.

No one can answer such a request: the inbox offers a request only to someone the learner
reports to today, directly or further up (see `data_model.verification`), whatever their other
roles. The learner sees theirs and re-sends them (`informal.reassign_verifier`); L&D admins see
everyone's, to follow up where a learner has not. Requests of people who have left themselves
are left out: no one needs to act on them.
"""

import pandas as pd
from sqlalchemy import Select, case, exists, or_, select
from sqlalchemy.orm import Session, aliased

from data_model.access import Viewer, ensure_can_view, ensure_sees_everyone
from data_model.models import Activity, Competency, LearningRecord, Person, Verification
from data_model.queries.evidence import read_frame

NOT_IN_LINE = "not_in_line"
"""The learner no longer reports to the verifier (either of them moved)."""
INACTIVE = "inactive"
"""The verifier has left: marked inactive on the roster, so they cannot sign in."""
NO_VERIFIER = "no_verifier"
"""No one is named: the verifier was deleted from the roster, or none was ever given."""
STRANDED_COLUMNS = [
    "record_id", "person_id", "person", "what", "competency", "occurred_at", "verifier_id",
    "verifier", "why",
]  # fmt: skip


def _stranded(person_id: int | None) -> Select:
    """The statement behind both reads: every active learner's stranded requests, or one's."""
    pending = LearningRecord.verification == Verification.PENDING
    asking = select(LearningRecord.person_id).where(pending)
    if person_id is not None:
        asking = asking.where(LearningRecord.person_id == person_id)
    above = (
        select(Person.id.label("person_id"), Person.manager_id.label("above_id"))
        .where(Person.id.in_(asking), Person.manager_id.is_not(None))
        .cte("above", recursive=True)
    )
    boss = aliased(Person)
    # UNION, not UNION ALL: a loop in the reporting line repeats pairs, which ends the climb.
    above = above.union(
        select(above.c.person_id, boss.manager_id)
        .join(boss, boss.id == above.c.above_id)
        .where(boss.manager_id.is_not(None))
    )
    in_line = exists().where(
        above.c.person_id == LearningRecord.person_id,
        above.c.above_id == LearningRecord.verified_by_id,
    )
    learner = aliased(Person)
    verifier = aliased(Person)
    why = case(
        (verifier.id.is_(None), NO_VERIFIER),
        (verifier.active.is_(False), INACTIVE),
        else_=NOT_IN_LINE,
    )
    statement = (
        select(
            LearningRecord.id.label("record_id"),
            LearningRecord.person_id,
            learner.name.label("person"),
            Activity.title.label("activity"),
            Competency.name.label("competency"),
            LearningRecord.occurred_at,
            LearningRecord.verified_by_id.label("verifier_id"),
            verifier.name.label("verifier"),
            why.label("why"),
            LearningRecord.notes,
            LearningRecord.raw,
        )
        .join(learner, learner.id == LearningRecord.person_id)
        .outerjoin(verifier, verifier.id == LearningRecord.verified_by_id)
        .outerjoin(Activity, Activity.id == LearningRecord.activity_id)
        .outerjoin(Competency, Competency.id == LearningRecord.competency_id)
        .where(
            pending,
            learner.active.is_(True),
            or_(verifier.id.is_(None), verifier.active.is_(False), ~in_line),
        )
        .order_by(learner.name, LearningRecord.occurred_at, LearningRecord.id)
    )
    if person_id is not None:
        statement = statement.where(LearningRecord.person_id == person_id)
    return statement


def _read(session: Session, statement: Select) -> pd.DataFrame:
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame(columns=STRANDED_COLUMNS)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    parts = zip(frame["activity"], frame["raw"], frame["notes"], strict=True)
    frame["what"] = [_what(activity, raw, notes) for activity, raw, notes in parts]
    frame["verifier_id"] = frame["verifier_id"].astype("Int64")
    return frame[STRANDED_COLUMNS]


def _what(activity: object, raw: object, notes: object) -> str:
    """The catalogue title, else the title the learner gave, else the record's notes."""
    if isinstance(activity, str):
        return activity
    if isinstance(raw, dict) and raw.get("title"):
        return str(raw["title"])
    return str(notes or "")


def person_stranded_requests(session: Session, viewer: Viewer, person_id: int) -> pd.DataFrame:
    """The person's pending records that no one may answer any more, oldest first:
    STRANDED_COLUMNS, `why` one of NOT_IN_LINE, INACTIVE, NO_VERIFIER."""
    ensure_can_view(session, viewer, person_id)
    return _read(session, _stranded(person_id))


def stranded_requests(session: Session, viewer: Viewer) -> pd.DataFrame:
    """Every active learner's stranded requests, by learner then oldest first, for an L&D
    admin or the operator: STRANDED_COLUMNS."""
    ensure_sees_everyone(viewer, "stranded_verification_requests")
    return _read(session, _stranded(None))
