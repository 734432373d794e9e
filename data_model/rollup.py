"""Materialised mastery: the `mastery` table, kept equal to what the engine computes.

`recompute_all` rebuilds it (after a settings change, or nightly so that support keeps fading
on time); `refresh_pairs` recomputes only the person x competency pairs that an import or an
undo touched. Both run the same engine path, so incremental and full give identical rows.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from data_model.bulk import collector_paused
from data_model.database import serialise_writers
from data_model.evidence_source import (
    competency_rules,
    raw_evidence_query,
    read_pairs_evidence,
    read_people_evidence,
    read_raw_evidence,
)
from data_model.mastery import PAIR, CompetencyRules, read_evidence, roll_up, weigh
from data_model.mastery_store import MasteryWriter
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


def recompute_all(
    engine: Engine, as_of: datetime | None = None, progress: Progress = _no_progress
) -> RollupSummary:
    """Rebuild the whole table in one transaction, people in chunks to bound memory.

    "Now" is read once the writers' lock is held: a recompute that waited for an attestation
    made meanwhile must not date itself before that record and so leave it out.
    """
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        as_of = as_of or datetime.now(UTC)
        computed_at = datetime.now(UTC)
        rules = competency_rules(session)
        writer = MasteryWriter.for_session(session)
        people = session.scalars(select(Person.id).order_by(Person.id)).all()
        session.execute(delete(MasteryScore))
        pairs = 0
        for start in range(0, len(people), PEOPLE_PER_CHUNK):
            chunk = people[start : start + PEOPLE_PER_CHUNK]
            with collector_paused():
                raw = read_people_evidence(session, person_range=(chunk[0], chunk[-1]))
                evidence = read_evidence(raw)
                result = roll_up(weigh(evidence, rules, as_of), rules)
                rows = writer.rows(result, as_of, computed_at)
                writer.insert(session, rows)
            pairs += len(rows)
            done = min(len(people), start + PEOPLE_PER_CHUNK)
            progress(done / max(1, len(people)), f"{done:,} of {len(people):,} people")
    return RollupSummary(people=len(people), pairs=pairs, as_of=as_of)


PEOPLE_PER_REFRESH = 400
PAIRS_PER_FILTER = 2000


def _wanted(pairs: Iterable[tuple[int, int]]) -> pd.DataFrame:
    """The distinct pairs, sorted by person then competency."""
    distinct = np.array(sorted(set(pairs)), dtype=np.int64).reshape(-1, 2)
    return pd.DataFrame({"person_id": distinct[:, 0], "competency_id": distinct[:, 1]})


def _group_evidence(session: Session, people: list[int], keys: pd.DataFrame) -> pd.DataFrame:
    """A group with few pairs reads only those pairs' evidence; a group with many (a big
    import) reads its people's evidence whole, which is cheaper than a filter with thousands
    of terms, and by id range when the people are consecutive, which SQLite scans faster."""
    if len(keys) <= PAIRS_PER_FILTER:
        pairs = list(zip(keys["person_id"].tolist(), keys["competency_id"].tolist(), strict=True))
        return read_pairs_evidence(session, people, pairs)
    if people[-1] - people[0] + 1 == len(people):
        return read_people_evidence(session, person_range=(people[0], people[-1]))
    return read_people_evidence(session, people)


def refresh_pairs(
    session: Session, pairs: Iterable[tuple[int, int]], as_of: datetime | None = None
) -> int:
    """Recompute just these (person, competency) pairs inside the caller's transaction.

    People are taken a few hundred at a time: their pairs' rows are deleted (a pair without
    evidence any more keeps no row) and the engine's result for those pairs inserted.
    """
    wanted = _wanted(pairs)
    if wanted.empty:
        return 0
    as_of = as_of or datetime.now(UTC)
    computed_at = datetime.now(UTC)
    rules = competency_rules(session)
    writer = MasteryWriter.for_session(session)
    person_column = wanted["person_id"].to_numpy()
    people = np.unique(person_column).tolist()
    written = 0
    for start in range(0, len(people), PEOPLE_PER_REFRESH):
        group = people[start : start + PEOPLE_PER_REFRESH]
        first = np.searchsorted(person_column, group[0], side="left")
        end = np.searchsorted(person_column, group[-1], side="right")
        keys = wanted.iloc[first:end]
        with collector_paused():
            evidence = read_evidence(_group_evidence(session, group, keys))
            result = roll_up(weigh(evidence, rules, as_of), rules).merge(keys, on=PAIR)
            writer.delete_pairs(session, keys["person_id"].tolist(), keys["competency_id"].tolist())
            rows = writer.rows(result, as_of, computed_at)
            writer.insert(session, rows)
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
