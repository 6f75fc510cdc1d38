"""events are append-only: database triggers refuse UPDATE, DELETE (and TRUNCATE)

Revision ID: 8_audit
Revises: 7_supervision
"""

from alembic import op

from engine.store.audit import statements

revision = "8_audit"
down_revision = "7_supervision"
branch_labels = None
depends_on = None


def upgrade():
    for sql in statements(op.get_bind().dialect.name):
        op.execute(sql)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP FUNCTION IF EXISTS daiban_events_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
