"""security: a per-user session epoch (logout and password resets end every session and token)

Revision ID: 12_security
Revises: 11_deadline_basis

"""

import sqlalchemy as sa
from alembic import op

revision = "12_security"
down_revision = "11_deadline_basis"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
