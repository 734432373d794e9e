"""Where the mastery engine's inputs come from: the competency rules and the raw evidence rows.

One row per learning record and competency it touches. A record that names a competency is
evidence of that competency only: a rating, or, completed or passed without one (an Open Badge,
say), "at least" its activity's tag level for that competency, else the framework's proficient
level. Any other record is evidence of every competency its activity is tagged with. Declined
records are not evidence.
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
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


def competency_rules(
    session: Session,
    method: str | None = None,
    frameworks: Mapping[int, Mapping[str, Any]] | None = None,
    competencies: Mapping[int, Mapping[str, Any] | None] | None = None,
) -> CompetencyRules:
    """Every competency's scale and effective settings; `method` overrides them all.

    A preview asks for the rules a save would bring without writing anything: `frameworks`
    (settings by framework id) stand in for those frameworks' stored settings, with their
    competencies' own overrides still on top, and `competencies` (overrides by competency id)
    for those competencies' own.
    """
    rows = session.execute(
        select(
            Competency.id,
            Competency.framework_id,
            Competency.mastery_settings,
            Framework.scale_min,
            Framework.scale_max,
            Framework.proficient_level,
            Framework.scale_labels,
            Framework.mastery_settings,
        ).join(Framework, Framework.id == Competency.framework_id)
    ).all()
    proposed_frameworks, proposed_competencies = frameworks or {}, competencies or {}
    built = []
    for competency_id, owner, overrides, low, high, proficient, labels, stored in rows:
        settings = MasterySettings.merged(
            proposed_frameworks.get(owner, stored),
            proposed_competencies.get(competency_id, overrides),
        )
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


def _record_columns(records: Any = LearningRecord) -> list:
    """The record columns of an evidence row; `records`: the mapped class, or its table's
    columns for a plain Core statement."""
    return [
        records.id.label("record_id"),
        records.person_id,
        _raw(records.occurred_at, "occurred_at"),
        records.score,
        records.max_score,
        records.rating,
        type_coerce(records.passed, Integer()).label("passed"),
        type_coerce(records.completed, Integer()).label("completed"),
        _code(records.source_kind, SOURCE_KINDS, "source_kind"),
        _code(records.verification, VERIFICATIONS, "verification"),
        records.verified_by_id,
        _raw(records.valid_until, "valid_until"),
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


def read_pairs_evidence(
    session: Session, person_ids: Sequence[int], pairs: Sequence[tuple[int, int]]
) -> pd.DataFrame:
    """The rows of `raw_evidence_query(person_ids, pairs=pairs)`, the pairs' people given.

    PostgreSQL plans a list of (person, competency) row values as a filter over every record
    of the pairs' people, read twice (named, then tagged); joined to the pairs as two arrays
    instead, it looks each pair up in the person, competency and activity index and reads only
    the pairs' own records. SQLite reads the list through its indexes already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return read_raw_evidence(session, raw_evidence_query(person_ids, pairs=pairs))
    return read_raw_evidence(session, _pairs_joined_query(pairs))


def _pairs_joined_query(pairs: Sequence[tuple[int, int]]) -> Select:
    """The evidence query joined to the distinct pairs, unnested from two PostgreSQL arrays."""
    distinct = sorted(set(pairs))
    wanted = (
        func.unnest(
            bindparam("wanted_people", [p for p, _ in distinct], type_=ARRAY(BigInteger)),
            bindparam("wanted_competencies", [c for _, c in distinct], type_=ARRAY(BigInteger)),
        )
        .table_valued("person_id", "competency_id")
        .render_derived(name="wanted")
    )
    named, tagged = raw_evidence_query().selects
    return union_all(
        *(
            part.join(
                wanted,
                and_(
                    wanted.c.person_id == LearningRecord.person_id,
                    wanted.c.competency_id == competency_column,
                ),
            )
            for part, competency_column in (
                (named, LearningRecord.competency_id),
                (tagged, ActivityCompetency.competency_id),
            )
        )
    )


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
    return _typed(_fetch_columns(session, query), RAW_COLUMNS)


