"""Import batches and the rows they could not take, so nothing read is ever lost."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data_model.models.base import Base, BigId, JsonDocument, UTCDateTime, utc_now
from data_model.models.vocabulary import BatchStatus, checked_enum


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_by: Mapped[str] = mapped_column(String(320))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_loaded: Mapped[int] = mapped_column(default=0)
    rows_duplicate: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    rows_unmapped: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    status: Mapped[BatchStatus] = mapped_column(
        checked_enum(BatchStatus, "status"), default=BatchStatus.RUNNING
    )


class RejectedRow(Base):
    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int]
    raw: Mapped[dict[str, Any] | list[Any] | str | None] = mapped_column(JsonDocument)
    field: Mapped[str | None] = mapped_column(String(256))
    reason: Mapped[str] = mapped_column(Text)


class UnmappedRecord(Base):
    """A record held back because its person or activity is not known yet; it applies, in its
    original batch, once an L&D admin maps the unknown key."""

    __tablename__ = "unmapped_records"
    __table_args__ = (Index(None, "kind", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16), doc="person, activity or competency")
    key: Mapped[str] = mapped_column(String(2048), doc="The identifier nobody recognised.")
    record: Mapped[dict[str, Any]] = mapped_column(
        JsonDocument, doc="The record as read, ready to apply once the key is mapped."
    )
    raw: Mapped[dict[str, Any] | list[Any] | str | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class KeyAlias(Base):
    """An identifier from outside (an LMS user name, an xAPI IRI) mapped to our own entity."""

    __tablename__ = "key_aliases"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(2048))
    target_id: Mapped[int]
    mapped_by: Mapped[str] = mapped_column(String(320))
    mapped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class ColumnMapping(Base):
    """A saved mapping from Pathwise's record fields to another export's column names."""

    __tablename__ = "column_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    mapping: Mapped[dict[str, str]] = mapped_column(JsonDocument)
    saved_by: Mapped[str] = mapped_column(String(320))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
