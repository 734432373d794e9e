"""The reliability tests' common check: the materialised mastery equals a full recompute."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.models import MasteryScore
from data_model.rollup import recompute_all


def mastery_rows(engine: Engine) -> dict[tuple[int, int], tuple]:
    with Session(engine) as session:
        return {
            (m.person_id, m.competency_id): (
                m.method, m.evidence_count, m.last_evidence_at, m.mastery, m.support,
            )
            for m in session.scalars(select(MasteryScore))
        }  # fmt: skip


def assert_agrees_with_full_recompute(engine: Engine) -> None:
    """The stored table against a fresh full roll-up. Weights fade with time, so the seconds
    between the two are allowed for in the numbers; the rest must be equal."""
    stored = mastery_rows(engine)
    recompute_all(engine, as_of=datetime.now(UTC))
    full = mastery_rows(engine)
    assert stored.keys() == full.keys()
    for pair, row in full.items():
        assert stored[pair][:3] == row[:3], pair
        assert stored[pair][3:] == pytest.approx(row[3:], rel=1e-4, nan_ok=True), pair
