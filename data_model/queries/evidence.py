"""What counts as evidence, in one place for every read model.

A record that a reviewer declined is not evidence and is left out of every count. A record that
rates a competency directly (`competency_id` set) is evidence of that competency only, and is
informal; any other record is evidence of each competency its activity is tagged with, formal
when the activity is. An activity record shows the tag's target level once it is completed or
passed; a direct rating shows its rating.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    case,
    false,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from data_model.models import Activity, ActivityCompetency, LearningRecord, Verification

COUNTS_AS_EVIDENCE = LearningRecord.verification != Verification.DECLINED


def occurred_since(now: datetime, days: int) -> ColumnElement[bool]:
    return LearningRecord.occurred_at >= now - timedelta(days=days)


def count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet `condition`: 0, not NULL, when none do."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def evidence_by_competency() -> Subquery:
    """One row per record and competency it is evidence of, declined records left out."""
    direct = select(
        LearningRecord.id.label("record_id"),
        LearningRecord.person_id,
        LearningRecord.competency_id,
        false().label("formal"),
        LearningRecord.rating.label("level"),
        LearningRecord.occurred_at,
        LearningRecord.verification,
    ).where(LearningRecord.competency_id.is_not(None), COUNTS_AS_EVIDENCE)
    shown = or_(LearningRecord.completed.is_(True), LearningRecord.passed.is_(True))
    through_activity = (
        select(
            LearningRecord.id,
            LearningRecord.person_id,
            ActivityCompetency.competency_id,
            Activity.formal,
            case((shown, ActivityCompetency.target_level)),
            LearningRecord.occurred_at,
            LearningRecord.verification,
        )
        .join(Activity, Activity.id == LearningRecord.activity_id)
        .join(ActivityCompetency, ActivityCompetency.activity_id == Activity.id)
        .where(LearningRecord.competency_id.is_(None), COUNTS_AS_EVIDENCE)
    )
    return union_all(direct, through_activity).subquery("evidence")


def record_stats(now: datetime, windows: Mapping[str, int]) -> Select[Any]:
    """Per person: records, last evidence, pending, and one count per window of days back."""
    return (
        select(
            LearningRecord.person_id,
            func.count(LearningRecord.id).label("records"),
            func.max(LearningRecord.occurred_at).label("last_evidence"),
            count_where(LearningRecord.verification == Verification.PENDING).label("pending"),
            *(count_where(occurred_since(now, days)).label(name) for name, days in windows.items()),
        )
        .where(COUNTS_AS_EVIDENCE)
        .group_by(LearningRecord.person_id)
    )


def read_frame(session: Session, statement: Select[Any]) -> pd.DataFrame:
    """Run `statement` in the session's transaction; column names are the select's labels."""
    return pd.read_sql(statement, session.connection())
