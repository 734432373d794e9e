"""A manager's attestation: they rate someone below them on one competency, with a note.

The attestation becomes a learning record like any other (source kind attestation, verified by
the manager), so it weighs in the roll-up with the attestation trust weight and shows in the
explanation of the score. Mastery for that pair is refreshed in the same transaction, and the
audit trail records who attested what.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_model.access import NotPermitted, Viewer, as_line_manager, ensure_can_view
from data_model.audit import record_audit
from data_model.database import serialise_writers
from data_model.models import (
    Competency,
    Framework,
    LearningRecord,
    SourceKind,
    Verification,
)
from data_model.rollup import refresh_pairs

MAX_NOTE_LENGTH = 2000


class InvalidAttestation(ValueError):
    """The attestation cannot be recorded as given; the message says what to change."""


@dataclass(frozen=True)
class Attested:
    record_id: int
    person_id: int
    competency_id: int
    rating: float


def attest(
    session: Session,
    viewer: Viewer,
    person_id: int,
    competency_id: int,
    rating: float | None,
    note: str,
    now: datetime | None = None,
) -> Attested:
    """Record the viewer's rating of `person_id` on `competency_id` in the caller's transaction.

    Only someone the person reports to, directly or further up, may attest: an L&D admin's
    wider view does not make them a witness. Never about oneself either (that is a
    self-rating, which weighs far less). The rating must lie on the competency's scale and the
    note must say what the rating rests on.
    """
    if viewer.person_id is None or viewer.person_id == person_id:
        raise NotPermitted
    ensure_can_view(session, as_line_manager(viewer), person_id)
    scale = session.execute(
        select(Framework.scale_min, Framework.scale_max)
        .join(Competency, Competency.framework_id == Framework.id)
        .where(Competency.id == competency_id)
    ).first()
    if scale is None:
        raise InvalidAttestation("That competency is not in any loaded framework.")
    low, high = scale
    if rating is None or not low <= rating <= high:
        raise InvalidAttestation(f"Choose a rating from {low} to {high}.")
    text = note.strip()
    if not text:
        raise InvalidAttestation("Add a note saying what you saw that supports the rating.")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidAttestation(f"Keep the note under {MAX_NOTE_LENGTH:,} characters.")
    serialise_writers(session)
    now = now or datetime.now(UTC)
    record = LearningRecord(
        dedupe_key=f"attestation:{uuid.uuid4().hex}",
        person_id=person_id,
        competency_id=competency_id,
        occurred_at=now,
        rating=float(rating),
        source_kind=SourceKind.ATTESTATION,
        verification=Verification.VERIFIED,
        verified_by_id=viewer.person_id,
        verified_at=now,
        notes=text,
        raw={"entered_by": viewer.email, "rating": float(rating), "note": text},
    )
    session.add(record)
    session.flush()
    refresh_pairs(session, [(person_id, competency_id)], as_of=now)
    record_audit(
        session,
        viewer,
        "attestation",
        "learning_record",
        record.id,
        person_id=person_id,
        competency_id=competency_id,
        rating=float(rating),
    )
    return Attested(record.id, person_id, competency_id, float(rating))