def _fetch_columns(session: Session, query: Select) -> dict[str, tuple]:
    """One tuple of values per column, as the driver returns them."""
    with collector_paused(), _without_jit(session):
        result = session.execute(query)
        names = list(result.keys())
        rows = result.cursor.fetchall()
        result.close()
        return dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {}


@contextmanager
def _without_jit(session: Session) -> Iterator[None]:
    """No JIT compilation for PostgreSQL evidence reads, then the transaction's setting back.

    The planner prices the bitmap heap scan of a few hundred people's records above
    `jit_above_cost`, and compiling the union's expressions then takes a second, three times
    the read itself; a read of every record gains nothing from it either. The setting comes
    back only if the read succeeds: a failed read aborts the transaction, which drops it.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    previous = connection.exec_driver_sql(
        "SELECT current_setting('jit'), set_config('jit', 'off', true)"
    ).scalar_one()
    yield
    connection.exec_driver_sql("SELECT set_config('jit', %s, true)", (previous,))


def _typed(columns: dict[str, Any], names: Sequence[str]) -> pd.DataFrame:
    data = {
        name: np.asarray(columns.get(name, ()), dtype=RAW_DTYPES[name])
        if name in RAW_DTYPES
        else pd.Series(columns.get(name, ()), dtype=object)
        for name in names
    }
    frame = pd.DataFrame(data)
    if "occurred_at" in frame:
        frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True, format="ISO8601")
        frame["valid_until"] = pd.to_datetime(frame["valid_until"], format="ISO8601")
    return frame


RECORD_COLUMNS = (
    "record_id", "person_id", "occurred_at", "score", "max_score", "rating", "passed",
    "completed", "source_kind", "verification", "verified_by_id", "valid_until",
)  # fmt: skip
"""The columns of `_record_columns`, in order."""
RECORD_DTYPES = {**RAW_DTYPES, "activity_id": "float64", "competency_id": "float64"}
"""A record's activity and competency may be missing: float, NaN for none."""


