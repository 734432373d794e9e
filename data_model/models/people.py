"""The roster: people, their reporting line, and the roles granted to them."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from data_model.models.base import Base, JsonDocument, UTCDateTime, utc_now
from data_model.models.vocabulary import Role, checked_enum


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    job_family_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_families.id", ondelete="SET NULL"), index=True
    )
    title_level: Mapped[int | None] = mapped_column(
        doc="The HR level, as a pathway rank in the person's job family."
    )
    department: Mapped[str | None] = mapped_column(String(128), index=True)
    location: Mapped[str | None] = mapped_column(String(128), index=True)
    hire_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JsonDocument, default=dict, doc="Any other roster columns, kept as they came."
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    manager: Mapped["Person | None"] = relationship(remote_side=[id], back_populates="reports")
    reports: Mapped[list["Person"]] = relationship(back_populates="manager")


class RoleGrant(Base):
    """A role granted to an email address, so it can be given before the person signs in."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("email", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(checked_enum(Role, "role"))
    granted_by: Mapped[str] = mapped_column(String(320))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
