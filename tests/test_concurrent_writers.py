"""Writers at the same time: two overlapping imports, managers' attestations, a change of
mastery settings (which recomputes everyone) and a full recompute, each in its own thread with
its own connections.

Nothing may be lost (every record arrives, mastery ends equal to a full recompute, so no
recompute from an old snapshot overwrote a newer update), nothing duplicated, and every writer
must finish (a deadlock would leave a thread hanging). SQLite lets one writer in at a time and
makes the others wait up to its busy timeout; a lock held for longer is `DatabaseBusy`, one
sentence, and the write it stopped leaves nothing behind.
"""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import data_model.database
import data_model.rollup
from benchmarks.imports import write_records_csv
from data_model.access import OPERATOR, viewer_for_person
from data_model.attestation import attest
from data_model.database import (
    DatabaseBusy,
    DatabaseUnavailable,
    create_database_engine,
    serialise_writers,
)
from data_model.mastery_settings import MasterySettings
from data_model.models import Competency, Framework, ImportBatch, LearningRecord, Person
from data_model.rollup import recompute_all
from loaders import cli as loaders_cli
from loaders.demo import seed_demo_organisation
from loaders.framework_edit import SettingsSaved, save_settings
from loaders.pipeline import run_record_import
from loaders.records_csv import RecordsCsvImporter
from tests.mastery_check import assert_agrees_with_full_recompute

FIRST_ROWS, SECOND_ROWS = 3_000, 4_000
"""The second file repeats the first file's 3,000 record ids and adds 1,000 more."""
ATTESTATIONS = 20
JOIN_S = 600
"""Far beyond what the writers need; only a deadlock reaches it."""


def record_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(LearningRecord)) or 0


def attest_all(engine: Engine, pairs: list[tuple[int, int, int]]) -> list[int]:
    """Each (manager, report, competency) attested in a transaction of its own, as on a page."""
    ids = []
    for manager_id, person_id, competency_id in pairs:
        with Session(engine) as session, session.begin():
            manager = session.get_one(Person, manager_id)
            attested = attest(session, viewer_for_person(session, manager), person_id,
                              competency_id, 3, "Led the incident review well.")  # fmt: skip
            ids.append(attested.record_id)
    return ids


def change_settings(engine: Engine) -> SettingsSaved:
    """An L&D admin shortens the half-life, which recomputes everyone's mastery."""
    with Session(engine) as session:
        framework = session.scalars(select(Framework).order_by(Framework.id)).first()
        assert framework is not None
        settings = MasterySettings.merged(framework.mastery_settings or {})
    changed = settings.model_copy(update={"half_life_days": settings.half_life_days / 2})
    saved = save_settings(engine, OPERATOR, framework.id, changed)
    assert saved.changed
    return saved


def run_together(jobs: dict[str, Callable[[], object]]) -> dict[str, object]:
    """Start every job at the same moment in its own thread; what each returned."""
    start = threading.Barrier(len(jobs))
    results: dict[str, object] = {}
    errors: dict[str, BaseException] = {}

    def run(name: str, job: Callable[[], object]) -> None:
        start.wait()
        try:
            results[name] = job()
        except BaseException as error:  # reported by the test below
            errors[name] = error

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_S)
    assert not [thread for thread in threads if thread.is_alive()], "a writer never finished"
    assert not errors, errors
    return results


def test_imports_attestations_and_a_recompute_at_once_lose_and_duplicate_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    seed_demo_organisation(engine, people=120, records_per_person=4, seed=13)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    write_records_csv(engine, first, FIRST_ROWS, seed=1)
    write_records_csv(engine, second, SECOND_ROWS, seed=2)
    with Session(engine) as session:
        reports = session.execute(
            select(Person.manager_id, Person.id)
            .where(Person.manager_id.is_not(None))
            .order_by(Person.id)
            .limit(ATTESTATIONS)
        ).all()
        competencies = session.scalars(select(Competency.id).order_by(Competency.id)).all()
    pairs = [(m, p, competencies[n % len(competencies)]) for n, (m, p) in enumerate(reports)]
    before = record_count(engine)

    results = run_together(
        {
            "first import": lambda: run_record_import(engine, RecordsCsvImporter(), first),
            "second import": lambda: run_record_import(engine, RecordsCsvImporter(), second),
            "attestations": lambda: attest_all(engine, pairs),
            "settings change": lambda: change_settings(engine),
            "recompute": lambda: recompute_all(engine),
        }
    )

    assert record_count(engine) == before + SECOND_ROWS + ATTESTATIONS
    with Session(engine) as session:
        keys = session.scalar(select(func.count(func.distinct(LearningRecord.dedupe_key))))
        attested = session.scalar(
            select(func.count())
            .select_from(LearningRecord)
            .where(LearningRecord.id.in_(results["attestations"]))
        )
        loaded = session.scalars(
            select(ImportBatch.rows_loaded).where(ImportBatch.kind == "records")
        ).all()
    assert keys == before + SECOND_ROWS + ATTESTATIONS
    assert attested == ATTESTATIONS
    assert sorted(loaded) in ([1_000, FIRST_ROWS], [0, SECOND_ROWS])
    saved = results["settings change"]
    assert isinstance(saved, SettingsSaved)
    with Session(engine) as session:
        framework = session.scalars(select(Framework).order_by(Framework.id)).first()
        assert framework is not None
        assert framework.mastery_settings == saved.after
    assert_agrees_with_full_recompute(engine)


