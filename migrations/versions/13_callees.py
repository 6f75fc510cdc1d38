"""call activities across the library: a diagram version pins the processes it calls (BPMN XML by
process id), as it pins its decision tables

Revision ID: 13_callees
Revises: 13_staff_texts

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "13_callees"
down_revision = "13_staff_texts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "callees",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )


def downgrade():
    with op.batch_alter_table("process_versions", schema=None) as batch_op:
        batch_op.drop_column("callees")
