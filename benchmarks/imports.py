"""Import benchmark: a learning-records CSV through the whole import path, against a bare
sqlite3 executemany of the same rows into a table of the same columns."""

import csv
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from benchmarks.measure import timed
from data_model.models import Activity, Competency, Person
from loaders.pipeline import run_record_import
from loaders.record_insert import RecordInserter
from loaders.records_csv import RecordsCsvImporter

COLUMNS = ["record_id", "person", "activity", "competency", "occurred_at", "score",
           "max_score", "rating", "passed", "completed", "source", "verified_by",
           "valid_until", "notes"]  # fmt: skip


def write_records_csv(engine: Engine, path: Path, rows: int, seed: int = 3) -> None:
    """`rows` plausible records for the people and catalogue already in the database."""
    rng = np.random.default_rng(seed)
    with Session(engine) as session:
        people = session.scalars(select(Person.external_id)).all()
        activities = session.scalars(select(Activity.external_id)).all()
        competencies = session.scalars(select(Competency.code)).all()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for start in range(0, rows, 100_000):
            size = min(100_000, rows - start)
            who = rng.integers(0, len(people), size)
            what = rng.integers(0, len(activities), size)
            rated = rng.random(size) < 0.3
            skill = rng.integers(0, len(competencies), size)
            day = rng.integers(0, 900, size)
            score = rng.integers(30, 101, size)
            for n in range(size):
                when = f"{np.datetime64('2024-01-01') + int(day[n])}T10:00:00Z"
                if rated[n]:
                    cells = [
                        f"b{start + n}",
                        people[who[n]],
                        "",
                        competencies[skill[n]],
                        when,
                        "",
                        "",
                        str(int(score[n]) % 6),
                        "",
                        "",
                        "attestation",
                        "",
                        "",
                        "",
                    ]
                else:
                    cells = [
                        f"b{start + n}",
                        people[who[n]],
                        activities[what[n]],
                        "",
                        when,
                        str(score[n]),
                        "100",
                        "",
                        "",
                        "yes",
                        "",
                        "",
                        "",
                        "",
                    ]
                writer.writerow(cells)  # fmt: skip


def baseline_executemany(path: Path) -> float:
    """Seconds for sqlite3 to executemany the same rows, read from the same file."""
    with tempfile.TemporaryDirectory(prefix="pathwise-baseline-") as folder:
        return _timed_executemany(path, Path(folder) / "baseline.db")


def _timed_executemany(path: Path, database: Path) -> float:
    connection = sqlite3.connect(database)
    connection.execute(f"CREATE TABLE records ({', '.join(f'{c} TEXT' for c in COLUMNS)})")

    def load() -> None:
        with path.open(newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            placeholders = ", ".join("?" for _ in COLUMNS)
            statement = f"INSERT INTO records VALUES ({placeholders})"  # noqa: S608 (constants)
            connection.executemany(statement, reader)
        connection.commit()

    seconds, _ = timed(load)
    connection.close()
    return seconds


@contextmanager
def insert_seconds() -> Iterator[list[float]]:
    """Time spent inside `RecordInserter.insert` while the block runs: the database writing
    the import's final rows, a chunk at a time (executemany on SQLite, COPY and one INSERT ...
    SELECT on PostgreSQL), with nothing of Python's parsing or checking in it. It is the floor
    under any importer that writes into this table."""
    spent = [0.0]
    original = RecordInserter.insert

    def timed_insert(self: RecordInserter, session: Session, rows: list[tuple[Any, ...]]) -> None:
        start = time.perf_counter()
        original(self, session, rows)
        spent[0] += time.perf_counter() - start

    RecordInserter.insert = timed_insert  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        RecordInserter.insert = original  # type: ignore[method-assign]


def import_csv(engine: Engine, path: Path) -> dict[str, float]:
    """The whole import; of it, the time from "Updating mastery" to the end (the mastery
    refresh, closing the batch and, for a big file, refreshing planner statistics) and the time
    the database spent inserting the final rows."""
    marks: dict[str, float] = {}

    def progress(_fraction: float, message: str) -> None:
        marks.setdefault(message, time.perf_counter())

    with insert_seconds() as inserting:
        seconds, summary = timed(
            lambda: run_record_import(engine, RecordsCsvImporter(), path, progress=progress)
        )
    return {
        "import_csv_s": seconds,
        "import_insert_s": inserting[0],
        "import_mastery_s": marks["Done"] - marks["Updating mastery"],
        "import_rows_per_s": round(summary.rows / seconds),
        "import_baseline_executemany_s": baseline_executemany(path),
    }
