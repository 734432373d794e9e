"""Where the mastery engine's inputs come from: the competency rules and the raw evidence rows.

One row per learning record and competency it touches. A record that names a competency is
evidence of that competency only (a rating, or its activity's tag for that competency); any
other record is evidence of every competency its activity is tagged with. Declined records are
not evidence.
"""

from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    literal,
    select,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

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
) -> Select:
    """The raw evidence rows, optionally for some people, one competency, or just these
    (person, competency) pairs; give the pairs' people too, so the person index is used."""
    activity_columns = [
        _code(Activity.kind, ACTIVITY_KINDS, "activity_kind"),
        _code(Activity.scoring, SCORINGS, "scoring"),
        Activity.pass_mark,
    ]
    named = (
        select(
            *_record_columns(),
            LearningRecord.competency_id.label("competency_id"),
            ActivityCompetency.target_level,
            literal(1.0).label("tag_weight"),
            *activity_columns,
        )
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
        if competency_id is not None:
            part = part.where(competency_column == competency_id)
        if pairs is not None:
            part = part.where(tuple_(LearningRecord.person_id, competency_column).in_(pairs))
        parts.append(part)
    return union_all(*parts)


def read_raw_evidence(session: Session, query: Select) -> pd.DataFrame:
    """Run an evidence query into a DataFrame, converting whole columns at once.

    Rows are read as the driver returns them (`pd.read_sql`) and converted column by column:
    per-row type processing costs more than the query itself at a million rows.
    """
    frame = pd.read_sql(query, session.connection())
    if frame.empty:
        frame = pd.DataFrame(columns=list(RAW_COLUMNS))
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601")
    frame["valid_until"] = pd.to_datetime(frame["valid_until"], format="ISO8601")
    for column in ("passed", "completed"):
        frame[column] = frame[column].astype("boolean")
    return frame
