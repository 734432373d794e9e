"""The audit trail: who did what, and when, to anything a viewer must be able to trust."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from data_model.models.base import Base, BigId, JsonDocument, UTCDateTime, utc_now


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index(None, "actor", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(320), doc="An email, or 'operator' for the CLI.")
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
