"""Vouching for informal learning: the inbox of records someone was asked to verify, and the
two answers, accept or decline with a reason.

A pending record names the person asked in `verified_by_id`. The inbox and both answers are
scoped by one rule, `_asked_of`: records where the viewer is the one asked (never their own)
about someone still active who reports to them today, directly or further up: the reporting
line as it is now, not as it was when the request was made, and only the line (an L&D admin's
wider view does not make them a verifier). So a request left behind when the learner leaves, or
when the learner or the verifier moves, no longer shows to the old verifier, nor may they
answer it from a page loaded before; `queries.stranded` lists the requests of active learners
for the learner, who re-sends them (`informal.reassign_verifier`), and for L&D.

Accepting makes the record verified and lifts its trust; declining takes it out of the
evidence. Either way mastery for the record's pairs is refreshed in the same transaction and
the answer is audited. The schema has no column for a decline reason, so the reason is kept in
the audit entry, where `decline_reasons` reads it back.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from data_model.access import NotPermitted, Viewer, as_line_manager, visible_people
from data_model.audit import record_audit
from data_model.database import serialise_writers
from data_model.models import (
    Activity,
    AuditEntry,
    Competency,
    LearningRecord,
    Person,
    Verification,
)
from data_model.queries.evidence import read_frame
from data_model.rollup import pairs_of_records, refresh_pairs

ACCEPTED = "verification_accepted"
DECLINED = "verification_declined"
MAX_REASON_LENGTH = 1000
INBOX_COLUMNS = [
    "record_id", "person_id", "person", "activity", "competency", "occurred_at", "source_kind",
    "notes", "link",
]  # fmt: skip


class InvalidAnswer(ValueError):
    """The answer cannot be recorded as given; the message says what to change."""


@dataclass(frozen=True)
class Answer:
    record_id: int
    person_id: int
    verification: Verification
    pairs_refreshed: int


def _asked_of(viewer: Viewer) -> ColumnElement[bool]:
    """Pending, the viewer asked, about someone else, still active, who reports to the viewer
    today: what the inbox shows and exactly what may be answered."""
    active_in_line = select(Person.id).where(
        Person.active.is_(True), Person.id.in_(visible_people(as_line_manager(viewer)))
    )
    return and_(
        LearningRecord.verification == Verification.PENDING,
        LearningRecord.verified_by_id == viewer.person_id,
        LearningRecord.person_id != viewer.person_id,
        LearningRecord.person_id.in_(active_in_line),
    )


def verification_inbox(session: Session, viewer: Viewer) -> pd.DataFrame:
    """Records waiting for the viewer's word, oldest first: INBOX_COLUMNS."""
    if viewer.person_id is None:
        return pd.DataFrame(columns=INBOX_COLUMNS)
    statement = (
        select(
            LearningRecord.id.label("record_id"),
            LearningRecord.person_id,
            Person.name.label("person"),
            Activity.title.label("activity"),
            Competency.name.label("competency"),
            LearningRecord.occurred_at,
            LearningRecord.source_kind,
            LearningRecord.notes,
            LearningRecord.raw,
        )
        .join(Person, Person.id == LearningRecord.person_id)
        .outerjoin(Activity, Activity.id == LearningRecord.activity_id)
        .outerjoin(Competency, Competency.id == LearningRecord.competency_id)
        .where(_asked_of(viewer))
        .order_by(LearningRecord.occurred_at, LearningRecord.id)
    )
    frame = read_frame(session, statement)
    frame["source_kind"] = frame["source_kind"].astype(str)
    frame["link"] = [_link(raw) for raw in frame.pop("raw")]
    return frame[INBOX_COLUMNS]


def _link(raw: object) -> str | None:
    """The link a learner gave with their record, if the form or file kept one."""
    if isinstance(raw, dict):
        value = raw.get("link") or raw.get("url")
        return str(value) if value else None
    return None


def _pending_for(session: Session, viewer: Viewer, record_id: int) -> LearningRecord:
    if viewer.person_id is None:
        raise NotPermitted
    record = session.scalar(
        select(LearningRecord).where(LearningRecord.id == record_id, _asked_of(viewer))
    )
    if record is None:
        raise NotPermitted
    return record


def _answer(
    session: Session,
    viewer: Viewer,
    record_id: int,
    verification: Verification,
    now: datetime | None,
    **details: str,
) -> Answer:
    serialise_writers(session)
    record = _pending_for(session, viewer, record_id)
    now = now or datetime.now(UTC)
    record.verification = verification
    record.verified_at = now if verification is Verification.VERIFIED else None
    session.flush()
    refreshed = refresh_pairs(session, pairs_of_records(session, [record.id]), as_of=now)
    action = ACCEPTED if verification is Verification.VERIFIED else DECLINED
    record_audit(
        session,
        viewer,
        action,
        "learning_record",
        record.id,
        person_id=record.person_id,
        **details,
    )
    return Answer(record.id, record.person_id, verification, refreshed)


def accept(session: Session, viewer: Viewer, record_id: int, now: datetime | None = None) -> Answer:
    """Vouch for a record the viewer was asked about, in the caller's transaction."""
    return _answer(session, viewer, record_id, Verification.VERIFIED, now)


def decline(
    session: Session, viewer: Viewer, record_id: int, reason: str, now: datetime | None = None
) -> Answer:
    """Decline a record the viewer was asked about; the learner is owed a reason."""
    text = reason.strip()
    if not text:
        raise InvalidAnswer("Say why you are declining, so they know what would change it.")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidAnswer(f"Keep the reason under {MAX_REASON_LENGTH:,} characters.")
    return _answer(session, viewer, record_id, Verification.DECLINED, now, reason=text)


def decline_reasons(session: Session, viewer: Viewer, person_id: int) -> dict[int, str]:
    """The latest decline reason of each of the person's declined records, by record id,
    for a viewer who may see the person (an empty dict otherwise)."""
    records = select(LearningRecord.id).where(
        LearningRecord.person_id == person_id,
        LearningRecord.person_id.in_(visible_people(viewer)),
        LearningRecord.verification == Verification.DECLINED,
    )
    ids = {str(record_id) for record_id in session.scalars(records)}
    if not ids:
        return {}
    entries = session.execute(
        select(AuditEntry.target_id, AuditEntry.details)
        .where(
            AuditEntry.action == DECLINED,
            AuditEntry.target_type == "learning_record",
            AuditEntry.target_id.in_(ids),
        )
        .order_by(AuditEntry.occurred_at, AuditEntry.id)
    ).all()
    return {int(target): str(details.get("reason", "")) for target, details in entries}
