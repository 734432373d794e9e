"""The roll-up's one-pass evidence read gives exactly the rows of the evidence query."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from data_model.database import create_database_engine, migrate_to_head
from data_model.evidence_source import (
    RAW_COLUMNS,
    raw_evidence_query,
    read_pairs_evidence,
    read_people_evidence,
    read_raw_evidence,
)
from data_model.models import (
    Activity,
    ActivityCompetency,
    ActivityKind,
    Competency,
    LearningRecord,
    Person,
    Scoring,
    SourceKind,
    Verification,
)
from loaders.demo import seed_demo_organisation

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def _edge_cases(engine: Engine) -> list[int]:
    """Records of every shape beside the demo's; returns the people they belong to."""
    with Session(engine) as session, session.begin():
        people = session.scalars(select(Person.id).order_by(Person.id).limit(3)).all()
        first, second, third = session.scalars(
            select(Competency.id).order_by(Competency.id).limit(3)
        ).all()
        tagged = Activity(
            external_id="edge-tagged", title="Tagged twice", kind=ActivityKind.ASSESSMENT,
            formal=True, scoring=Scoring.PASS, pass_mark=0.6,
            tags=[ActivityCompetency(competency_id=third, target_level=4.0, weight=0.5),
                  ActivityCompetency(competency_id=first, target_level=2.0, weight=1.5)],
        )  # fmt: skip
        untagged = Activity(external_id="edge-untagged", title="No tags",
                            kind=ActivityKind.PROJECT, formal=False)  # fmt: skip
        session.add_all([tagged, untagged])
        session.flush()
        shapes = [
            {"activity_id": tagged.id, "score": 7.0, "max_score": 10.0},
            {"activity_id": tagged.id, "competency_id": first, "completed": True},
            {"activity_id": tagged.id, "competency_id": second, "rating": 3.0},
            {"activity_id": untagged.id, "competency_id": second, "passed": False},
            {"activity_id": untagged.id, "completed": True},
            {"competency_id": third, "completed": True, "valid_until": date(2027, 1, 1)},
            {"competency_id": first, "rating": 4.0, "verification": Verification.DECLINED},
            {"competency_id": first, "rating": 2.5, "verification": Verification.VERIFIED,
             "verified_by_id": people[1]},
        ]  # fmt: skip
        for n, shape in enumerate(shapes):
            session.add(
                LearningRecord(
                    dedupe_key=f"edge-{n}", person_id=people[n % 3],
                    occurred_at=NOW - timedelta(days=n), source_kind=SourceKind.ASSESSMENT, **shape,
                )
            )  # fmt: skip
        return list(people)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["record_id", "competency_id"]).reset_index(drop=True)


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    seed_demo_organisation(engine, people=40, records_per_person=12, seed=7, today=NOW.date())
    _edge_cases(engine)
    return engine


def test_one_pass_read_equals_the_evidence_query(seeded: Engine) -> None:
    with Session(seeded) as session:
        people = session.scalars(select(Person.id).order_by(Person.id)).all()
        some = people[::3]
        for ids, person_range in ((people, None), (some, None), (None, (people[2], people[9]))):
            expected = read_raw_evidence(
                session, raw_evidence_query(ids, person_range=person_range)
            )
            got = read_people_evidence(session, ids, person_range=person_range)
            assert len(expected) > 0
            pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_exact=True)


def test_one_pass_read_covers_each_shape_of_record(seeded: Engine) -> None:
    """The edge records give one row per named competency and per tag, none when declined or
    without a competency or tag, and the tag's level wins over the proficient level."""
    with Session(seeded) as session:
        edge = session.scalars(
            select(LearningRecord.id).where(LearningRecord.dedupe_key.like("edge-%"))
        ).all()
        people = session.scalars(select(Person.id).order_by(Person.id).limit(3)).all()
        frame = read_people_evidence(session, list(people))
    rows = frame[frame["record_id"].isin(edge)].sort_values(["record_id", "competency_id"])
    assert rows["record_id"].value_counts().sort_index().tolist() == [2, 1, 1, 1, 1, 1]
    assert sorted(rows["tag_weight"].tolist()) == [0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5]
    assert rows["target_level"].tolist().count(2.0) == 2
    assert 4.0 in rows["target_level"].tolist()
    assert rows["valid_until"].notna().sum() == 1


def test_no_people_no_rows(seeded: Engine) -> None:
    with Session(seeded) as session:
        frame = read_people_evidence(session, [])
    assert frame.empty
    assert list(frame.columns) == list(RAW_COLUMNS)


def test_pairs_read_equals_the_evidence_query_for_those_pairs(seeded: Engine) -> None:
    """On PostgreSQL the pairs are joined as arrays; the rows are the row-value filter's."""
    with Session(seeded) as session:
        people = session.scalars(select(Person.id).order_by(Person.id)).all()
        competencies = session.scalars(select(Competency.id).order_by(Competency.id)).all()
        pairs = [(person, competency) for person in people[:3] for competency in competencies]
        pairs += [(person, competencies[n % len(competencies)])
                  for n, person in enumerate(people[3::4])]  # fmt: skip
        some = sorted({person for person, _ in pairs})
        expected = read_raw_evidence(session, raw_evidence_query(some, pairs=pairs))
        got = read_pairs_evidence(session, some, [*pairs, pairs[0]])
    assert len(expected) > 20
    assert expected["tag_weight"].ne(1.0).any()
    pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_exact=True)


@pytest.mark.postgres
def test_evidence_reads_leave_the_transactions_jit_setting_as_it_was(
    postgres_server_url: str,
) -> None:
    engine = create_database_engine(postgres_server_url)
    migrate_to_head(engine)
    try:
        with Session(engine) as session, session.begin():
            session.execute(text("SET LOCAL jit = on"))
            read_people_evidence(session, [1])
            read_pairs_evidence(session, [1], [(1, 1)])
            assert session.scalar(text("SELECT current_setting('jit')")) == "on"
    finally:
        engine.dispose()
