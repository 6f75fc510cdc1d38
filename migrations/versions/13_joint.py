"""joint signing: a catalog item's joint_mode (all 会签 / any 或签 / vote 票签) and vote_share

Existing items keep today's behaviour: every department answers (all).

Revision ID: 13_joint
Revises: 12_context

"""

import sqlalchemy as sa
from alembic import op

revision = "13_joint"
down_revision = "12_context"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalog_items") as batch:
        batch.add_column(sa.Column("joint_mode", sa.String(length=10), nullable=False, server_default="all"))
        batch.add_column(sa.Column("vote_share", sa.Double(), nullable=True))


def downgrade():
    with op.batch_alter_table("catalog_items") as batch:
        batch.drop_column("vote_share")
        batch.drop_column("joint_mode")
