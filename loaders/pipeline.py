"""The one path every learning-record import takes.

parse (the importer) -> resolve people, activities and competencies -> write the batch in one
transaction (records deduplicated by key, unknown keys held, bad rows kept with their reason)
-> refresh mastery for the pairs touched -> report. A file refused as a whole leaves the
database exactly as it was, because nothing is committed before the last row is read.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from data_model.bulk import collector_paused
from data_model.database import refresh_planner_statistics, serialise_writers
from data_model.models import (
    AuditEntry,
    BatchStatus,
    ImportBatch,
    LearningRecord,
    RejectedRow,
    UnmappedRecord,
)
from data_model.rollup import pairs_of_records, refresh_pairs
from loaders.errors import FileRefused
from loaders.lookups import Lookups
from loaders.record_blocks import resolve_block
from loaders.record_input import (
    ParsedRow,
    RecordImporter,
    RecordInput,
    RowRejected,
    RowSkipped,
    RowVoided,
)
from loaders.record_insert import COLUMNS, RecordInserter
from loaders.record_resolve import jsonable, resolve_record
from loaders.records_csv import CheckedBlock, RecordsCsvImporter

MAX_FILE_BYTES = 2 * 1024**3
CHUNK_ROWS = 5_000
ERRORS_REPORTED = 100
ANALYZE_AFTER_ROWS = 50_000
IMPORT_CACHE_KIB = 256 * 1024
Progress = Callable[[float, str], None]
PERSON, ACTIVITY, COMPETENCY = (COLUMNS.index(name) for name in
                                ("person_id", "activity_id", "competency_id"))  # fmt: skip


@dataclass
class ImportSummary:
    """What one import did; `as_json()` is the last line every import command prints."""

    kind: str
    batch: int | None = None
    rows: int = 0
    loaded: int = 0
    duplicates: int = 0
    skipped: int = 0
    unmapped: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    notices: dict[str, Any] = field(default_factory=dict)
    """Extra keys for the JSON, from the importer (`RecordImporter.notices`)."""

    def add_error(self, row: int, field_name: str | None, message: str) -> None:
        if len(self.errors) < ERRORS_REPORTED:
            self.errors.append({"row": row, "field": field_name, "message": message})

    def as_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch, "kind": self.kind, "rows": self.rows, "loaded": self.loaded,
            "duplicates": self.duplicates, "skipped": self.skipped, "unmapped": self.unmapped,
            "rejected": self.rejected, "errors": self.errors, **self.notices,
        }  # fmt: skip


def _no_progress(_fraction: float, _message: str) -> None:
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_size(path: Path, limit: int = MAX_FILE_BYTES) -> None:
    if not path.is_file():
        raise FileRefused(f"{path} is not a file.")
    size = path.stat().st_size
    if size > limit:
        raise FileRefused(
            f"{path.name} is {size / 1024**2:,.0f} MB, over the {limit / 1024**2:,.0f} MB limit."
        )


class _CountingReader:
    """Wraps the file to report how far the parser has read, for the progress bar."""

    def __init__(self, handle: BinaryIO, total: int, progress: Progress) -> None:
        self._handle, self._total, self._progress = handle, max(total, 1), progress
        self._done = 0

    def read(self, size: int = -1) -> bytes:
        block = self._handle.read(size)
        self._done += len(block)
        self._progress(min(0.95, 0.95 * self._done / self._total), "Reading")
        return block

    def readline(self, size: int = -1) -> bytes:
        line = self._handle.readline(size)
        self._done += len(line)
        self._progress(min(0.95, 0.95 * self._done / self._total), "Reading")
        return line

    def readable(self) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert; rows whose dedupe key exists already are skipped."""
    inserter = RecordInserter.for_session(session)
    inserter.insert(session, inserter.rows_of_dicts(rows))


def batch_record_count(session: Session, batch_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(LearningRecord)
            .where(LearningRecord.import_batch_id == batch_id)
        )
        or 0
    )


def pairs_of_rows(rows: list[dict[str, Any]], lookups: Lookups) -> set[tuple[int, int]]:
    """The (person, competency) pairs that these insert rows give evidence for."""
    return pairs_of(
        [(row["person_id"], row["activity_id"], row["competency_id"]) for row in rows], lookups
    )


