"""work reaches people: notifications, urges (催办), case readers (抄送), the SMS outbox

Revision ID: 12_notify
Revises: 12_asking

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "12_notify"
down_revision = "12_asking"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
AT = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "notifications",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", AT, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("case_id", BIG, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("read_at", AT, nullable=True),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "id"])
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "urges",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("case_id", BIG, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=False),
        sa.Column("urger_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", AT, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.UniqueConstraint("task_id", "urger_id", "day"),
    )
    op.create_index("ix_urges_case", "urges", ["case_id"])
    op.create_table(
        "case_readers",
        sa.Column("case_id", BIG, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("added_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", AT, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_case_readers_user_id", "case_readers", ["user_id"])
    op.create_table(
        "sms_outbox",
        sa.Column("id", BIG, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("case_id", BIG, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("to", sa.String(20), nullable=False),
        sa.Column("template", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("receipt_code", sa.String(32), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", AT, nullable=False),
        sa.Column("next_try_at", AT, nullable=False),
        sa.Column("sent_at", AT, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
    )
    op.create_index("ix_sms_outbox_case_id", "sms_outbox", ["case_id"])
    op.create_index(
        "ix_sms_outbox_due",
        "sms_outbox",
        ["next_try_at"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def downgrade():
    op.drop_table("sms_outbox")
    op.drop_table("case_readers")
    op.drop_table("urges")
    op.drop_table("notifications")
