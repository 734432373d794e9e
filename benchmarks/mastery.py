"""Mastery benchmarks: full roll-up against a plain read of the same records, an incremental
update after 1,000 new records, one person's mastery, and a team of ten."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from benchmarks.measure import best_of, timed
from data_model.access import OPERATOR
from data_model.models import Competency, LearningRecord, Person, SourceKind
from data_model.queries.mastery import people_mastery, person_mastery
from data_model.rollup import pairs_of_records, recompute_all, refresh_pairs

BASELINE_QUERY = text(
    "SELECT id, person_id, activity_id, competency_id, occurred_at, score, max_score, rating, "
    "passed, completed, source_kind, verification, verified_by_id, valid_until "
    "FROM learning_records"
)
"""The baseline: the record columns the roll-up needs, read into pandas and nothing more."""


def rollup_full(engine: Engine, runs: int = 2) -> dict[str, float]:
    """Best of `runs` for both, alternating, so that a noisy neighbour hurts neither alone."""
    baseline, full = [], []
    for _ in range(runs):
        baseline.append(timed(lambda: pd.read_sql(BASELINE_QUERY, engine))[0])
        full.append(timed(lambda: recompute_all(engine))[0])
    return {"rollup_full_s": min(full), "rollup_baseline_read_sql_s": min(baseline)}


def rollup_incremental(engine: Engine, records: int = 1000, seed: int = 1) -> float:
    """Seconds to refresh mastery after `records` new attestations arrive in one batch."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        people = session.scalars(select(Person.id)).all()
        competencies = session.scalars(select(Competency.id)).all()
        rows = [
            {
                "dedupe_key": f"bench-{now.timestamp()}-{n}",
                "person_id": int(rng.choice(people)),
                "competency_id": int(rng.choice(competencies)),
                "rating": float(rng.integers(0, 11)) / 2,
                "occurred_at": now - timedelta(days=int(rng.integers(0, 30))),
                "source_kind": SourceKind.ATTESTATION,
                "verification": "not_needed",
                "notes": "benchmark",
                "created_at": now,
            }
            for n in range(records)
        ]
        ids = (
            session.execute(
                LearningRecord.__table__.insert().returning(LearningRecord.__table__.c.id), rows
            )
            .scalars()
            .all()
        )
        seconds, _ = timed(lambda: refresh_pairs(session, pairs_of_records(session, ids)))
    return seconds


def reads(engine: Engine, runs: int = 5) -> dict[str, float]:
    """Warm reads: one person over all competencies, and a manager's ten reports."""
    with Session(engine) as session:
        busiest = session.execute(
            text("SELECT manager_id FROM people WHERE manager_id IS NOT NULL "
                 "GROUP BY manager_id HAVING count(*) >= 10 ORDER BY manager_id LIMIT 1")
        ).scalar_one()  # fmt: skip
        team = session.scalars(
            select(Person.id).where(Person.manager_id == busiest).order_by(Person.id).limit(10)
        ).all()
        person = team[0]
        one = best_of(runs, lambda: person_mastery(session, OPERATOR, person))
        ten = best_of(runs, lambda: people_mastery(session, OPERATOR, list(team)))
    return {"person_mastery_s": one, "team10_s": ten}
