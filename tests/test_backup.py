"""`python -m data_model backup FILE` and `restore FILE` round-trip the whole database."""

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

import data_model.backup
from data_model.backup import BackupFailed, backup, restore
from data_model.cli import main as data_model_cli
from data_model.database import create_database_engine
from data_model.models import Base, LearningRecord, MasteryScore, Person
from loaders.demo import seed_demo_organisation
from tests.conftest import skip_or_fail


def content(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in key order: what a restore must bring back exactly."""
    with Session(engine) as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in Base.metadata.sorted_tables
        }


def change_everything(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        session.execute(delete(MasteryScore))
        session.execute(delete(LearningRecord).where(LearningRecord.id % 2 == 0))
        session.execute(
            Person.__table__.update().where(Person.id == 1).values(name="Changed after backup")
        )


def test_backup_then_restore_brings_back_the_same_content(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine.dialect.name == "postgresql" and not shutil.which("pg_dump"):
        skip_or_fail("pg_dump is not on PATH, so a PostgreSQL backup cannot be taken")
    seed_demo_organisation(engine, people=40, records_per_person=4, seed=21)
    url = engine.url.render_as_string(hide_password=False)
    saved = content(engine)
    target = tmp_path / "backups" / "pathwise.backup"

    assert data_model_cli(["--db", url, "backup", str(target)]) == 0
    assert capsys.readouterr().out.startswith("Backed up ")
    change_everything(engine)
    assert content(engine) != saved
    engine.dispose()
    assert data_model_cli(["--db", url, "restore", str(target)]) == 0

    assert capsys.readouterr().out.strip() == f"Restored {engine.url!r} from {target}."
    assert content(engine) == saved
    assert sum(len(rows) for rows in saved.values()) > 500


def test_a_backup_never_overwrites_a_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "kept.db"
    target.write_text("an earlier backup")
    with pytest.raises(BackupFailed, match=r"already exists; choose a new file name"):
        backup(sqlite_engine, target)
    assert target.read_text() == "an earlier backup"


def test_restoring_a_file_that_is_not_a_backup_changes_nothing(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    seed_demo_organisation(sqlite_engine, people=40, records_per_person=2, seed=3)
    before = content(sqlite_engine)
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("hello " * 1000)
    with pytest.raises(BackupFailed, match=r"is not a Pathwise SQLite backup"):
        restore(sqlite_engine, not_a_database)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupFailed, match=r"is not a Pathwise SQLite backup"):
        restore(sqlite_engine, other)
    assert content(sqlite_engine) == before


def test_a_backup_from_a_newer_schema_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    backup(sqlite_engine, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(BackupFailed, match=r"comes from a newer Pathwise \(schema 9999_future\)"):
        restore(sqlite_engine, newer)


def test_without_pg_dump_the_command_says_what_to_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(data_model.backup.shutil, "which", lambda _name: None)
    engine = create_database_engine(
        "postgresql+psycopg://pathwise:secret@db.example.com:5432/pathwise"
    )
    with pytest.raises(BackupFailed) as missing:
        backup(engine, tmp_path / "pathwise.dump")
    assert str(missing.value) == (
        "pg_dump is not on PATH; install the PostgreSQL client tools, or run this where they "
        f"are: pg_dump --format=custom --no-owner --file={tmp_path / 'pathwise.dump'} "
        "--dbname=postgresql://pathwise@db.example.com:5432/pathwise"
    )
    assert "secret" not in str(missing.value)
