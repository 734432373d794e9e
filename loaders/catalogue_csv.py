"""The activity catalogue as CSV: activity id, optional xAPI IRI, title, kind, formal,
provider, hours, url, pass mark, scoring (`pass` or `graded`, default by kind) and
competencies as `CODE:LEVEL;CODE:LEVEL`. Activities are matched by id and updated in place;
their competency tags are replaced by the file's."""

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from data_model.database import upsert_insert
from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    LearningRecord,
    Scoring,
)
from data_model.rollup import refresh_pairs
from loaders.csv_stream import read_rows
from loaders.fields import Number, YesNo, blank_to_none, limited, rejected_for
from loaders.pipeline import ImportSummary, check_size, finish_batch, keep_rejected, open_batch
from loaders.record_input import RowRejected

REQUIRED = {"activity_id", "title", "kind"}
MAX_CATALOGUE_BYTES = 200 * 1024**2
INFORMAL_KINDS = {ActivityKind.PROJECT, ActivityKind.MENTORING, ActivityKind.STRETCH_ASSIGNMENT,
                  ActivityKind.PORTFOLIO, ActivityKind.PEER_REVIEW}  # fmt: skip


def parse_tags(text: str | None) -> dict[str, float]:
    """`SQL:3;STATS:2.5` -> {"SQL": 3.0, "STATS": 2.5}."""
    tags: dict[str, float] = {}
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        code, sep, level = part.rpartition(":")
        if not sep or not code.strip():
            raise ValueError(f"'{part.strip()}' is not CODE:LEVEL")
        tags[code.strip()] = float(level)
    return tags


def _lowercase(value: object) -> object:
    value = blank_to_none(value)
    return value.lower() if isinstance(value, str) else value


class CatalogueRow(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    activity_id: Annotated[str, limited(256, "activity id")]
    xapi_iri: Annotated[str | None, limited(2048, "xAPI IRI")] = None
    title: Annotated[str, limited(512, "title", line=True)]
    kind: Annotated[ActivityKind, BeforeValidator(_lowercase)]
    formal: YesNo = None
    provider: Annotated[str | None, limited(256, "provider", line=True)] = None
    hours: Number = None
    url: Annotated[str | None, limited(2048, "url")] = None
    pass_mark: Number = None
    scoring: Annotated[Scoring | None, BeforeValidator(blank_to_none)] = None
    competencies: Annotated[dict[str, float], BeforeValidator(parse_tags)] = {}

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: float | None) -> float | None:
        if value is not None and value < 0:
            raise ValueError("hours cannot be negative")
        return value

    @field_validator("pass_mark")
    @classmethod
    def _pass_mark(cls, value: float | None) -> float | None:
        if value is not None and value > 1:
            value = value / 100
        if value is not None and not 0 < value <= 1:
            raise ValueError("pass_mark must be a share (0.7) or a percentage (70)")
        return value


def import_catalogue(
    engine: Engine,
    path: Path,
    imported_by: str = "operator",
    mapping: dict[str, str] | None = None,
) -> ImportSummary:
    """Validate every row (unknown competency codes reject the row) and upsert the rest."""
    check_size(path, MAX_CATALOGUE_BYTES)
    summary = ImportSummary(kind="catalog")
    with Session(engine) as session, session.begin():
        batch = open_batch(session, "catalog", path, imported_by)
        codes = dict(session.execute(select(Competency.code, Competency.id)).all())
        valid: dict[str, CatalogueRow] = {}
        with path.open("rb") as handle:
            for number, row in read_rows(handle, path.name, REQUIRED, mapping):
                summary.rows += 1
                try:
                    activity = CatalogueRow.model_validate(row)
                except ValidationError as error:
                    keep_rejected(session, batch, summary, rejected_for(number, row, error))
                    continue
                unknown = sorted(set(activity.competencies) - set(codes))
                if unknown:
                    reason = f"No competency has the code {', '.join(unknown)}."
                    keep_rejected(session, batch, summary,
                                  RowRejected(number, row, "competencies", reason))  # fmt: skip
                    continue
                valid[activity.activity_id] = activity
        _upsert(session, list(valid.values()), codes)
        summary.loaded = len(valid)
        finish_batch(session, batch, summary)
    return summary


def _upsert(session: Session, activities: list[CatalogueRow], codes: dict[str, int]) -> None:
    if not activities:
        return
    rows = [
        {
            "external_id": a.activity_id, "xapi_iri": a.xapi_iri, "title": a.title,
            "kind": a.kind,
            "formal": a.formal if a.formal is not None else a.kind not in INFORMAL_KINDS,
            "provider": a.provider, "hours": a.hours, "url": a.url, "pass_mark": a.pass_mark,
            "scoring": a.scoring, "description": "",
        }
        for a in activities
    ]  # fmt: skip
    statement = upsert_insert(session, Activity.__table__)
    updated = {name: statement.excluded[name] for name in rows[0] if name != "external_id"}
    session.execute(
        statement.on_conflict_do_update(index_elements=["external_id"], set_=updated), rows
    )
    ids = dict(session.execute(select(Activity.external_id, Activity.id)).all())
    touched = [ids[a.activity_id] for a in activities]
    old_tags = set(session.execute(
        select(ActivityCompetency.activity_id, ActivityCompetency.competency_id)
        .where(ActivityCompetency.activity_id.in_(touched))
    ).all())  # fmt: skip
    session.execute(delete(ActivityCompetency).where(ActivityCompetency.activity_id.in_(touched)))
    tags = [
        {"activity_id": ids[a.activity_id], "competency_id": codes[code],
         "target_level": level, "weight": 1.0}
        for a in activities
        for code, level in a.competencies.items()
    ]  # fmt: skip
    if tags:
        session.execute(insert(ActivityCompetency), tags)
    _refresh_evidence_of(session, old_tags | {(t["activity_id"], t["competency_id"]) for t in tags})


def _refresh_evidence_of(session: Session, tags: set[tuple[int, int]]) -> None:
    """Re-tagging an activity changes the mastery of everyone with a record of it."""
    by_activity: dict[int, set[int]] = {}
    for activity_id, competency_id in tags:
        by_activity.setdefault(activity_id, set()).add(competency_id)
    if not by_activity:
        return
    learners = session.execute(
        select(LearningRecord.person_id, LearningRecord.activity_id)
        .where(LearningRecord.activity_id.in_(list(by_activity)))
        .distinct()
    ).all()
    refresh_pairs(session, {(person, competency) for person, activity in learners
                            for competency in by_activity[activity]})  # fmt: skip