def test_a_recompute_never_writes_settings_older_than_a_change_made_meanwhile(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recompute reads the mastery settings, then stalls; meanwhile an L&D admin saves new
    settings. Whoever waits for whom, the table must end computed with the new settings."""
    seed_demo_organisation(engine, people=40, records_per_person=4, seed=19)
    real_rules = data_model.rollup.competency_rules
    read_rules, resume = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def rules_then_stall(session: Session, method: str | None = None) -> object:
        found = real_rules(session, method)
        if threading.current_thread().name == "stalled recompute":
            read_rules.set()
            resume.wait(JOIN_S)
        return found

    def catching(job: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except BaseException as error:  # reported by the test below
                errors.append(error)

        return run

    monkeypatch.setattr(data_model.rollup, "competency_rules", rules_then_stall)
    recompute = threading.Thread(
        target=catching(lambda: recompute_all(engine)), name="stalled recompute", daemon=True
    )
    recompute.start()
    assert read_rules.wait(JOIN_S)
    settings = threading.Thread(target=catching(lambda: change_settings(engine)), daemon=True)
    settings.start()
    settings.join(2)  # done, or waiting for the recompute's write lock
    resume.set()
    for thread in (recompute, settings):
        thread.join(JOIN_S)
        assert not thread.is_alive()
    assert not errors, errors
    assert_agrees_with_full_recompute(engine)


def test_a_recompute_that_waited_includes_evidence_written_while_it_waited(
    engine: Engine,
) -> None:
    """A recompute blocked behind an attestation must not date itself before that record: it
    reads "now" once it holds the writers' lock, so the fresh evidence is in its table."""
    seed_demo_organisation(engine, people=40, records_per_person=3, seed=23)
    manager_id, person_id, competency_id = manager_and_report(engine)
    errors: list[BaseException] = []

    def recompute() -> None:
        try:
            recompute_all(engine)
        except BaseException as error:  # reported by the test below
            errors.append(error)

    with Session(engine) as session, session.begin():
        serialise_writers(session)
        waiting = threading.Thread(target=recompute, daemon=True)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive(), "the recompute did not wait for the writers' lock"
        manager = session.get_one(Person, manager_id)
        attest(session, viewer_for_person(session, manager), person_id, competency_id, 3,
               "Ran the quarterly planning on her own.")  # fmt: skip
    waiting.join(JOIN_S)
    assert not waiting.is_alive()
    assert not errors, errors
    assert_agrees_with_full_recompute(engine)


@contextmanager
def write_lock_held(engine: Engine) -> Iterator[sqlite3.Connection]:
    """Another connection in the middle of a write transaction, as a long import would be."""
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.fixture
def seeded_sqlite(sqlite_engine: Engine) -> Engine:
    seed_demo_organisation(sqlite_engine, people=40, records_per_person=3, seed=17)
    return sqlite_engine


def manager_and_report(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        manager_id, person_id = session.execute(
            select(Person.manager_id, Person.id).where(Person.manager_id.is_not(None)).limit(1)
        ).one()
        return manager_id, person_id, session.scalars(select(Competency.id)).first() or 0


def test_sqlite_waits_for_a_lock_that_is_released(seeded_sqlite: Engine) -> None:
    before = record_count(seeded_sqlite)
    pair = manager_and_report(seeded_sqlite)
    done: list[list[int]] = []
    with write_lock_held(seeded_sqlite):
        writer = threading.Thread(target=lambda: done.append(attest_all(seeded_sqlite, [pair])))
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the attestation did not wait for the lock"
    writer.join(JOIN_S)
    assert not writer.is_alive()
    assert len(done) == 1
    assert record_count(seeded_sqlite) == before + 1


def test_sqlite_locked_beyond_the_wait_is_one_sentence_and_writes_nothing(
    seeded_sqlite: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(data_model.database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    engine = create_database_engine(seeded_sqlite.url.render_as_string(hide_password=False))
    before = record_count(seeded_sqlite)
    with write_lock_held(seeded_sqlite), pytest.raises(DatabaseBusy) as busy:
        attest_all(engine, [manager_and_report(seeded_sqlite)])
    engine.dispose()
    assert str(busy.value) == (
        "The database is busy: another import or recalculation has been writing to it for "
        "over 0.2 seconds; try again once it has finished."
    )
    assert isinstance(busy.value, DatabaseUnavailable)
    assert record_count(seeded_sqlite) == before


def test_the_import_command_reports_a_busy_database_in_one_sentence(
    seeded_sqlite: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(data_model.database, "SQLITE_BUSY_TIMEOUT_MS", 200)
    records = tmp_path / "records.csv"
    write_records_csv(seeded_sqlite, records, 50)
    url = seeded_sqlite.url.render_as_string(hide_password=False)
    before = record_count(seeded_sqlite)
    with write_lock_held(seeded_sqlite):
        code = loaders_cli.main(["records", str(records), "--db", url])
    assert code != 0
    assert capsys.readouterr().err.strip().startswith("The database is busy: ")
    assert record_count(seeded_sqlite) == before
    assert loaders_cli.main(["records", str(records), "--db", url]) == 0
    assert record_count(seeded_sqlite) == before + 50
