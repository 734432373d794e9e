"""What happens to an import after it ran: list, undo, download rejects, map unknown keys."""

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from data_model.access import OPERATOR, Viewer, ensure_sees_everyone
from data_model.database import serialise_writers
from data_model.models import (
    Activity,
    AuditEntry,
    BatchStatus,
    Competency,
    ImportBatch,
    KeyAlias,
    LearningRecord,
    Person,
    RejectedRow,
    UnmappedRecord,
)
from data_model.rollup import pairs_of_records, refresh_pairs
from loaders.lookups import Lookups
from loaders.pipeline import batch_record_count, insert_ignoring_duplicates, pairs_of_rows
from loaders.record_input import RecordInput
from loaders.record_resolve import resolve_record

RECORD_BATCHES = {"records", "xapi", "badges", "demo"}


class BatchError(Exception):
    """An operation that cannot be done on this batch or key; the message says why."""


def list_batches(session: Session, viewer: Viewer = OPERATOR) -> pd.DataFrame:
    """Every import, newest first; L&D admins and the operator only (it names who ran it)."""
    ensure_sees_everyone(viewer, "imports")
    columns = [
        ImportBatch.id,
        ImportBatch.kind,
        ImportBatch.file_name,
        ImportBatch.sha256,
        ImportBatch.imported_by,
        ImportBatch.started_at,
        ImportBatch.rows_total,
        ImportBatch.rows_loaded,
        ImportBatch.rows_duplicate,
        ImportBatch.rows_skipped,
        ImportBatch.rows_unmapped,
        ImportBatch.rows_rejected,
        ImportBatch.status,
    ]
    result = session.execute(select(*columns).order_by(ImportBatch.id.desc()))
    frame = pd.DataFrame(result.all(), columns=list(result.keys()))
    frame["status"] = frame["status"].astype(str)
    return frame


@dataclass(frozen=True)
class UndoSummary:
    batch: int
    records_removed: int
    pairs_refreshed: int


def undo_batch(engine: Engine, batch_id: int, who: str = "operator") -> UndoSummary:
    """Remove exactly that batch's records (and held rows) and restore mastery."""
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        batch = session.get(ImportBatch, batch_id)
        if batch is None:
            raise BatchError(f"There is no batch {batch_id}.")
        if batch.kind not in RECORD_BATCHES:
            raise BatchError(
                f"Batch {batch_id} is a {batch.kind} import, which updates in "
                "place; only learning-record batches can be undone."
            )
        if batch.status is BatchStatus.UNDONE:
            raise BatchError(f"Batch {batch_id} was already undone.")
        ids = list(
            session.scalars(
                select(LearningRecord.id).where(LearningRecord.import_batch_id == batch_id)
            )
        )
        touched = pairs_of_records(session, ids)
        session.execute(delete(LearningRecord).where(LearningRecord.import_batch_id == batch_id))
        session.execute(delete(UnmappedRecord).where(UnmappedRecord.batch_id == batch_id))
        refresh_pairs(session, touched)
        batch.status = BatchStatus.UNDONE
        session.add(
            AuditEntry(
                actor=who,
                action="undo",
                target_type="import_batch",
                target_id=str(batch_id),
                details={"records": len(ids)},
            )
        )
    return UndoSummary(batch_id, len(ids), len(touched))


def rejected_rows(session: Session, batch_id: int, viewer: Viewer = OPERATOR) -> pd.DataFrame:
    """A batch's rejected rows as they came, with row number, field and reason first; L&D
    admins and the operator only (the rows hold people's records)."""
    ensure_sees_everyone(viewer, "imports")
    rows = session.execute(
        select(RejectedRow.row_number, RejectedRow.field, RejectedRow.reason, RejectedRow.raw)
        .where(RejectedRow.batch_id == batch_id)
        .order_by(RejectedRow.row_number)
    ).all()
    records = []
    for number, field, reason, raw in rows:
        original = raw if isinstance(raw, dict) else {"raw": raw}
        records.append({"row": number, "field": field, "reason": reason, **original})
    return pd.DataFrame(records)


