"""Races against a real gunicorn on PostgreSQL: of 100 concurrent completions (or claims by 100
different users) of one task exactly one succeeds, the rest get 409, and the case holds one event."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bench.driver import Driver, http_transport
from bench.servers import gunicorn, prepare, server_env
from engine.kernel.passwords import hash_password
from engine.store.db import make_engine, make_sessionmaker
from engine.store.models import Event, OrgUnit, RoleAssignment, User

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database

CONCURRENCY = 100


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory):
    name = _create_pg_database()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    env = server_env(tmp_path_factory.mktemp("var"), url)
    prepare(env)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:  # 100 colleagues at one township reception
        township = s.scalar(select(OrgUnit).where(OrgUnit.code == "t1"))
        pw = hash_password("demo")
        for n in range(CONCURRENCY):
            user = User(
                username=f"clerk{n}@t1", display_name=f"clerk {n}", password_hash=pw, active=True, created_at=func.now()
            )
            s.add(user)
            s.flush()
            s.add(RoleAssignment(user_id=user.id, role="township_reception", org_unit_id=township.id))
        s.commit()
    with gunicorn(env, workers=4) as base:
        yield base, make_sessionmaker(engine)
    engine.dispose()
    _drop_pg_database(name)


def _events(sessions, case_id, type_):
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Event).where(Event.case_id == case_id, Event.type == type_))


def test_one_of_100_concurrent_completions_wins(pg_server):
    base, sessions = pg_server
    driver = Driver(http_transport(base))
    case = driver.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    task_id = case["open_tasks"][0]["id"]
    token = driver.token("village_agent@t1-v1")
    send = http_transport(base)
    body = {"data": {"materials_complete": True, "commission_signed": True}}
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(
            pool.map(lambda _: send("POST", f"/api/v1/tasks/{task_id}/complete", token, body)[0], range(CONCURRENCY))
        )
    print(f"\n{CONCURRENCY} concurrent completions: {statuses.count(200)} x 200, {statuses.count(409)} x 409")
    assert statuses.count(200) == 1 and statuses.count(409) == CONCURRENCY - 1
    assert _events(sessions, case["id"], "task_completed") == 1
    after = driver.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v1")
    assert [t["task"] for t in after["open_tasks"]] == ["township_review"]


def test_one_of_100_colleagues_claiming_at_once_wins(pg_server):
    base, sessions = pg_server
    driver = Driver(http_transport(base))
    case = driver.open_case("village_agent@t1-v2", "temporary-aid", "t1-v2")
    first = case["open_tasks"][0]
    case = driver.call(
        "POST",
        f"/api/v1/tasks/{first['id']}/complete",
        "village_agent@t1-v2",
        {"data": {"materials_complete": True, "commission_signed": True}},
    )
    task_id = case["open_tasks"][0]["id"]
    tokens = [driver.token(f"clerk{n}@t1") for n in range(CONCURRENCY)]
    send = http_transport(base)
    with ThreadPoolExecutor(max_workers=32) as pool:
        statuses = list(pool.map(lambda t: send("POST", f"/api/v1/tasks/{task_id}/claim", t, None)[0], tokens))
    print(f"\n{CONCURRENCY} concurrent claims: {statuses.count(200)} x 200, {statuses.count(409)} x 409")
    assert statuses.count(200) == 1 and statuses.count(409) == CONCURRENCY - 1
    assert _events(sessions, case["id"], "task_claimed") == 1
