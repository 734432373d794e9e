"""The demo organisation: deterministic, and shaped like a real one."""

import hashlib
import json
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, aliased

from data_model.database import open_database
from data_model.models import (
    Activity,
    ActivityCompetency,
    Competency,
    CompetencyCategory,
    JobFamily,
    LearningRecord,
    LevelDescriptor,
    LevelRequirement,
    PathwayLevel,
    Person,
    RoleGrant,
    SourceKind,
    Verification,
)
from loaders.demo import DatabaseNotEmpty, seed_demo_organisation

TODAY = date(2026, 6, 30)


def records_digest(engine: Engine) -> tuple[int, str]:
    """Every record's content, by natural keys rather than database ids."""
    person, verifier = aliased(Person), aliased(Person)
    query = (
        select(
            LearningRecord.dedupe_key, person.external_id, Activity.external_id, Competency.code,
            LearningRecord.occurred_at, LearningRecord.score, LearningRecord.rating,
            LearningRecord.passed, LearningRecord.completed, LearningRecord.source_kind,
            LearningRecord.verification, verifier.external_id, LearningRecord.valid_until,
        )
        .join(person, person.id == LearningRecord.person_id)
        .outerjoin(Activity, Activity.id == LearningRecord.activity_id)
        .outerjoin(Competency, Competency.id == LearningRecord.competency_id)
        .outerjoin(verifier, verifier.id == LearningRecord.verified_by_id)
        .order_by(LearningRecord.dedupe_key)
    )  # fmt: skip
    with Session(engine) as session:
        rows = session.execute(query).all()
    digest = hashlib.sha256(repr([tuple(map(str, row)) for row in rows]).encode()).hexdigest()
    return len(rows), digest


def roster_digest(engine: Engine) -> str:
    manager = aliased(Person)
    query = (
        select(Person.external_id, Person.name, Person.email, manager.external_id,
               Person.department, Person.location, Person.title_level, Person.hire_date)
        .outerjoin(manager, manager.id == Person.manager_id)
        .order_by(Person.external_id)
    )  # fmt: skip
    with Session(engine) as session:
        return hashlib.sha256(repr(session.execute(query).all()).encode()).hexdigest()


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = open_database(f"sqlite:///{path}")
    seed_demo_organisation(engine, people=400, records_per_person=25, seed=11, today=TODAY)
    return engine


def test_same_seed_gives_the_same_people_and_records(engine: Engine, tmp_path) -> None:
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    first = seed_demo_organisation(engine, people=120, records_per_person=15, seed=7, today=TODAY)
    second = seed_demo_organisation(other, people=120, records_per_person=15, seed=7, today=TODAY)
    assert first == second
    assert records_digest(engine) == records_digest(other)
    assert roster_digest(engine) == roster_digest(other)
    assert records_digest(engine)[0] == first.records > 0


def test_another_seed_gives_another_organisation(tmp_path) -> None:
    one = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    two = open_database(f"sqlite:///{tmp_path / 'two.db'}")
    seed_demo_organisation(one, people=60, records_per_person=10, seed=1, today=TODAY)
    seed_demo_organisation(two, people=60, records_per_person=10, seed=2, today=TODAY)
    assert roster_digest(one) != roster_digest(two)
    assert records_digest(one) != records_digest(two)


