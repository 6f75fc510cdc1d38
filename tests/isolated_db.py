"""Tests that change shared data (org tree, catalog, calendar, or every endpoint as admin) get
their own fresh demo database per module (same backend), so the shared one other tests count on stays as loaded.

A module imports `demo_db` and `app` from here; they shadow the session-wide fixtures of conftest."""

import pytest

from engine.store.db import make_sessionmaker

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database, load_demo_database


@pytest.fixture(scope="module")
def own_database_url(database_url, tmp_path_factory):
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('admin') / 'daiban.sqlite3'}"
        return
    name = _create_pg_database()
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    _drop_pg_database(name)


@pytest.fixture(scope="module")
def demo_db(own_database_url):
    engine = load_demo_database(own_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def app(demo_db, own_database_url):
    from web.app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": own_database_url, "SECRET_KEY": "test-secret", "TESTING": True})
    yield app
    from web.extensions import db

    with app.app_context():
        db.engine.dispose()
