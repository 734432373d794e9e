"""Learning records: one piece of evidence each, formal or informal, kept with its raw input."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data_model.models.base import Base, BigId, JsonDocument, UTCDateTime, utc_now
from data_model.models.vocabulary import SourceKind, Verification, checked_enum


class LearningRecord(Base):
    __tablename__ = "learning_records"
    __table_args__ = (
        CheckConstraint(
            "activity_id IS NOT NULL OR competency_id IS NOT NULL", name="activity_or_competency"
        ),
        CheckConstraint("max_score IS NULL OR max_score > 0", name="max_score_positive"),
        Index(None, "person_id", "occurred_at"),
        Index(None, "source_kind", "verification"),
        Index(None, "person_id", "competency_id", "activity_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(
        String(128),
        unique=True,
        doc="The source's record or statement id, else a hash of the normalised row.",
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="RESTRICT"), index=True
    )
    competency_id: Mapped[int | None] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"),
        index=True,
        doc="Set when the record rates a competency directly (an attestation, a self-rating).",
    )
    occurred_at: Mapped[datetime] = mapped_column(
        UTCDateTime, doc="When the skill was shown, not when it was imported."
    )
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None]
    completed: Mapped[bool | None]
    source_kind: Mapped[SourceKind] = mapped_column(checked_enum(SourceKind, "source_kind"))
    verification: Mapped[Verification] = mapped_column(
        checked_enum(Verification, "verification"), default=Verification.NOT_NEEDED
    )
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"),
        index=True,
        doc="Who vouched for the record, or, while pending, who was asked to.",
    )
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[date | None] = mapped_column(Date)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[dict[str, Any] | None] = mapped_column(
        JsonDocument, doc="The input row or statement exactly as it came."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