def unmapped_keys(session: Session, viewer: Viewer = OPERATOR) -> pd.DataFrame:
    """Held records grouped by the key nobody recognised: what an admin needs to map; L&D
    admins and the operator only."""
    ensure_sees_everyone(viewer, "imports")
    result = session.execute(
        select(
            UnmappedRecord.kind,
            UnmappedRecord.key,
            func.count().label("records"),
            func.min(UnmappedRecord.batch_id).label("first_batch"),
        )
        .group_by(UnmappedRecord.kind, UnmappedRecord.key)
        .order_by(func.count().desc(), UnmappedRecord.key)
    )
    return pd.DataFrame(result.all(), columns=list(result.keys()))


def _target_id(session: Session, kind: str, target: str) -> int:
    if kind == "person":
        found = session.scalar(
            select(Person.id).where(
                (Person.external_id == target) | (func.lower(Person.email) == target.lower())
            )
        )
    elif kind == "activity":
        found = session.scalar(select(Activity.id).where(Activity.external_id == target))
    elif kind == "achievement":
        found = session.scalar(select(Competency.id).where(Competency.code == target))
    else:
        raise BatchError(f"Only person, activity and achievement keys can be mapped, not {kind}.")
    if found is None:
        what = "competency" if kind == "achievement" else kind
        raise BatchError(f"There is no {what} '{target}' to map to.")
    return found


def map_key(engine: Engine, kind: str, key: str, target: str, who: str = "operator") -> int:
    """Map an unknown key to a person or catalogue activity (or a badge's achievement to a
    competency code), remember it for future imports, and apply the records held for it (in
    their original batches). Returns how many applied."""
    with Session(engine) as session, session.begin():
        serialise_writers(session)
        target_id = _target_id(session, kind, target)
        session.add(KeyAlias(kind=kind, key=key, target_id=target_id, mapped_by=who))
        session.flush()
        lookups = Lookups.load(session)
        held = session.scalars(
            select(UnmappedRecord).where(UnmappedRecord.kind == kind, UnmappedRecord.key == key)
        ).all()
        applied: dict[int, int] = defaultdict(int)
        touched: set[tuple[int, int]] = set()
        for item in held:
            record = RecordInput.from_json(item.record)
            row = resolve_record(record, lookups)
            if isinstance(row, tuple) and row[0] == "competency":
                batch = session.get(ImportBatch, item.batch_id)
                reason = f"No competency has the code '{row[1]}'."
                session.add(
                    RejectedRow(
                        batch_id=item.batch_id,
                        row_number=item.row_number,
                        raw=item.raw,
                        field="competency",
                        reason=reason,
                    )
                )
                batch.rows_unmapped -= 1
                batch.rows_rejected += 1
                session.delete(item)
                continue
            if isinstance(row, tuple):
                item.kind, item.key = row
                continue
            row.update(import_batch_id=item.batch_id, created_at=item.created_at)
            before = batch_record_count(session, item.batch_id)
            insert_ignoring_duplicates(session, [row])
            applied[item.batch_id] += batch_record_count(session, item.batch_id) - before
            touched |= pairs_of_rows([row], lookups)
            session.delete(item)
        for batch_id, count in applied.items():
            session.execute(
                update(ImportBatch)
                .where(ImportBatch.id == batch_id)
                .values(
                    rows_loaded=ImportBatch.rows_loaded + count,
                    rows_unmapped=ImportBatch.rows_unmapped - count,
                )
            )
        inserted = sum(applied.values())
        refresh_pairs(session, touched)
        session.add(
            AuditEntry(
                actor=who,
                action="map_key",
                target_type=kind,
                target_id=key,
                details={"target": target, "applied": inserted},
            )
        )
    return inserted
