"""scale: the index of late open work (ix_tasks_late), and a case's tasks with their units (ix_tasks_case_unit)

Revision ID: 14_scale
Revises: 13_phone

At five million items (one million open):
- the due-soon and overdue tabs, and the overseers' overdue work, read the open tasks whose deadline
  timers have fired from their own small partial index instead of filtering the whole open set on every
  request (about 2 s to build on the 5M-case bench database, 15M task rows);
- "did this unit hold one of the case's tasks" (who may see a case) is answered from ix_tasks_case_unit
  alone for each match of a search (about 15 s there); it starts with ix_tasks_case's columns, which
  goes.

On PostgreSQL both are built CONCURRENTLY, outside the migration's transaction: the tasks table keeps
taking writes meanwhile, so old and new nodes run side by side during a rolling upgrade.
"""

import sqlalchemy as sa
from alembic import op

revision = "14_scale"
down_revision = "13_phone"
branch_labels = None
depends_on = None

LATE = "state = 'ready' AND due_state IS NOT NULL"


def upgrade():
    concurrently = op.get_bind().dialect.name == "postgresql"
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_tasks_late",
            "tasks",
            ["due_state", "due_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text(LATE),
            sqlite_where=sa.text(LATE),
            postgresql_concurrently=concurrently,
        )
        op.create_index(
            "ix_tasks_case_unit",
            "tasks",
            ["case_id", "state", "org_unit_id"],
            unique=False,
            postgresql_concurrently=concurrently,
        )
        op.drop_index("ix_tasks_case", table_name="tasks", postgresql_concurrently=concurrently)


def downgrade():
    op.create_index("ix_tasks_case", "tasks", ["case_id", "state"], unique=False)
    op.drop_index("ix_tasks_case_unit", table_name="tasks")
    op.drop_index("ix_tasks_late", table_name="tasks")