def read_people_evidence(
    session: Session,
    person_ids: Sequence[int] | None = None,
    person_range: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """The rows `read_raw_evidence(session, raw_evidence_query(person_ids, person_range=...))`
    gives, read with one pass over the people's records: records that name a competency first,
    then tagged ones (a row per tag, by competency), each in the order the database returns.

    The union query scans the records twice (once for records that name a competency, once
    for tagged ones) and joins each row to the catalogue; the roll-up reads every record of
    thousands of people, so here the records are read once, plainly, and joined in memory to
    the catalogue, which is small.
    """
    table = LearningRecord.__table__.c
    query = select(*_record_columns(table), table.activity_id, table.competency_id).where(
        table.verification != Verification.DECLINED,
        table.competency_id.is_not(None) | table.activity_id.is_not(None),
    )
    if person_ids is not None:
        query = query.where(table.person_id.in_(person_ids))
    if person_range is not None:
        query = query.where(table.person_id.between(*person_range))
    columns = _fetch_columns(session, query)
    records = {
        name: np.asarray(columns.get(name, ()), dtype=RECORD_DTYPES.get(name, object))
        for name in (*RECORD_COLUMNS, "activity_id", "competency_id")
    }
    catalogue = _Catalogue.read(session)
    named = np.flatnonzero(~np.isnan(records["competency_id"]))
    tagged, tags = catalogue.tags_of(records["activity_id"], records["competency_id"])
    parts = {name: np.concatenate([values[named], values[tagged]])
             for name, values in records.items() if name in RAW_COLUMNS}  # fmt: skip
    named_competency = records["competency_id"][named].astype(np.int64)
    named_activity = records["activity_id"][named]
    parts["competency_id"] = np.concatenate([named_competency, catalogue.tag_competency[tags]])
    parts["target_level"] = np.concatenate(
        [catalogue.named_target(named_activity, named_competency), catalogue.tag_target[tags]]
    )
    parts["tag_weight"] = np.concatenate([np.ones(len(named)), catalogue.tag_weight[tags]])
    activity = np.concatenate([named_activity, records["activity_id"][tagged]])
    parts.update(catalogue.activity_columns(activity))
    return _typed(parts, RAW_COLUMNS)


def _small_columns(session: Session, query: Select) -> dict[str, tuple]:
    """One tuple of values per column of a small read, rows processed as SQLAlchemy does."""
    result = session.execute(query)
    names = list(result.keys())
    rows = result.all()
    return dict(zip(names, zip(*rows, strict=True), strict=True)) if rows else {}


@dataclass(frozen=True)
class _Catalogue:
    """Activities, their competency tags and each competency's proficient level, as arrays."""

    activity_ids: np.ndarray
    activity_values: dict[str, np.ndarray]
    tag_activity: np.ndarray
    tag_competency: np.ndarray
    tag_target: np.ndarray
    tag_weight: np.ndarray
    competency_ids: np.ndarray
    proficient: np.ndarray

    @classmethod
    def read(cls, session: Session) -> "_Catalogue":
        activities = _small_columns(
            session,
            select(
                Activity.id,
                _code(Activity.kind, ACTIVITY_KINDS, "activity_kind"),
                _code(Activity.scoring, SCORINGS, "scoring"),
                Activity.pass_mark,
            ).order_by(Activity.id),
        )
        tags = _small_columns(
            session,
            select(
                ActivityCompetency.activity_id,
                ActivityCompetency.competency_id,
                ActivityCompetency.target_level,
                ActivityCompetency.weight,
            ).order_by(ActivityCompetency.activity_id, ActivityCompetency.competency_id),
        )
        levels = _small_columns(
            session,
            select(Competency.id, Framework.proficient_level)
            .join(Framework, Framework.id == Competency.framework_id)
            .order_by(Competency.id),
        )
        return cls(
            activity_ids=np.asarray(activities.get("id", ()), dtype=np.int64),
            activity_values={
                name: np.asarray(activities.get(name, ()), dtype=RAW_DTYPES[name])
                for name in ("activity_kind", "scoring", "pass_mark")
            },
            tag_activity=np.asarray(tags.get("activity_id", ()), dtype=np.int64),
            tag_competency=np.asarray(tags.get("competency_id", ()), dtype=np.int64),
            tag_target=np.asarray(tags.get("target_level", ()), dtype=float),
            tag_weight=np.asarray(tags.get("weight", ()), dtype=float),
            competency_ids=np.asarray(levels.get("id", ()), dtype=np.int64),
            proficient=np.asarray(levels.get("proficient_level", ()), dtype=float),
        )

    def tags_of(
        self, activity_ids: np.ndarray, competency_ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For records that name no competency, one (record, tag) pair per tag of their
        activity, records in order and each record's tags by competency: positions of both."""
        candidates = np.flatnonzero(np.isnan(competency_ids) & ~np.isnan(activity_ids))
        activity = activity_ids[candidates]
        first = np.searchsorted(self.tag_activity, activity, side="left")
        counts = np.searchsorted(self.tag_activity, activity, side="right") - first
        records = np.repeat(candidates, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return records, np.repeat(first, counts) + offsets

    def named_target(self, activity_ids: np.ndarray, competency_ids: np.ndarray) -> np.ndarray:
        """The activity's tag level for the named competency, else the proficient level."""
        tag_keys = pd.MultiIndex.from_arrays([self.tag_activity, self.tag_competency])
        wanted = pd.MultiIndex.from_arrays(
            [np.nan_to_num(activity_ids, nan=-1).astype(np.int64), competency_ids]
        )
        found = tag_keys.get_indexer(wanted)
        proficient = self.proficient[np.searchsorted(self.competency_ids, competency_ids)]
        return np.where(found >= 0, np.append(self.tag_target, np.nan)[found], proficient)

    def activity_columns(self, activity_ids: np.ndarray) -> dict[str, np.ndarray]:
        """Kind and scoring codes (-1 without an activity) and pass mark (NaN) per row."""
        ids = np.nan_to_num(activity_ids, nan=-1).astype(np.int64)
        found = pd.Index(self.activity_ids).get_indexer(ids)
        missing = {"activity_kind": -1, "scoring": -1, "pass_mark": np.nan}
        return {
            name: np.append(values, missing[name]).astype(RAW_DTYPES[name])[found]
            for name, values in self.activity_values.items()
        }
