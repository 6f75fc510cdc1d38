"""Shared fixtures: every engine and web test runs on SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from engine.asking.demo import load_demo_households
from engine.cases.calendar_admin import sync_calendar
from engine.library.catalog import sync_catalog
from engine.library.processes import deploy_from_files
from engine.org.org import load_demo_county
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import Base, User

# The real server and Chromium for browser tests, as module fixtures (tests/browser.py).
pytest_plugins = ["tests.browser"]

PG_ADMIN_URL = os.environ.get("DAIBAN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _create_pg_database() -> str:
    name = f"daiban_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request, tmp_path_factory):
    """A fresh, empty database per backend for the whole run."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'daiban.sqlite3'}"
        return
    name = _create_pg_database()
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    _drop_pg_database(name)


def load_demo_database(url: str):
    """Create the schema and load the demo county, catalog, calendar and process library; returns the engine."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as session:
        load_demo_county(session)
        load_demo_households(session)
        sync_catalog(session)
        sync_calendar(session)
        deploy_from_files(session)
        session.commit()
    return engine


@pytest.fixture(scope="session")
def demo_db(database_url):
    """The demo county, catalog and process library in the backend's database."""
    engine = load_demo_database(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def session(demo_db):
    with demo_db() as s:
        yield s


@pytest.fixture
def user(session):
    def get(username: str) -> User:
        return session.scalar(select(User).where(User.username == username))

    return get


@pytest.fixture(scope="session")
def app(demo_db, database_url):
    from web.app import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret", "TESTING": True, "SECURE_COOKIES": False}
    )
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    """The API driver over Flask's test client (the same driver runs over HTTP in bench/)."""
    from bench.driver import Driver

    def transport(method, path, token, body):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.open(path, method=method, json=body, headers=headers)
        return response.status_code, response.get_json(silent=True) or {}

    return Driver(transport)


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def login(app):
    def as_user(username, password="demo"):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        response = client.post(
            "/login", data={"username": username, "password": password, "csrf_token": csrf_token(page)}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return as_user
