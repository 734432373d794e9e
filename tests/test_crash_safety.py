"""An import killed with SIGKILL at a random moment leaves the whole batch or none of it.

`python -m loaders records` runs as a subprocess on a large generated file; the test waits
until the import holds the write lock (so the kill lands inside its transaction, not in
Python's start-up), waits a further random time and kills it. Afterwards the database must hold
either none of the file's records or all of them, no batch may be left half-done or "running",
the materialised mastery must equal a full recompute, and the same file must import again
without duplicates.
"""

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from benchmarks.imports import write_records_csv
from data_model.database import IMPORT_LOCK_KEY
from data_model.models import BatchStatus, ImportBatch, LearningRecord
from data_model.rollup import recompute_all
from loaders.batches import undo_batch
from loaders.demo import seed_demo_organisation
from tests.mastery_check import assert_agrees_with_full_recompute

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FILE_ROWS = 25_000
KILLS = 3
SETTLED = {BatchStatus.APPLIED, BatchStatus.UNDONE}
"""What a batch may be once no import runs: never "running" or "failed" with records."""
WAIT_S = 300
"""Generous bounds on waiting for the import to start writing or a dead session to end; only
a hang reaches them."""


def writer_active(engine: Engine) -> bool:
    """Whether some transaction holds the write lock that imports take."""
    if engine.dialect.name == "sqlite":
        probe = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
        return False
    with engine.connect() as connection:
        free = connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": IMPORT_LOCK_KEY}
        )
        if free:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": IMPORT_LOCK_KEY})
        return not free


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting for {what}.")
        time.sleep(0.02)


def start_import(engine: Engine, path: Path) -> subprocess.Popen[str]:
    url = engine.url.render_as_string(hide_password=False)
    return subprocess.Popen(
        [sys.executable, "-m", "loaders", "records", str(path), "--db", url],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def timed_import(engine: Engine, path: Path) -> float:
    """A whole import run to its end: seconds from its first write to its exit."""
    process = start_import(engine, path)
    wait_until(lambda: process.poll() is not None or writer_active(engine), "the import to write")
    started = time.monotonic()
    _, errors = process.communicate(timeout=WAIT_S)
    assert process.returncode == 0, errors
    return time.monotonic() - started


def kill_mid_import(engine: Engine, path: Path, delay: float) -> int:
    """Start an import, SIGKILL it `delay` seconds after it starts writing; its return code."""
    process = start_import(engine, path)
    wait_until(lambda: process.poll() is not None or writer_active(engine), "the import to write")
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    _, errors = process.communicate()
    assert process.returncode in (0, -signal.SIGKILL), errors
    # PostgreSQL rolls the dead client's transaction back once its backend notices; until
    # then the advisory lock is held, so waiting for it to come free waits for the rollback.
    wait_until(lambda: not writer_active(engine), "the killed import's session to end")
    return process.returncode


def record_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(LearningRecord)) or 0


def batches(engine: Engine) -> list[tuple[str, BatchStatus, int]]:
    with Session(engine) as session:
        loaded = (
            select(func.count())
            .where(LearningRecord.import_batch_id == ImportBatch.id)
            .scalar_subquery()
        )
        rows = session.execute(
            select(ImportBatch.kind, ImportBatch.status, loaded).order_by(ImportBatch.id)
        )
        return [(kind, status, count) for kind, status, count in rows]


@pytest.fixture
def large_file(engine: Engine, tmp_path: Path) -> Path:
    seed_demo_organisation(engine, people=200, records_per_person=5, seed=11)
    recompute_all(engine, as_of=datetime.now(UTC))
    path = tmp_path / "records.csv"
    write_records_csv(engine, path, FILE_ROWS, seed=7)
    return path


def test_a_killed_import_leaves_all_or_nothing_and_imports_again(
    engine: Engine, large_file: Path
) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    rng = random.Random(f"crash-{engine.dialect.name}")
    before = record_count(engine)
    # One clean import, undone, measures how long the writing lasts, so that the kills
    # can land anywhere in it: reading, inserting, refreshing mastery or committing.
    writing_s = timed_import(engine, large_file)
    with Session(engine) as session:
        undo_batch(engine, session.scalar(select(func.max(ImportBatch.id))) or 0)
    assert record_count(engine) == before
    killed = 0
    for _ in range(KILLS):
        code = kill_mid_import(engine, large_file, rng.uniform(0.0, writing_s))
        killed += code == -signal.SIGKILL
        assert record_count(engine) in (before, before + FILE_ROWS)
        assert all(status in SETTLED for _, status, _ in batches(engine))
        assert_agrees_with_full_recompute(engine)
    assert killed, "every import finished before its kill, so nothing was tested"

    again = subprocess.run(
        [sys.executable, "-m", "loaders", "records", str(large_file), "--db",
         engine.url.render_as_string(hide_password=False)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=WAIT_S,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert summary["loaded"] + summary["duplicates"] == FILE_ROWS
    assert record_count(engine) == before + FILE_ROWS
    record_batches = [loaded for kind, _, loaded in batches(engine) if kind == "records"]
    assert sorted(record_batches)[-1] == FILE_ROWS
    assert sum(record_batches) == FILE_ROWS
    assert_agrees_with_full_recompute(engine)
