"""Materialised mastery: one row per person and competency, kept current by the roll-up."""

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data_model.models.base import Base, JsonDocument, UTCDateTime, utc_now


class MasteryScore(Base):
    __tablename__ = "mastery"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    method: Mapped[str] = mapped_column(String(64))
    mastery: Mapped[float | None] = mapped_column(Float, doc="None where the method gives none.")
    support: Mapped[float] = mapped_column(Float, default=0.0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    evidence_count: Mapped[int] = mapped_column(default=0)
    last_evidence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    p_levels: Mapped[list[float]] = mapped_column(
        JsonDocument, default=list, doc="p_L for L = 1 .. scale max: the share supporting L."
    )
    support_levels: Mapped[list[float]] = mapped_column(
        JsonDocument, default=list, doc="support_L, the relevant weight at each level, as of as_of."
    )
    as_of: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utc_now, doc="The date the weights were computed for."
    )
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
