"""staff texts: a staff member's mobile and the notification kinds they also want on it (null: the
defaults), and the staff member an outbox text is for (null: a resident)

Revision ID: 13_staff_texts
Revises: 13_ratings

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "13_staff_texts"
down_revision = "13_ratings"
branch_labels = None
depends_on = None


def upgrade():
    json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("phone_kinds", json, nullable=True))
    with op.batch_alter_table("sms_outbox") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_sms_outbox_user_id_users", "users", ["user_id"], ["id"])


def downgrade():
    with op.batch_alter_table("sms_outbox") as batch:
        batch.drop_constraint("fk_sms_outbox_user_id_users", type_="foreignkey")
        batch.drop_column("user_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_kinds")
        batch.drop_column("phone")
