"""security: a per-user session epoch (logout and password resets end every session and token); fees that
are not finite numbers (a "NaN" PostgreSQL stored before fees were checked) become 0

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
    if op.get_bind().dialect.name == "postgresql":  # SQLite refused NaN; PostgreSQL kept it and JSON broke
        op.execute("UPDATE catalog_items SET fee = 0 WHERE fee = 'NaN' OR fee IN ('Infinity', '-Infinity')")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
