"""ratings on the 好差评 scale kept side by side, rectifications (整改) of a 差评, and the date
materials were promised by under 容缺受理 (with when it passed unmet)

The agent's recorded rating stays in cases.rating; the resident's own goes to the new
cases.resident_rating. Before, the resident's rating overwrote the agent's: for every item the
resident rated, their rating moves to resident_rating (from the resident_rated event) and the agent's
is restored from the reply step's completion event (NULL when none recorded one). The old three-value
scale (satisfied, basically_satisfied, dissatisfied) is part of the new five-value one, codes unchanged.

Revision ID: 13_ratings
Revises: 13_joint

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "13_ratings"
down_revision = "13_joint"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
AT = sa.DateTime(timezone=True)

events = sa.table(
    "events",
    sa.column("id", BIG),
    sa.column("case_id", BIG),
    sa.column("type", sa.String),
    sa.column("at", AT),
    sa.column("detail", JSON),
)
cases = sa.table("cases", sa.column("id", BIG), sa.column("rating", sa.String), sa.column("resident_rating", sa.String))


def upgrade():
    op.add_column("cases", sa.Column("resident_rating", sa.String(30), nullable=True))
    op.add_column("cases", sa.Column("materials_promised_by", sa.Date(), nullable=True))
    op.add_column("cases", sa.Column("materials_promise_broken_at", AT, nullable=True))
    op.create_table(
        "rectifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", BIG, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("township_id", sa.Integer(), sa.ForeignKey("org_units.id"), nullable=False),
        sa.Column("rating", sa.String(30), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("opened_at", AT, nullable=False),
        sa.Column("due_at", AT, nullable=False),
        sa.Column("callback_result", sa.Text(), nullable=True),
        sa.Column("closed_at", AT, nullable=True),
        sa.Column("closed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index("ix_rectifications_case_id", "rectifications", ["case_id"])
    op.create_index("ix_rectifications_township_status", "rectifications", ["township_id", "status"])
    op.create_index("ix_rectifications_unit_status", "rectifications", ["unit_id", "status"])
    op.create_index("ix_rectifications_status_due", "rectifications", ["status", "due_at"])
    _separate_the_ratings()


def _separate_the_ratings():
    bind = op.get_bind()
    rated = bind.execute(
        sa.select(events.c.case_id, events.c.detail)
        .where(events.c.type == "resident_rated")
        .order_by(events.c.at, events.c.id)
    ).all()
    residents = {case_id: (detail or {}).get("rating") for case_id, detail in rated}
    for case_id, resident in residents.items():
        replies = bind.execute(
            sa.select(events.c.detail)
            .where(events.c.case_id == case_id, events.c.type == "task_completed")
            .order_by(events.c.at, events.c.id)
        ).scalars()
        agent = None
        for detail in replies:
            data = (detail or {}).get("data") or {}
            if isinstance(data.get("rating"), str):
                agent = data["rating"]
        bind.execute(cases.update().where(cases.c.id == case_id).values(rating=agent, resident_rating=resident))


def downgrade():
    bind = op.get_bind()
    bind.execute(
        cases.update()
        .where(cases.c.resident_rating.is_not(None))
        .values(rating=cases.c.resident_rating)  # before, the resident's rating replaced the agent's
    )
    for name in (
        "ix_rectifications_status_due",
        "ix_rectifications_unit_status",
        "ix_rectifications_township_status",
        "ix_rectifications_case_id",
    ):
        op.drop_index(name, table_name="rectifications")
    op.drop_table("rectifications")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("materials_promise_broken_at")
        batch.drop_column("materials_promised_by")
        batch.drop_column("resident_rating")
