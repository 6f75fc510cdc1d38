"""On PostgreSQL a request that wrote nothing ends with COMMIT, so psycopg keeps its prepared
statements (it drops them all on ROLLBACK); a request that wrote and did not commit still rolls back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, text

from bench.driver import Driver

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database, load_demo_database


@pytest.fixture(scope="module")
def pg_app():
    from web.app import create_app

    name = _create_pg_database()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    load_demo_database(url).dispose()
    # One pooled connection: what one request prepares, the next one finds.
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "SECURE_COOKIES": False,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
        }
    )
    yield app
    from web.extensions import db

    with app.app_context():
        db.engine.dispose()
    _drop_pg_database(name)


def test_read_only_requests_commit_and_keep_prepared_statements(pg_app):
    from web.extensions import db

    client = pg_app.test_client()

    def transport(method, path, token, body):
        response = client.open(
            path, method=method, json=body, headers={"Authorization": f"Bearer {token}"} if token else {}
        )
        return response.status_code, response.get_json(silent=True) or {}

    api = Driver(transport)
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    task = case["open_tasks"][0]
    with pg_app.app_context():
        engine = db.engine
    ends = []
    event.listen(engine, "commit", lambda conn: ends.append("commit"))
    event.listen(engine, "rollback", lambda conn: ends.append("rollback"))
    for _ in range(8):
        api.call("GET", f"/api/v1/tasks/{task['id']}", "village_agent@t1-v1")
    assert ends and set(ends) == {"commit"}
    with engine.connect() as conn:  # the pool's only connection, as the requests left it
        prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    assert prepared > 0


def test_a_request_that_wrote_without_committing_still_rolls_back(pg_app):
    from engine.store.models import Event
    from web.extensions import db

    with pg_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Event))
    with pg_app.app_context():
        db.session.add(Event(case_id=None, at=datetime.now(UTC), actor="system", type="demo_county_loaded", detail={}))
        db.session.flush()  # written, never committed: the teardown must not commit it
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == before