def pairs_of(
    evidence: Iterable[tuple[int, int | None, int | None]], lookups: Lookups
) -> set[tuple[int, int]]:
    """The (person, competency) pairs of (person, activity, competency) triples: the
    competency when the record names one, else the activity's tags."""
    pairs: set[tuple[int, int]] = set()
    for person_id, activity_id, competency_id in set(evidence):
        if competency_id is not None:
            pairs.add((person_id, competency_id))
        else:
            pairs.update((person_id, tag) for tag in lookups.tags.get(activity_id, ()))
    return pairs


class _BatchWriter:
    """Resolves parsed rows and writes them in chunks inside the caller's transaction."""

    def __init__(self, session: Session, batch: ImportBatch, summary: ImportSummary) -> None:
        self.session, self.batch, self.summary = session, batch, summary
        self.lookups = Lookups.load(session)
        self.inserter = RecordInserter.for_session(session)
        self.now = datetime.now(UTC)
        self.records: list[tuple[Any, ...]] = []
        self.touched: set[tuple[int, int]] = set()
        self.attempted = 0
        self.voided: set[str] = set()

    def take(self, parsed: ParsedRow) -> None:
        self.summary.rows += 1
        if isinstance(parsed, RowSkipped):
            self.summary.skipped += 1
        elif isinstance(parsed, RowRejected):
            self.reject(parsed)
        elif isinstance(parsed, RowVoided):
            self.voided.add(parsed.voided_key)
            self.summary.skipped += 1
        else:
            self.resolve(parsed)
        if len(self.records) >= CHUNK_ROWS:
            self.flush()

    def take_block(self, checked: CheckedBlock, parse_row: Callable[..., ParsedRow]) -> None:
        """A block validated column-wise: the rows resolved column-wise go straight in, in
        file order with the others, which take the per-row path. The caller pauses the
        garbage collector: blocks hold no reference cycles, and collection passes over their
        hundreds of thousands of lists would cost a quarter of the work."""
        resolved = resolve_block(checked, self.lookups, self.batch.id, self.now)
        rows = self.inserter.rows_of_columns(resolved.columns)
        block = checked.block
        if len(rows) == len(block.numbers):
            self.summary.rows += len(rows)
            self.records.extend(rows)
        else:
            fast, resolved_rows = set(resolved.positions), iter(rows)
            for position, number in enumerate(block.numbers):
                if position in fast:
                    self.summary.rows += 1
                    self.records.append(next(resolved_rows))
                else:
                    self.take(parse_row(number, block.row(position)))
        if len(self.records) >= CHUNK_ROWS:
            self.flush()

    def reject(self, row: RowRejected) -> None:
        keep_rejected(self.session, self.batch, self.summary, row)

    def hold(self, record: RecordInput, kind: str, key: str) -> None:
        self.summary.unmapped += 1
        self.session.add(
            UnmappedRecord(batch_id=self.batch.id, row_number=record.row_number, kind=kind,
                           key=key, record=record.as_json(), raw=jsonable(record.raw))
        )  # fmt: skip

    def resolve(self, record: RecordInput) -> None:
        row = resolve_record(record, self.lookups)
        if isinstance(row, tuple):
            kind, key = row
            if kind == "competency":
                self.reject(RowRejected(record.row_number, record.raw, "competency",
                                        f"No competency has the code '{key}'."))  # fmt: skip
            else:
                self.hold(record, kind, key)
            return
        row.update(import_batch_id=self.batch.id, created_at=self.now)
        self.records.extend(self.inserter.rows_of_dicts([row]))

    def flush(self) -> None:
        if self.records:
            with collector_paused():
                self.inserter.insert(self.session, self.records)
                self.touched |= pairs_of(
                    [(row[PERSON], row[ACTIVITY], row[COMPETENCY]) for row in self.records],
                    self.lookups,
                )
            self.attempted += len(self.records)
            self.records = []
        self.session.flush()


