"""The schema: one migration creates it on both backends, and it keeps its promises."""

from datetime import UTC, datetime

import numpy as np
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_model.database import (
    DatabaseUnavailable,
    alembic_config,
    create_database_engine,
    migrate_to_head,
    open_database,
    table_names,
)
from data_model.models import (
    Base,
    Competency,
    CompetencyCategory,
    Framework,
    LearningRecord,
    Person,
    SourceKind,
)

DOMAIN_TABLES = {
    "people", "role_grants", "frameworks", "competencies", "level_descriptors", "job_families",
    "pathway_levels", "level_requirements", "activities", "activity_competencies",
    "learning_records", "import_batches", "rejected_rows", "mastery", "audit_log",
}  # fmt: skip


def test_migration_creates_every_domain_table(engine: Engine) -> None:
    assert table_names(engine) >= DOMAIN_TABLES


def test_migration_matches_the_models_exactly(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_every_constraint_and_index_has_a_conventional_name(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in DOMAIN_TABLES:
        for foreign_key in inspector.get_foreign_keys(table):
            assert foreign_key["name"].startswith(f"fk_{table}_"), foreign_key
        for unique in inspector.get_unique_constraints(table):
            assert unique["name"].startswith(f"uq_{table}_"), unique
        for index in inspector.get_indexes(table):
            if index.get("duplicates_constraint"):
                continue
            assert index["name"].startswith(f"ix_{table}_"), index


def test_access_paths_are_indexed(engine: Engine) -> None:
    inspector = inspect(engine)

    def leading_columns(table: str) -> set[str]:
        indexed = {i["column_names"][0] for i in inspector.get_indexes(table)}
        unique = {u["column_names"][0] for u in inspector.get_unique_constraints(table)}
        primary = inspector.get_pk_constraint(table)["constrained_columns"][:1]
        return indexed | unique | set(primary)

    assert {"manager_id", "job_family_id", "department", "email"} <= leading_columns("people")
    assert {"person_id", "activity_id", "competency_id", "import_batch_id", "dedupe_key",
            "source_kind"} <= leading_columns("learning_records")  # fmt: skip
    assert {"person_id", "competency_id"} <= leading_columns("mastery")


def test_downgrade_removes_everything_and_upgrade_restores_it(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "base")
    assert table_names(engine) <= {"alembic_version"}
    migrate_to_head(engine)
    assert table_names(engine) >= DOMAIN_TABLES


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.add(Person(external_id="p1", name="Ada", email="ada@example.com"))
    migrate_to_head(engine)
    with Session(engine) as session:
        assert session.scalar(select(Person.name)) == "Ada"


def _framework_with_competency(session: Session) -> Competency:
    framework = Framework(code="f", name="F")
    competency = Competency(
        framework=framework, code="C1", name="One", category=CompetencyCategory.TECHNICAL
    )
    session.add(competency)
    session.flush()
    return competency


def test_email_is_unique(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(IntegrityError), session.begin():
        session.add(Person(external_id="a", name="A", email="same@example.com"))
        session.add(Person(external_id="b", name="B", email="same@example.com"))


def test_a_record_needs_an_activity_or_a_competency(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(IntegrityError), session.begin():
        person = Person(external_id="a", name="A", email="a@example.com")
        session.add(person)
        session.flush()
        session.add(
            LearningRecord(
                dedupe_key="k",
                person_id=person.id,
                occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
                source_kind=SourceKind.COURSE,
            )
        )


def test_a_category_outside_the_vocabulary_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(IntegrityError):
        framework_id = connection.execute(
            Framework.__table__.insert().values(
                code="f", name="F", description="", scale_labels={}, mastery_settings={},
                created_at=datetime.now(UTC), updated_at=datetime.now(UTC),
            ).returning(Framework.__table__.c.id)
        ).scalar_one()  # fmt: skip
        connection.exec_driver_sql(
            "INSERT INTO competencies (framework_id, code, name, category, description, "
            f"mastery_settings) VALUES ({framework_id}, 'X', 'X', 'hobbies', '', '{{}}')"
        )


def test_raw_input_and_times_round_trip_losslessly(engine: Engine) -> None:
    raw = {
        "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
        "actor": {"mbox": "mailto:ünïcode@example.com", "name": "Zoë 🚀"},
        "result": {"score": {"scaled": 0.8512345678901234}, "extensions": {"nested": [1, None]}},
    }
    shown = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        competency = _framework_with_competency(session)
        person = Person(external_id="a", name="A", email="a@example.com")
        session.add(person)
        session.flush()
        session.add(
            LearningRecord(
                dedupe_key="statement-1",
                person_id=person.id,
                competency_id=competency.id,
                rating=3.5,
                occurred_at=shown,
                source_kind=SourceKind.ATTESTATION,
                raw=raw,
            )
        )
    with Session(engine) as session:
        record = session.scalars(select(LearningRecord)).one()
        assert record.raw == raw
        assert record.occurred_at == shown
        assert record.occurred_at.tzinfo is not None


def test_deleting_a_manager_keeps_their_reports(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        boss = Person(external_id="m", name="M", email="m@example.com")
        session.add_all(
            [boss, Person(external_id="r", name="R", email="r@example.com", manager=boss)]
        )
    with Session(engine) as session, session.begin():
        session.delete(session.scalars(select(Person).where(Person.external_id == "m")).one())
    with Session(engine) as session:
        assert session.scalar(select(Person.manager_id).where(Person.external_id == "r")) is None


def test_numpy_ids_find_the_rows_plain_ints_find(sqlite_engine: Engine) -> None:
    """Ids taken from a DataFrame are numpy integers; SQLite must match them as numbers, not
    bind them as bytes that equal nothing."""
    with Session(sqlite_engine) as session, session.begin():
        session.add(Person(external_id="a", name="A", email="a@example.com"))
    with Session(sqlite_engine) as session:
        plain = session.scalar(select(Person.id))
        assert plain is not None
        for value in (np.int64(plain), np.int32(plain), np.uint8(plain)):
            found = session.scalars(select(Person.external_id).where(Person.id == value)).all()
            assert found == ["a"], type(value)
        between = select(Person.id).where(Person.id.between(np.int64(plain), np.int64(plain)))
        assert session.scalars(between).all() == [plain]


def test_naive_times_are_refused_before_they_reach_the_database(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as session, pytest.raises(Exception, match="naive datetime"):
        person = Person(external_id="a", name="A", email="a@example.com")
        session.add(person)
        session.flush()
        session.add(
            LearningRecord(
                dedupe_key="k", person_id=person.id, competency_id=None, activity_id=None,
                occurred_at=datetime(2025, 1, 1), source_kind=SourceKind.COURSE,
            )
        )  # fmt: skip
        session.flush()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:1/none", "Cannot open the database"),
        ("not a url", "is not a database URL"),
        ("mysql+nosuchdriver://a@b/c", "No database driver"),
        ("sqlite:////proc/pathwise/x.db", "Cannot create the folder"),
    ],
)
def test_bad_database_urls_fail_with_one_sentence(url: str, expected: str) -> None:
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database(url)
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_a_read_only_database_fails_with_one_sentence(tmp_path) -> None:
    path = tmp_path / "empty.db"
    create_database_engine(f"sqlite:///{path}").connect().close()
    with pytest.raises(DatabaseUnavailable, match=r"readonly|read-only"):
        open_database(f"sqlite:///file:{path}?mode=ro&uri=true")


def test_a_folder_that_is_a_file_fails_with_one_sentence(tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DatabaseUnavailable, match="it is a file, not a folder"):
        open_database(f"sqlite:///{blocker}/pathwise.db")


def test_the_sqlite_folder_is_created_on_first_run(tmp_path) -> None:
    engine = open_database(f"sqlite:///{tmp_path}/new/deeper/pathwise.db")
    assert (tmp_path / "new" / "deeper" / "pathwise.db").is_file()
    assert "people" in table_names(engine)
