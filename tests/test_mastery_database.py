"""The engine over a real database: the command line, and incremental against full roll-up."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.access import OPERATOR
from data_model.cli import main as data_model_cli
from data_model.models import (
    Competency,
    CompetencyCategory,
    Framework,
    LearningRecord,
    MasteryScore,
    Person,
    SourceKind,
)
from data_model.queries.mastery import mastery_history, people_mastery
from data_model.rollup import pairs_of_records, recompute_all, refresh_pairs
from loaders.demo import seed_demo_organisation

START = datetime(2026, 1, 5, 10, tzinfo=UTC)


def rated_person(engine: Engine, values: list[float]) -> None:
    """Person P1 rated on competency C1 once a week with `values`, oldest first."""
    with Session(engine) as session, session.begin():
        framework = Framework(
            code="f", name="F", scale_labels={str(n): f"L{n}" for n in range(6)},
            mastery_settings={},
        )  # fmt: skip
        competency = Competency(
            framework=framework, code="C1", name="One", category=CompetencyCategory.TECHNICAL
        )
        person = Person(external_id="P1", name="Pat", email="pat@example.com")
        session.add_all([competency, person])
        session.flush()
        for week, value in enumerate(values):
            session.add(
                LearningRecord(
                    dedupe_key=f"r{week}", person_id=person.id, competency_id=competency.id,
                    rating=value, occurred_at=START + timedelta(weeks=week),
                    source_kind=SourceKind.ATTESTATION,
                )
            )  # fmt: skip


def cli_json(capsys: pytest.CaptureFixture[str], engine: Engine, *arguments: str) -> object:
    url = engine.url.render_as_string(hide_password=False)
    assert data_model_cli(["--db", url, *arguments]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("values", "method", "expected"),
    [
        ([1, 2, 3, 4, 5], "highest", 5.0),
        ([1, 2, 3, 4, 5], "average", 3.0),
        ([1, 2, 3, 4, 5], "weighted_average:65", 4.13),
        ([1, 2, 3, 4, 5], "decaying_average:65", 4.47),
        ([1, 2, 3, 4, 5], "n_mastery:3", 4.0),
        ([1, 2, 3, 4, 5], "n_mastery:4", None),
        ([1, 2, 4, 5, 3], "latest", 3.0),
        ([3, 1, 5, 4], "weighted_average:75", 3.75),
    ],
)
def test_the_command_line_answers_the_worked_examples(
    engine: Engine, capsys: pytest.CaptureFixture[str], values, method, expected
) -> None:
    rated_person(engine, values)
    rows = cli_json(capsys, engine, "mastery", "P1", "--competency", "C1", "--method", method,
                    "--as-of", "2026-06-30", "--json")  # fmt: skip
    assert rows == [
        {
            "competency": "C1",
            "mastery": expected,
            "level": None if expected is None else f"L{int(expected)}",
            "support": rows[0]["support"],
            "confidence": rows[0]["confidence"],
            "met_proficient": expected is not None and expected >= 3,
            "evidence_count": len(values),
            "last_evidence_at": (START + timedelta(weeks=len(values) - 1)).isoformat(),
        }
    ]
    assert rows[0]["support"] > 0


def test_as_of_ignores_later_evidence_and_explain_adds_up(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    rated_person(engine, [1, 2, 3, 4, 5])
    early = cli_json(capsys, engine, "mastery", "pat@example.com", "--as-of", "2026-01-13",
                     "--method", "latest", "--json")  # fmt: skip
    assert early[0]["mastery"] == 2.0
    explained = cli_json(capsys, engine, "explain", "P1", "C1", "--as-of", "2026-06-30", "--json")
    shares = sum(item["share"] for item in explained["evidence"])
    assert shares == pytest.approx(explained["summary"]["mastery"], abs=1e-3)
    assert len(explained["evidence"]) == 5


def test_unknown_person_is_one_sentence(engine: Engine, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert data_model_cli(["--db", url, "mastery", "nobody@example.com"]) == 1
    assert capsys.readouterr().err.strip() == "No person has the id or email 'nobody@example.com'."


def mastery_table(engine: Engine) -> dict[tuple[int, int], tuple]:
    with Session(engine) as session:
        return {
            (m.person_id, m.competency_id): (
                m.method, None if m.mastery is None else round(m.mastery, 9),
                round(m.support, 9), m.evidence_count, m.last_evidence_at,
                [round(p, 6) for p in m.p_levels],
            )
            for m in session.scalars(select(MasteryScore))
        }  # fmt: skip


def test_incremental_update_equals_full_recompute(engine: Engine) -> None:
    as_of = datetime(2026, 6, 30, 23, tzinfo=UTC)
    seed_demo_organisation(engine, people=60, records_per_person=12, seed=5,
                           today=date(2026, 6, 30))  # fmt: skip
    recompute_all(engine, as_of=as_of)
    with Session(engine) as session, session.begin():
        people = session.scalars(select(Person.id).order_by(Person.id).limit(12)).all()
        competencies = session.scalars(select(Competency.id).order_by(Competency.id)).all()
        new = [
            LearningRecord(
                dedupe_key=f"new-{n}", person_id=people[n % len(people)],
                competency_id=competencies[(3 * n) % len(competencies)], rating=(n % 11) / 2,
                occurred_at=as_of - timedelta(days=n), source_kind=SourceKind.ATTESTATION,
            )
            for n in range(40)
        ]  # fmt: skip
        session.add_all(new)
        session.flush()
        touched = pairs_of_records(session, [record.id for record in new])
        assert refresh_pairs(session, touched, as_of=as_of) == len(touched)
    incremental = mastery_table(engine)
    recompute_all(engine, as_of=as_of)
    full = mastery_table(engine)
    assert len(full) > 200
    assert incremental == full


def test_current_mastery_read_from_the_table_equals_the_live_computation(engine: Engine) -> None:
    seed_demo_organisation(engine, people=50, records_per_person=10, seed=9)
    with Session(engine) as session:
        people = session.scalars(select(Person.id).order_by(Person.id).limit(8)).all()
        stored = people_mastery(session, OPERATOR, list(people))
        live = people_mastery(session, OPERATOR, list(people), as_of=datetime.now(UTC))
    assert len(stored) == len(live) > 20
    columns = ["person_id", "competency", "level", "met_proficient", "evidence_count"]
    assert stored[columns].equals(live[columns])
    for column in ("mastery", "support", "confidence"):
        assert stored[column].to_numpy() == pytest.approx(live[column].to_numpy(), rel=1e-4)


def test_history_gives_mastery_as_of_each_month_end(engine: Engine) -> None:
    rated_person(engine, [1, 2, 3, 4, 5, 5, 5, 5, 5])
    with Session(engine) as session:
        person = session.scalar(select(Person.id))
        history = mastery_history(session, OPERATOR, person, as_of=date(2026, 4, 15), months=4,
                                  method="latest")  # fmt: skip
    assert list(history["month"]) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 15)
    ]  # fmt: skip
    assert list(history["mastery"]) == [4.0, 5.0, 5.0, 5.0]


def test_a_competency_credential_without_a_level_is_at_least_proficient(engine: Engine) -> None:
    rated_person(engine, [])
    with Session(engine) as session, session.begin():
        session.add(
            LearningRecord(
                dedupe_key="badge:1", person_id=session.scalar(select(Person.id)),
                competency_id=session.scalar(select(Competency.id)), completed=True,
                passed=True, occurred_at=START, source_kind=SourceKind.CERTIFICATION,
            )
        )  # fmt: skip
    with Session(engine) as session:
        person = session.scalar(select(Person.id))
        result = people_mastery(session, OPERATOR, [person], as_of=START + timedelta(days=1))
    assert result["mastery"].tolist() == [3.0]
