"""Materialised mastery: the `mastery` table, kept equal to what the engine computes.

`recompute_all` rebuilds it (after a settings change, or nightly so that support keeps fading
on time); `refresh_pairs` recomputes only the person x competency pairs that an import or an
undo touched. Both run the same engine path, so incremental and full give identical rows.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from data_model.bulk import collector_paused
from data_model.database import serialise_writers
from data_model.evidence_source import competency_rules, raw_evidence_query, read_raw_evidence
from data_model.mastery import PAIR, CompetencyRules, read_evidence, roll_up, weigh
from data_model.models import ActivityCompetency, LearningRecord, MasteryScore, Person

PEOPLE_PER_CHUNK = 2500
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class RollupSummary:
    people: int
    pairs: int
    as_of: datetime


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def compute_mastery(
    session: Session, rules: CompetencyRules, as_of: datetime, person_ids: Iterable[int]
) -> pd.DataFrame:
    """The engine's result for these people, one row per person and competency."""
    raw = read_raw_evidence(session, raw_evidence_query(list(person_ids)))
    return roll_up(weigh(read_evidence(raw), rules, as_of), rules)


ROW_COLUMNS = [
    *PAIR, "method", "mastery", "support", "confidence", "evidence_count",
    "last_evidence_at", "p_levels", "support_levels",
]  # fmt: skip


def _rows(result: pd.DataFrame, as_of: datetime, computed_at: datetime) -> list[dict]:
    """Insert parameters, built column-wise: `to_dict("records")` is slower at this size."""
    columns = {name: result[name].tolist() for name in ROW_COLUMNS if name != "last_evidence_at"}
    columns["mastery"] = [None if value != value else value for value in columns["mastery"]]
    columns["last_evidence_at"] = [value.to_pydatetime() for value in result["last_evidence_at"]]
    names = list(columns)
    return [
        {**dict(zip(names, values, strict=True)), "as_of": as_of, "computed_at": computed_at}
        for values in zip(*columns.values(), strict=True)
    ]


def recompute_all(
    engine: Engine, as_of: datetime | None = None, progress: Progress = _no_progress
) -> RollupSummary:
    """Rebuild the whole table in one transaction, people in chunks to bound memory."""
    as_of = as_of or datetime.now(UTC)
    computed_at = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        rules = competency_rules(session)
        people = session.scalars(select(Person.id).order_by(Person.id)).all()
        session.execute(delete(MasteryScore))
        pairs = 0
        for start in range(0, len(people), PEOPLE_PER_CHUNK):
            chunk = people[start : start + PEOPLE_PER_CHUNK]
            with collector_paused():
                query = raw_evidence_query(person_range=(chunk[0], chunk[-1]))
                evidence = read_evidence(read_raw_evidence(session, query))
                result = roll_up(weigh(evidence, rules, as_of), rules)
                rows = _rows(result, as_of, computed_at)
                if rows:
                    session.connection().execute(insert(MasteryScore.__table__), rows)
            pairs += len(rows)
            done = min(len(people), start + PEOPLE_PER_CHUNK)
            progress(done / max(1, len(people)), f"{done:,} of {len(people):,} people")
    return RollupSummary(people=len(people), pairs=pairs, as_of=as_of)


PEOPLE_PER_REFRESH = 400
PAIRS_PER_FILTER = 2000


def refresh_pairs(
    session: Session, pairs: Iterable[tuple[int, int]], as_of: datetime | None = None
) -> int:
    """Recompute just these (person, competency) pairs inside the caller's transaction.

    People are taken a few hundred at a time; a group with few pairs reads only those pairs'
    evidence, a group with many (a big import) reads its people's evidence whole, which is
    cheaper than a filter with thousands of terms.
    """
    wanted = pd.DataFrame(sorted(set(pairs)), columns=PAIR)
    if wanted.empty:
        return 0
    as_of = as_of or datetime.now(UTC)
    computed_at = datetime.now(UTC)
    rules = competency_rules(session)
    people = wanted["person_id"].unique().tolist()
    written = 0
    for start in range(0, len(people), PEOPLE_PER_REFRESH):
        group = people[start : start + PEOPLE_PER_REFRESH]
        keys = wanted[wanted["person_id"].isin(group)]
        pairs_filter = [(int(p), int(c)) for p, c in keys.itertuples(index=False)]
        with collector_paused():
            query = raw_evidence_query(
                group, pairs=pairs_filter if len(pairs_filter) <= PAIRS_PER_FILTER else None
            )
            evidence = read_evidence(read_raw_evidence(session, query))
            result = roll_up(weigh(evidence, rules, as_of), rules).merge(keys, on=PAIR)
            for offset in range(0, len(pairs_filter), 500):
                session.execute(
                    delete(MasteryScore).where(
                        tuple_(MasteryScore.person_id, MasteryScore.competency_id).in_(
                            pairs_filter[offset : offset + 500]
                        )
                    )
                )
            rows = _rows(result, as_of, computed_at)
            if rows:
                session.connection().execute(insert(MasteryScore.__table__), rows)
        written += len(rows)
    return written


def pairs_of_records(session: Session, record_ids: Iterable[int]) -> set[tuple[int, int]]:
    """The (person, competency) pairs that these records give evidence for."""
    ids = list(record_ids)
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(ids), 900):
        part = ids[start : start + 900]
        named = select(LearningRecord.person_id, LearningRecord.competency_id).where(
            LearningRecord.id.in_(part), LearningRecord.competency_id.is_not(None)
        )
        tagged = (
            select(LearningRecord.person_id, ActivityCompetency.competency_id)
            .join(ActivityCompetency, ActivityCompetency.activity_id == LearningRecord.activity_id)
            .where(LearningRecord.id.in_(part), LearningRecord.competency_id.is_(None))
        )
        pairs |= {(p, c) for p, c in session.execute(named.union(tagged)).all()}
    return pairs


def materialised_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(MasteryScore)) or 0
