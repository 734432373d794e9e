"""index learning records by person, competency and activity

Refreshing mastery for a few hundred (person, competency) pairs, after an attestation, a
verification or a small import, reads only those pairs' records: records that name the
competency, found by person and competency, and tagged records (no competency named), found
by person and the competency's activities. Without this index PostgreSQL reads every record
of the pairs' people to find them, most of the table's pages for a thousand pairs. A plain
composite index, so SQLite and PostgreSQL get the same one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("learning_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learning_records_person_id_competency_id_activity_id"),
            ["person_id", "competency_id", "activity_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("learning_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_records_person_id_competency_id_activity_id"))