def test_records_per_person_is_the_average(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        records = session.scalar(select(func.count()).select_from(LearningRecord))
    assert 400 * 25 * 0.9 <= records <= 400 * 25 * 1.1


def test_the_demo_refuses_a_database_that_already_has_people(demo_engine: Engine) -> None:
    with pytest.raises(DatabaseNotEmpty, match="already holds 400 people"):
        seed_demo_organisation(demo_engine, people=50, seed=1, today=TODAY)


def test_two_job_families_of_five_or_six_levels(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        levels = dict(
            session.execute(
                select(JobFamily.code, func.count(PathwayLevel.id))
                .join(PathwayLevel)
                .group_by(JobFamily.code)
            ).all()
        )
    assert len(levels) >= 2
    assert all(5 <= count <= 6 for count in levels.values())


def test_each_family_needs_ten_competencies_of_every_category(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        rows = session.execute(
            select(JobFamily.code, Competency.code, Competency.category)
            .join(PathwayLevel, PathwayLevel.job_family_id == JobFamily.id)
            .join(LevelRequirement, LevelRequirement.level_id == PathwayLevel.id)
            .join(Competency, Competency.id == LevelRequirement.competency_id)
            .distinct()
        ).all()
    for family in {row[0] for row in rows}:
        competencies = {(code, category) for fam, code, category in rows if fam == family}
        assert len(competencies) >= 10
        assert {category for _, category in competencies} == set(CompetencyCategory)


def test_every_competency_describes_every_level(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        described = session.execute(
            select(Competency.code, func.count(LevelDescriptor.level))
            .join(LevelDescriptor)
            .group_by(Competency.code)
        ).all()
        competencies = session.scalar(select(func.count()).select_from(Competency))
    assert len(described) == competencies
    assert all(count == 5 for _, count in described)


def test_managers_have_three_to_ten_reports(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        spans = session.scalars(
            select(func.count()).select_from(Person).where(Person.manager_id.is_not(None))
            .group_by(Person.manager_id)
        ).all()  # fmt: skip
        people = session.scalars(select(Person)).all()
    assert spans
    assert all(3 <= span <= 10 for span in spans)
    assert sum(person.manager_id is None for person in people) == 1
    assert len({person.department for person in people}) >= 4
    assert len({person.location for person in people}) >= 3


def test_catalogue_holds_formal_and_informal_tagged_activities(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        formal = Counter(session.scalars(select(Activity.formal)).all())
        untagged = session.scalar(
            select(func.count()).select_from(Activity).where(
                ~Activity.id.in_(select(ActivityCompetency.activity_id))
            )
        )  # fmt: skip
    assert formal[True] > 20
    assert formal[False] > 20
    assert untagged == 0


def test_two_to_three_years_of_every_kind_of_evidence(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        first, last = session.execute(
            select(func.min(LearningRecord.occurred_at), func.max(LearningRecord.occurred_at))
        ).one()
        sources = set(session.scalars(select(LearningRecord.source_kind).distinct()).all())
        verification = Counter(session.scalars(select(LearningRecord.verification)).all())
    assert 2 * 365 <= (last - first).days <= 3 * 366
    assert last.date() <= TODAY
    assert sources == set(SourceKind)
    assert verification[Verification.PENDING] > 0
    assert verification[Verification.VERIFIED] > 0


def test_some_people_have_gone_quiet_and_some_are_active(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        last_seen = session.execute(
            select(LearningRecord.person_id, func.max(LearningRecord.occurred_at))
            .group_by(LearningRecord.person_id)
        ).all()  # fmt: skip
    stale = sum(last.date() < TODAY - timedelta(days=365) for _, last in last_seen)
    active = sum(last.date() >= TODAY - timedelta(days=60) for _, last in last_seen)
    assert 0.03 * len(last_seen) <= stale <= 0.3 * len(last_seen)
    assert active >= 0.5 * len(last_seen)


def test_self_ratings_run_higher_than_attestations(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        means = dict(
            session.execute(
                select(LearningRecord.source_kind, func.avg(LearningRecord.rating))
                .where(LearningRecord.rating.is_not(None))
                .group_by(LearningRecord.source_kind)
            ).all()
        )
    assert means[SourceKind.SELF_REPORT] > means[SourceKind.ATTESTATION]


def test_learning_and_development_staff_are_admins(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        departments = session.scalars(
            select(Person.department).join(RoleGrant, RoleGrant.email == Person.email)
        ).all()
    assert departments
    assert set(departments) == {"People & Learning"}


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loaders", *arguments],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_command_line_demo_reports_what_it_wrote(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run_cli("demo", "--db", url, "--people", "50", "--records-per-person", "5",
                     "--seed", "3", "--today", "2026-01-31")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"people": 50' in result.stdout.splitlines()[-1]
    again = run_cli("--db", url, "demo", "--people", "50")
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "The database already holds 50 people; the demo organisation goes into an empty database."
    )


def test_command_line_rejects_a_too_small_organisation_in_one_line(tmp_path) -> None:
    result = run_cli("demo", "--db", f"sqlite:///{tmp_path / 'small.db'}", "--people", "5")
    assert result.returncode == 1
    assert result.stderr.strip() == "A demo organisation needs at least 40 people."


@pytest.mark.parametrize("package", ["loaders", "data_model"])
def test_both_command_lines_explain_themselves(package: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", package, "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert f"usage: python -m {package}" in result.stdout


def test_status_counts_what_the_demo_wrote(demo_engine: Engine) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-m", "data_model", "--db", url, "status", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tables = json.loads(result.stdout)["tables"]
    assert tables["people"] == 400
    assert tables["job_families"] == 2


def test_an_unreachable_database_is_one_sentence_on_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "data_model", "--db", "postgresql+psycopg://u@127.0.0.1:1/x",
         "status"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Cannot open the database postgresql+psycopg://u@127.0.0.1:1/x")
