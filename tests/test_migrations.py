"""Alembic migrations create exactly the schema of the models, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect

from engine.store.models import Base
from web.app import MIGRATIONS, create_app

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database


def _check(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS))
    engine = create_engine(url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert {"cases", "tasks", "events", "org_units", "users", "process_versions", "catalog_items"} <= tables


def test_migrations_match_models_on_sqlite(tmp_path):
    _check(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")


def test_migrations_match_models_on_postgresql():
    name = _create_pg_database()
    try:
        _check(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    finally:
        _drop_pg_database(name)
