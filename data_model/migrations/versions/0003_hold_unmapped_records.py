"""hold unmapped records and remember mappings

Records whose person or activity is unknown wait in unmapped_records until an L&D admin maps
the key (key_aliases keeps the mapping for future imports); column_mappings keeps the column
mappings of other LMS exports for next time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:06:32.257120
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "column_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "mapping",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column("saved_by", sa.String(length=320), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_mappings")),
        sa.UniqueConstraint("name", name=op.f("uq_column_mappings_name")),
    )
    op.create_table(
        "key_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=2048), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("mapped_by", sa.String(length=320), nullable=False),
        sa.Column("mapped_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_aliases")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_key_aliases_kind_key")),
    )
    op.create_table(
        "unmapped_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=2048), nullable=False),
        sa.Column(
            "record",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "raw",
            sa.JSON(none_as_null=True).with_variant(
                postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["import_batches.id"],
            name=op.f("fk_unmapped_records_batch_id_import_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmapped_records")),
    )
    with op.batch_alter_table("unmapped_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unmapped_records_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_unmapped_records_kind_key"), ["kind", "key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unmapped_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmapped_records_kind_key"))
        batch_op.drop_index(batch_op.f("ix_unmapped_records_batch_id"))

    op.drop_table("unmapped_records")
    op.drop_table("key_aliases")
    op.drop_table("column_mappings")
