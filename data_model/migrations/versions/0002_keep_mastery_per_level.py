"""keep mastery per level

The materialised mastery table now keeps p_L and support_L per level and the as-of date of its
weights, so that readiness, gaps and fading support can be read without the records. The table
is derived data: its rows are dropped here and `python -m data_model recompute` refills them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:35:31.912267
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)


def upgrade() -> None:
    op.execute("DELETE FROM mastery")
    with op.batch_alter_table("mastery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("p_levels", JSON_DOCUMENT, nullable=False))
        batch_op.add_column(sa.Column("support_levels", JSON_DOCUMENT, nullable=False))
        batch_op.add_column(sa.Column("as_of", sa.DateTime(timezone=True), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("mastery", schema=None) as batch_op:
        batch_op.drop_column("as_of")
        batch_op.drop_column("support_levels")
        batch_op.drop_column("p_levels")