def keep_rejected(
    session: Session, batch: ImportBatch, summary: ImportSummary, row: RowRejected
) -> None:
    """Count a rejected row, report it, and keep it so it can be downloaded and fixed."""
    summary.rejected += 1
    summary.add_error(row.row_number, row.field, row.reason)
    session.add(
        RejectedRow(batch_id=batch.id, row_number=row.row_number, raw=jsonable(row.raw),
                    field=row.field, reason=row.reason)
    )  # fmt: skip


def open_batch(session: Session, kind: str, path: Path, imported_by: str) -> ImportBatch:
    batch = ImportBatch(kind=kind, file_name=path.name, sha256=file_sha256(path),
                        imported_by=imported_by)  # fmt: skip
    session.add(batch)
    session.flush()
    return batch


def run_record_import(
    engine: Engine,
    importer: RecordImporter,
    path: Path,
    imported_by: str = "operator",
    progress: Progress = _no_progress,
    max_bytes: int = MAX_FILE_BYTES,
) -> ImportSummary:
    """Import one file as one batch; raises `FileRefused` (nothing written) for a bad file."""
    check_size(path, max_bytes)
    summary = ImportSummary(kind=importer.kind)
    with Session(engine) as session, session.begin(), _roomy_cache(session):
        serialise_writers(session)
        batch = open_batch(session, importer.kind, path, imported_by)
        writer = _BatchWriter(session, batch, summary)
        with path.open("rb") as handle:
            reader = _CountingReader(handle, path.stat().st_size, progress)
            if isinstance(importer, RecordsCsvImporter):
                with collector_paused():
                    for checked in importer.parse_blocks(reader, path.name):
                        writer.take_block(checked, importer.parse_row)
            else:
                for parsed in parse_file(importer, reader, path.name):
                    writer.take(parsed)
        writer.flush()
        summary.notices = importer.notices()
        summary.loaded = batch_record_count(session, batch.id)
        summary.duplicates = writer.attempted - summary.loaded
        touched = writer.touched | _void(session, writer.voided)
        progress(0.97, "Updating mastery")
        refresh_pairs(session, touched)
        finish_batch(session, batch, summary)
    if summary.loaded >= ANALYZE_AFTER_ROWS:
        refresh_planner_statistics(engine)
    progress(1.0, "Done")
    return summary


@contextmanager
def _roomy_cache(session: Session) -> Iterator[None]:
    """A bigger SQLite page cache while the import runs: each record goes into six indexes,
    and with the default 2 MB cache a million-row import spends a quarter of its insert time
    reading index pages back in. The connection's own size is restored afterwards."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before or 0)}")


def parse_file(importer: RecordImporter, reader: Any, name: str) -> Iterator[ParsedRow]:
    """The importer's rows, with undecodable text refused as a whole file."""
    try:
        yield from importer.parse(reader, name)
    except UnicodeDecodeError as error:
        raise FileRefused(
            f"{name} is not UTF-8 text (byte {error.start} cannot be decoded)."
        ) from error


def _void(session: Session, keys: set[str]) -> set[tuple[int, int]]:
    """Remove the records that voiding statements withdraw; their pairs need refreshing."""
    if not keys:
        return set()
    ids = list(
        session.scalars(select(LearningRecord.id).where(LearningRecord.dedupe_key.in_(keys)))
    )
    touched = pairs_of_records(session, ids)
    session.execute(delete(LearningRecord).where(LearningRecord.id.in_(ids)))
    return touched


def finish_batch(session: Session, batch: ImportBatch, summary: ImportSummary) -> None:
    """Store the counts, mark the batch applied and audit it."""
    batch.rows_total = summary.rows
    batch.rows_loaded = summary.loaded
    batch.rows_duplicate = summary.duplicates
    batch.rows_skipped = summary.skipped
    batch.rows_unmapped = summary.unmapped
    batch.rows_rejected = summary.rejected
    batch.status = BatchStatus.APPLIED
    batch.finished_at = datetime.now(UTC)
    summary.batch = batch.id
    session.add(
        AuditEntry(actor=batch.imported_by, action="import", target_type="import_batch",
                   target_id=str(batch.id), details={**summary.as_json(), "errors": None,
                                                     "file": batch.file_name})
    )  # fmt: skip
