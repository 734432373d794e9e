"""Where the mastery engine's inputs come from: the competency rules and the raw evidence rows.

One row per learning record and competency it touches. A record that names a competency is
evidence of that competency only: a rating, or, completed or passed without one (an Open Badge,
say), "at least" its activity's tag level for that competency, else the framework's proficient
level. Any other record is evidence of every competency its activity is tagged with. Declined
records are not evidence.
"""

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from data_model.bulk import collector_paused
from data_model.mastery import (
    ACTIVITY_KINDS,
    SCORINGS,
    SOURCE_KINDS,
    VERIFICATIONS,
    CompetencyRules,
)
from data_model.mastery_settings import MasterySettings
from data_model.models import (
    Activity,
    ActivityCompetency,
    Competency,
    Framework,
    LearningRecord,
    Verification,
)

RAW_COLUMNS = (
    "record_id", "person_id", "competency_id", "occurred_at", "score", "max_score", "rating",
    "passed", "completed", "source_kind", "verification", "verified_by_id", "valid_until",
    "target_level", "tag_weight", "activity_kind", "scoring", "pass_mark",
)  # fmt: skip


def competency_rules(session: Session, method: str | None = None) -> CompetencyRules:
    """Every competency's scale and effective settings; `method` overrides them all."""
    rows = session.execute(
        select(
            Competency.id,
            Competency.mastery_settings,
            Framework.scale_min,
            Framework.scale_max,
            Framework.proficient_level,
            Framework.scale_labels,
            Framework.mastery_settings,
        ).join(Framework, Framework.id == Competency.framework_id)
    ).all()
    built = []
    for competency_id, overrides, low, high, proficient, labels, framework_settings in rows:
        settings = MasterySettings.merged(framework_settings, overrides)
        if method:
            settings = settings.model_copy(update={"method": method})
        built.append(
            {"competency_id": competency_id, "scale_min": low, "scale_max": high,
             "proficient": proficient, "labels": labels, "settings": settings}
        )  # fmt: skip
    return CompetencyRules.build(built)


def _raw(column: ColumnElement, name: str) -> ColumnElement:
    """The column as the driver returns it: no per-row conversion in Python."""
    return type_coerce(column, String()).label(name)


def _code(column: ColumnElement, vocabulary: list, name: str) -> ColumnElement:
    """The vocabulary column as its integer code (see `mastery.vocabulary_codes`), -1 if NULL."""
    return case(
        {member.value: code for code, member in enumerate(vocabulary)},
        value=type_coerce(column, String()),
        else_=-1,
    ).label(name)


def _record_columns() -> list:
    return [
        LearningRecord.id.label("record_id"),
        LearningRecord.person_id,
        _raw(LearningRecord.occurred_at, "occurred_at"),
        LearningRecord.score,
        LearningRecord.max_score,
        LearningRecord.rating,
        type_coerce(LearningRecord.passed, Integer()).label("passed"),
        type_coerce(LearningRecord.completed, Integer()).label("completed"),
        _code(LearningRecord.source_kind, SOURCE_KINDS, "source_kind"),
        _code(LearningRecord.verification, VERIFICATIONS, "verification"),
        LearningRecord.verified_by_id,
        _raw(LearningRecord.valid_until, "valid_until"),
    ]


def raw_evidence_query(
    person_ids: Select | Iterable[int] | None = None,
    competency_id: int | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
    person_range: tuple[int, int] | None = None,
) -> Select:
    """The raw evidence rows, optionally for some people (by id, or an inclusive id range,
    which SQLite scans faster than a long IN list), one competency, or just these (person,
    competency) pairs; give the pairs' people too, so the person index is used."""
    activity_columns = [
        _code(Activity.kind, ACTIVITY_KINDS, "activity_kind"),
        _code(Activity.scoring, SCORINGS, "scoring"),
        Activity.pass_mark,
    ]
    named = (
        select(
            *_record_columns(),
            LearningRecord.competency_id.label("competency_id"),
            func.coalesce(
                ActivityCompetency.target_level,
                type_coerce(Framework.proficient_level, Float()),
            ).label("target_level"),
            literal(1.0).label("tag_weight"),
            *activity_columns,
        )
        .join(Competency, Competency.id == LearningRecord.competency_id)
        .join(Framework, Framework.id == Competency.framework_id)
        .outerjoin(Activity, Activity.id == LearningRecord.activity_id)
        .outerjoin(
            ActivityCompetency,
            and_(
                ActivityCompetency.activity_id == LearningRecord.activity_id,
                ActivityCompetency.competency_id == LearningRecord.competency_id,
            ),
        )
        .where(LearningRecord.competency_id.is_not(None))
    )
    tagged = (
        select(
            *_record_columns(),
            ActivityCompetency.competency_id.label("competency_id"),
            ActivityCompetency.target_level,
            ActivityCompetency.weight.label("tag_weight"),
            *activity_columns,
        )
        .join(Activity, Activity.id == LearningRecord.activity_id)
        .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
        .where(LearningRecord.competency_id.is_(None))
    )
    parts = []
    for part, competency_column in (
        (named, LearningRecord.competency_id),
        (tagged, ActivityCompetency.competency_id),
    ):
        part = part.where(LearningRecord.verification != Verification.DECLINED)
        if person_ids is not None:
            part = part.where(LearningRecord.person_id.in_(person_ids))
        if person_range is not None:
            part = part.where(LearningRecord.person_id.between(*person_range))
        if competency_id is not None:
            part = part.where(competency_column == competency_id)
        if pairs is not None:
            part = part.where(tuple_(LearningRecord.person_id, competency_column).in_(pairs))
        parts.append(part)
    return union_all(*parts)


RAW_DTYPES = {
    "record_id": "int64", "person_id": "int64", "competency_id": "int64",
    "score": "float64", "max_score": "float64", "rating": "float64",
    "passed": "float64", "completed": "float64", "source_kind": "int64",
    "verification": "int64", "verified_by_id": "float64", "target_level": "float64",
    "tag_weight": "float64", "activity_kind": "int64", "scoring": "int64",
    "pass_mark": "float64",
}  # fmt: skip
"""Every numeric column's type; booleans are 1.0, 0.0 or NaN, ids that may be missing float."""


def read_raw_evidence(session: Session, query: Select) -> pd.DataFrame:
    """Run an evidence query into a DataFrame, building each column with its known type.

    Rows are read as the driver returns them, straight from the cursor, and turned into typed
    columns at once: per-row processing, or letting pandas guess each column's type, costs
    more than the query itself at a million rows.
    """
    with collector_paused():
        result = session.execute(query)
        names = list(result.keys())
        rows = result.cursor.fetchall()
        result.close()
        columns = dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {}
    data = {
        name: np.array(columns.get(name, ()), dtype=RAW_DTYPES[name])
        if name in RAW_DTYPES
        else pd.Series(columns.get(name, ()), dtype=object)
        for name in RAW_COLUMNS
    }
    frame = pd.DataFrame(data)
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601")
    frame["valid_until"] = pd.to_datetime(frame["valid_until"], format="ISO8601")
    return frame
