"""keep learning goals

A learner's goals: a competency to a level, or a role (a job family's pathway level), each by
an optional date. Removed goals stay, marked removed, for the trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 07:32:12.338280
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ONE_TARGET = (
    "(competency_id IS NOT NULL AND target_level IS NOT NULL"
    " AND job_family_id IS NULL AND target_rank IS NULL)"
    " OR (competency_id IS NULL AND target_level IS NULL"
    " AND job_family_id IS NOT NULL AND target_rank IS NOT NULL)"
)


def upgrade() -> None:
    op.create_table(
        "learning_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=True),
        sa.Column("target_level", sa.Float(), nullable=True),
        sa.Column("job_family_id", sa.Integer(), nullable=True),
        sa.Column("target_rank", sa.Integer(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "achieved",
                "removed",
                name="goal_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("achieved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(ONE_TARGET, name=op.f("ck_learning_goals_one_target")),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competencies.id"],
            name=op.f("fk_learning_goals_competency_id_competencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["job_family_id"],
            ["job_families.id"],
            name=op.f("fk_learning_goals_job_family_id_job_families"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_learning_goals_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_goals")),
    )
    with op.batch_alter_table("learning_goals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_learning_goals_competency_id"), ["competency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learning_goals_job_family_id"), ["job_family_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_learning_goals_person_id"), ["person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("learning_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_goals_person_id"))
        batch_op.drop_index(batch_op.f("ix_learning_goals_job_family_id"))
        batch_op.drop_index(batch_op.f("ix_learning_goals_competency_id"))

    op.drop_table("learning_goals")
