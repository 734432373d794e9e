"""The activity catalogue: formal and informal learning, tagged to competencies."""

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data_model.models.base import Base
from data_model.models.frameworks import Competency
from data_model.models.vocabulary import ActivityKind, Scoring, checked_enum


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("hours IS NULL OR hours >= 0", name="hours_not_negative"),
        CheckConstraint(
            "pass_mark IS NULL OR (pass_mark > 0 AND pass_mark <= 1)", name="pass_mark"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(256), unique=True)
    xapi_iri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(512))
    kind: Mapped[ActivityKind] = mapped_column(checked_enum(ActivityKind, "kind"))
    formal: Mapped[bool]
    provider: Mapped[str | None] = mapped_column(String(256))
    hours: Mapped[float | None] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(String(2048))
    pass_mark: Mapped[float | None] = mapped_column(
        Float, doc="Share of the maximum score that passes; the mastery engine defaults it."
    )
    scoring: Mapped[Scoring | None] = mapped_column(
        checked_enum(Scoring, "scoring"), doc="None: the default for the activity's kind."
    )
    description: Mapped[str] = mapped_column(Text, default="")

    tags: Mapped[list["ActivityCompetency"]] = relationship(
        back_populates="activity", cascade="all, delete-orphan"
    )


class ActivityCompetency(Base):
    """An activity gives evidence of a competency up to a target level."""

    __tablename__ = "activity_competencies"
    __table_args__ = (CheckConstraint("weight > 0", name="weight_positive"),)

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    target_level: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)

    activity: Mapped[Activity] = relationship(back_populates="tags")
    competency: Mapped[Competency] = relationship()
