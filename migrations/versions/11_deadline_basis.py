"""deadline basis: what a case's deadline was counted from (moment and working days); timers by case

Revision ID: 11_deadline_basis
Revises: 9_performance

"""

import sqlalchemy as sa
from alembic import op

revision = "11_deadline_basis"
down_revision = "9_performance"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_from", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("due_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index("ix_timers_case", ["case_id"], unique=False)


def downgrade():
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index("ix_timers_case")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("due_days")
        batch_op.drop_column("due_from")
