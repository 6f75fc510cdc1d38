"""case search: trigram (pg_trgm) GIN indexes on the resident's name and phone and the request on
PostgreSQL (plain indexes on SQLite, which has no GIN and scans for LIKE '%…%')

Trigram rather than full-text search: residents' names and requests are Chinese, which PostgreSQL's
full-text parsers do not split into words without an extra extension (zhparser), while a trigram index
serves any substring (a name fragment, the phone's last four digits, a word of the request) with
ILIKE '%…%'.

Revision ID: 12_context
Revises: 12_notify

"""

from alembic import op

revision = "12_context"
down_revision = "12_notify"
branch_labels = None
depends_on = None

COLUMNS = ("resident_name", "resident_phone", "summary")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # needs a role allowed to create it
    for column in COLUMNS:
        op.create_index(
            f"ix_cases_{column}_trgm",
            "cases",
            [column],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    for column in COLUMNS:
        op.drop_index(f"ix_cases_{column}_trgm", table_name="cases")
