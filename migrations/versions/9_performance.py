"""performance: inbox indexes, the task context column, the org path pattern index

Revision ID: 9_performance
Revises: 7_supervision

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9_performance"
down_revision = "8_audit"
branch_labels = None
depends_on = None

AVAILABLE = "state = 'ready' AND assignee_id IS NULL"
DONE = "state = 'completed'"


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("context", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"), nullable=True)
        )
        batch_op.create_index(
            "ix_tasks_available",
            ["role", "org_unit_id", "due_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text(AVAILABLE),
            sqlite_where=sa.text(AVAILABLE),
        )
        batch_op.create_index(
            "ix_tasks_done",
            ["completed_by_id", "completed_at"],
            unique=False,
            postgresql_where=sa.text(DONE),
            sqlite_where=sa.text(DONE),
        )
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_units_path_pattern", ["path"], unique=False, postgresql_ops={"path": "varchar_pattern_ops"}
        )


def downgrade():
    with op.batch_alter_table("org_units", schema=None) as batch_op:
        batch_op.drop_index("ix_org_units_path_pattern")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_done", sqlite_where=sa.text(DONE))
        batch_op.drop_index("ix_tasks_available", sqlite_where=sa.text(AVAILABLE))
        batch_op.drop_column("context")
