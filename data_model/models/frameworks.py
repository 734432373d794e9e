"""Competency frameworks, their proficiency scale, and the career pathways built on them."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data_model.models.base import Base, JsonDocument, UTCDateTime, utc_now
from data_model.models.vocabulary import CompetencyCategory, checked_enum


class Framework(Base):
    __tablename__ = "frameworks"
    __table_args__ = (
        CheckConstraint("scale_min < scale_max", name="scale_ordered"),
        CheckConstraint(
            "proficient_level >= scale_min AND proficient_level <= scale_max",
            name="proficient_on_scale",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")
    scale_min: Mapped[int] = mapped_column(default=0)
    scale_max: Mapped[int] = mapped_column(default=5)
    proficient_level: Mapped[int] = mapped_column(default=3)
    scale_labels: Mapped[dict[str, str]] = mapped_column(
        JsonDocument, default=dict, doc="Label per level, keyed by the level as text."
    )
    mastery_settings: Mapped[dict[str, Any]] = mapped_column(
        JsonDocument, default=dict, doc="Method, half-life, trust weights, minimum support."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    competencies: Mapped[list["Competency"]] = relationship(back_populates="framework")
    job_families: Mapped[list["JobFamily"]] = relationship(back_populates="framework")


class Competency(Base):
    __tablename__ = "competencies"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    category: Mapped[CompetencyCategory] = mapped_column(
        checked_enum(CompetencyCategory, "category")
    )
    description: Mapped[str] = mapped_column(Text, default="")
    mastery_settings: Mapped[dict[str, Any]] = mapped_column(
        JsonDocument, default=dict, doc="Overrides of the framework's mastery settings."
    )

    framework: Mapped[Framework] = relationship(back_populates="competencies")
    descriptors: Mapped[list["LevelDescriptor"]] = relationship(
        back_populates="competency", cascade="all, delete-orphan", order_by="LevelDescriptor.level"
    )


class LevelDescriptor(Base):
    """What proficiency at one level of the scale looks like for one competency."""

    __tablename__ = "level_descriptors"

    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(Text)

    competency: Mapped[Competency] = relationship(back_populates="descriptors")


class JobFamily(Base):
    __tablename__ = "job_families"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")

    framework: Mapped[Framework] = relationship(back_populates="job_families")
    levels: Mapped[list["PathwayLevel"]] = relationship(
        back_populates="job_family", cascade="all, delete-orphan", order_by="PathwayLevel.rank"
    )


class PathwayLevel(Base):
    __tablename__ = "pathway_levels"
    __table_args__ = (UniqueConstraint("job_family_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_family_id: Mapped[int] = mapped_column(ForeignKey("job_families.id", ondelete="CASCADE"))
    rank: Mapped[int]
    title: Mapped[str] = mapped_column(String(256))
    description: Mapped[str] = mapped_column(Text, default="")

    job_family: Mapped[JobFamily] = relationship(back_populates="levels")
    requirements: Mapped[list["LevelRequirement"]] = relationship(
        back_populates="level", cascade="all, delete-orphan"
    )


class LevelRequirement(Base):
    __tablename__ = "level_requirements"
    __table_args__ = (
        UniqueConstraint("level_id", "competency_id"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("pathway_levels.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(
        ForeignKey("competencies.id", ondelete="CASCADE"), index=True
    )
    required_level: Mapped[float] = mapped_column(Float)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    critical: Mapped[bool] = mapped_column(default=False)

    level: Mapped[PathwayLevel] = relationship(back_populates="requirements")
    competency: Mapped[Competency] = relationship()
