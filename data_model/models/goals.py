"""Learning goals a learner sets: a competency to a level, or a role (a job family's level)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data_model.models.base import Base, UTCDateTime, utc_now
from data_model.models.vocabulary import checked_enum


class GoalStatus(StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    REMOVED = "removed"


class LearningGoal(Base):
    """One goal of one person. Exactly one target: a competency with a level, or a job family
    with a pathway rank (the person's own family or another). Removed goals are kept, so the
    trail of what someone aimed for survives; only active and achieved ones are shown."""

    __tablename__ = "learning_goals"
    __table_args__ = (
        CheckConstraint(
            "(competency_id IS NOT NULL AND target_level IS NOT NULL"
            " AND job_family_id IS NULL AND target_rank IS NULL)"
            " OR (competency_id IS NULL AND target_level IS NULL"
            " AND job_family_id IS NOT NULL AND target_rank IS NOT NULL)",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    competency_id: Mapped[int | None] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), index=True
    )
    target_level: Mapped[float | None] = mapped_column(Float)
    job_family_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_families.id", ondelete="CASCADE"), index=True
    )
    target_rank: Mapped[int | None]
    target_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[GoalStatus] = mapped_column(
        checked_enum(GoalStatus, "goal_status"), default=GoalStatus.ACTIVE
    )
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    achieved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
