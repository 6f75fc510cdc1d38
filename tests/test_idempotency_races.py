"""Concurrent duplicates over HTTP against a real gunicorn (4 workers) on PostgreSQL: 30 phones' retries of one
new item with one Idempotency-Key, sent at once, open exactly one item; each answer is the item (201, the
winner or a replay) or a 409 to retry, never a 5xx; a retry afterwards replays the same item."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bench.driver import Driver, http_transport
from bench.servers import gunicorn, prepare, server_env
from engine.store.db import make_engine, make_sessionmaker
from engine.store.device_tables import IdempotencyKey
from engine.store.models import Case

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database

CONCURRENCY = 30
AGENT = "village_agent@t1-v1"


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory):
    name = _create_pg_database()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    env = server_env(tmp_path_factory.mktemp("var"), url)
    prepare(env)
    engine = make_engine(url)
    with gunicorn(env, workers=4) as base:
        yield base, make_sessionmaker(engine)
    engine.dispose()
    _drop_pg_database(name)


def _post(base, token, key, body):
    request = urllib.request.Request(
        base + "/api/v1/cases",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_thirty_concurrent_duplicates_open_one_item_and_none_fails_with_5xx(pg_server):
    base, sessions = pg_server
    token = Driver(http_transport(base)).token(AGENT)
    body = {
        "catalog_code": "temporary-aid",
        "resident": {"name": "许并发", "phone": "13800008888", "village": "t1-v1"},
        "summary": "并发重复提交",
    }
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        answers = list(pool.map(lambda _: _post(base, token, "race-key-1", body), range(CONCURRENCY)))
    statuses = [status for status, _ in answers]
    print(f"\n{CONCURRENCY} concurrent duplicates: {statuses.count(201)} x 201, {statuses.count(409)} x 409")
    assert set(statuses) <= {201, 409}, statuses
    assert len({answer["id"] for status, answer in answers if status == 201}) == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.resident_name == "许并发")) == 1
        assert s.scalar(select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == "race-key-1")) == 1
    status, again = _post(base, token, "race-key-1", body)
    assert status == 201 and again["id"] == next(a["id"] for s, a in answers if s == 201)
