"""The records insert: on PostgreSQL a chunk goes by COPY through a staging table, and stores
exactly what the row-by-row INSERT stores, the first row of a dedupe key winning."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data_model.models import Competency, CompetencyCategory, Framework, LearningRecord, Person
from loaders import record_insert
from loaders.record_insert import COLUMNS, RecordInserter

MADRID = timezone(timedelta(hours=2))
WHEN = datetime(2026, 4, 1, 10, 30, tzinfo=MADRID)


def _person_and_competency(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session, session.begin():
        session.add_all(
            [Person(id=1, external_id="P1", name="Ada", email="ada@example.org"),
             Framework(id=1, code="F", name="Framework")]
        )  # fmt: skip
        session.flush()
        session.add(
            Competency(
                id=1,
                framework_id=1,
                code="C",
                name="Competency",
                category=CompetencyCategory.TECHNICAL,
            )
        )
    return 1, 1


def _row(key: str, person: int, competency: int, rating: float, notes: str) -> dict[str, Any]:
    return {
        "dedupe_key": key, "person_id": person, "activity_id": None, "competency_id": competency,
        "occurred_at": WHEN + timedelta(minutes=rating), "score": None, "max_score": None,
        "rating": rating, "passed": rating >= 2, "completed": None, "source_kind": "attestation",
        "verification": "verified", "verified_by_id": person, "verified_at": WHEN,
        "valid_until": date(2027, 1, 1), "notes": notes,
        "raw": {"rating": rating, "nested": {"list": [1, "two", None]}, "text": "é\n\t\\"},
        "import_batch_id": None, "created_at": WHEN,
    }  # fmt: skip


def _insert_and_read(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, copy_from_rows: int
) -> list[tuple[Any, ...]]:
    """Insert a chunk (with a key already stored, and a key twice) in one transaction after
    an earlier one, and read back every stored row in id order."""
    monkeypatch.setattr(record_insert, "COPY_FROM_ROWS", copy_from_rows)
    person, competency = _person_and_competency(engine)
    with Session(engine) as session, session.begin():
        inserter = RecordInserter.for_session(session)
        inserter.insert(session, inserter.rows_of_dicts([_row("k0", person, competency, 1, "old")]))
    chunk = [_row(f"k{n}", person, competency, n % 5, f"first {n}") for n in range(60)]
    chunk[30:30] = [_row("k7", person, competency, 4, "second k7")]
    chunk.append(_row("k59", person, competency, 3, "second k59"))
    with Session(engine) as session, session.begin():
        inserter = RecordInserter.for_session(session)
        inserter.insert(session, inserter.rows_of_dicts(chunk[:40]))
        inserter.insert(session, inserter.rows_of_dicts(chunk[40:]))
    columns = [LearningRecord.__table__.c[name] for name in COLUMNS]
    with Session(engine) as session:
        return [tuple(row) for row in session.execute(select(*columns).order_by(LearningRecord.id))]


def test_the_first_row_of_a_key_wins_and_values_are_stored_as_given(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = _insert_and_read(engine, monkeypatch, copy_from_rows=1)
    by_key = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in stored}
    assert [row[0] for row in stored] == [f"k{n}" for n in range(60)]
    assert by_key["k0"]["notes"] == "old"
    assert by_key["k7"]["notes"] == "first 7"
    assert by_key["k59"]["notes"] == "first 59"
    assert by_key["k3"]["occurred_at"] == (WHEN + timedelta(minutes=3)).astimezone(UTC)
    assert by_key["k3"]["occurred_at"].tzinfo == UTC
    assert by_key["k3"]["raw"] == _row("k3", 0, 0, 3, "")["raw"]
    assert (by_key["k3"]["source_kind"], by_key["k3"]["verification"]) == (
        "attestation",
        "verified",
    )
    assert by_key["k3"]["valid_until"] == date(2027, 1, 1)
    assert by_key["k1"]["passed"] is False


def test_a_chunk_by_copy_stores_what_row_by_row_inserts_store(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_copy = _insert_and_read(engine, monkeypatch, copy_from_rows=1)
    with engine.begin() as connection:
        for table in (LearningRecord.__table__, Competency.__table__, Framework.__table__,
                      Person.__table__):  # fmt: skip
            connection.execute(table.delete())
    row_by_row = _insert_and_read(engine, monkeypatch, copy_from_rows=10**9)
    assert by_copy == row_by_row
