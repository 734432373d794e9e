"""index the self-claimed records

Pathway reads look for the records a person may have claimed themselves (self reports, and
learning still pending verification) by source kind and verification state; an index on the
two lets a small group's read find them without scanning every record. A plain composite
index, so SQLite and PostgreSQL get the same one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 08:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("learning_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learning_records_source_kind_verification"),
            ["source_kind", "verification"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("learning_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_records_source_kind_verification"))
