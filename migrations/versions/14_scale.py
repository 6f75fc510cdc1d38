"""scale: the index of late open work (ix_tasks_late), and the units of a case's tasks in ix_tasks_case

Revision ID: 14_scale
Revises: 13_phone

At five million items (one million open):
- the due-soon and overdue tabs, and the overseers' overdue work, read the open tasks whose deadline
  timers have fired from their own small partial index instead of filtering the whole open set on every
  request (built in about 2 s on the 5M-case bench database, 15M task rows);
- "did this unit hold one of the case's tasks" (who may see a case) is answered from ix_tasks_case alone
  for each match of a search (built again with org_unit_id: about 15 s there, writes to tasks wait
  meanwhile).
"""

import sqlalchemy as sa
from alembic import op

revision = "14_scale"
down_revision = "13_phone"
branch_labels = None
depends_on = None

LATE = "state = 'ready' AND due_state IS NOT NULL"


def upgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_case")
        batch_op.create_index("ix_tasks_case", ["case_id", "state", "org_unit_id"], unique=False)
        batch_op.create_index(
            "ix_tasks_late",
            ["due_state", "due_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text(LATE),
            sqlite_where=sa.text(LATE),
        )


def downgrade():
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_late")
        batch_op.drop_index("ix_tasks_case")
        batch_op.create_index("ix_tasks_case", ["case_id", "state"], unique=False)
