"""Races between different commands on one item, against a real gunicorn on SQLite and on
PostgreSQL: 50 concurrent completions, a claim against a return, adding a department while the
departments answer, the township's batch receipt against the window handing the result over
itself. Each lost race is a 409 (never a 5xx) with nothing applied, and afterwards every item is
consistent (engine/read/consistency.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from bench.driver import Driver, http_transport
from bench.servers import gunicorn, prepare, server_env
from engine.read.consistency import check_consistency
from engine.store.db import make_engine, make_sessionmaker

from .conftest import PG_ADMIN_URL, _create_pg_database, _drop_pg_database

ACCEPT = {"materials_complete": True, "commission_signed": True}
CONCURRENT = 50


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(request, tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    name = None
    if request.param == "postgres":
        name = _create_pg_database()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{var / 'races.sqlite3'}"
    env = server_env(var, url)
    prepare(env)
    engine = make_engine(url)
    with gunicorn(env, workers=4) as base:
        yield base, make_sessionmaker(engine)
    engine.dispose()
    if name:
        _drop_pg_database(name)


def _at_once(*calls):
    """Run the calls together (released by one barrier); their HTTP statuses in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()[0]

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _consistent(sessions) -> None:
    with sessions() as s:
        assert check_consistency(s) == []


def _to_departments(driver: Driver, village: str) -> dict:
    """A joint county item sorted to its departments (three of them, and the window's notice)."""
    case = driver.open_case(f"village_agent@{village}", "house-building", village)
    return driver.run_to_end(case, until="handle_in_department")[0]


def test_of_50_concurrent_completions_one_wins_and_the_rest_get_409(server):
    base, sessions = server
    driver, send = Driver(http_transport(base)), http_transport(base)
    case = driver.open_case("village_agent@t1-v1", "temporary-aid", "t1-v1")
    task_id = case["open_tasks"][0]["id"]
    token = driver.token("village_agent@t1-v1")
    call = lambda: send("POST", f"/api/v1/tasks/{task_id}/complete", token, {"data": ACCEPT})  # noqa: E731
    statuses = _at_once(*[call] * CONCURRENT)
    assert sorted(set(statuses)) == [200, 409] and statuses.count(200) == 1, statuses
    _consistent(sessions)


def test_a_claim_against_a_return_gives_one_winner(server):
    base, sessions = server
    driver, send = Driver(http_transport(base)), http_transport(base)
    for village in ("t1-v1", "t1-v2", "t1-v3"):
        case = driver.open_case(f"village_agent@{village}", "temporary-aid", village)
        case = driver.step(case, {"accept_item": ACCEPT})[0]
        review = case["open_tasks"][0]["id"]
        holder, colleague = driver.token("township_reception@t1"), driver.token("township_reception2@t1")
        claim = ("POST", f"/api/v1/tasks/{review}/claim", colleague, None)
        back = ("POST", f"/api/v1/tasks/{review}/return", holder, {"reason": "材料不清楚"})
        statuses = _at_once(partial(send, *claim), partial(send, *back))
        assert sorted(statuses) == [200, 409], statuses
    _consistent(sessions)


def test_adding_a_department_while_departments_answer_never_errors(server):
    base, sessions = server
    driver, send = Driver(http_transport(base)), http_transport(base)
    case = _to_departments(driver, "t2-v1")
    parts = [t for t in case["open_tasks"] if t["task"] == "handle_in_department"]
    lead = driver.token("department_handler@qx-zrzy")
    calls = [
        lambda: send(
            "POST", f"/api/v1/cases/{case['id']}/departments", lead, {"department": "qx-mzj", "reason": "需民政意见"}
        )
    ]
    for part in parts:
        token = driver.token(f"department_handler@{part['org_unit']}")
        body = {"data": {"approved": True, "opinion": "同意"}}
        calls.append(lambda t=token, p=part, b=body: send("POST", f"/api/v1/tasks/{p['id']}/complete", t, b))
    statuses = _at_once(*calls)
    assert set(statuses) <= {200, 409, 422}, statuses
    assert statuses.count(200) >= 1
    _consistent(sessions)


def test_the_batch_receipt_against_the_window_handing_over_gives_one_winner(server):
    base, sessions = server
    driver, send = Driver(http_transport(base)), http_transport(base)
    case = _to_departments(driver, "t1-v3")
    case = driver.run_to_end(case, until="return_to_township")[0]
    handover = next(t for t in case["open_tasks"] if t["task"] == "return_to_township")
    window = driver.token("county_window@qx-window")
    batch = driver.call("POST", "/api/v1/window/batches", "county_window@qx-window", {"township": "t1"}, expect=201)
    agent = driver.token("township_agent@t1")
    statuses = _at_once(
        lambda: send("POST", f"/api/v1/tasks/{handover['id']}/complete", window, {"data": {}}),
        lambda: send("POST", f"/api/v1/window/batches/{batch['id']}/receive", agent, None),
    )
    assert all(s < 500 for s in statuses), statuses
    after = driver.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v3")
    done = [e for e in after["events"] if e["type"] in ("task_completed", "batch_item_received")]
    assert sum(1 for e in done if e["detail"].get("name") == handover["name"]) == 1  # handed over once
    _consistent(sessions)


def test_removing_a_department_against_its_answer_gives_one_winner(server):
    """减签 and the department's own answer at once: one wins, the other gets 409, nothing half done."""
    base, sessions = server
    driver, send = Driver(http_transport(base)), http_transport(base)
    window, department = driver.token("county_window@qx-window"), driver.token("department_handler@qx-zjj")
    answer = {"data": {"approved": True, "opinion": "同意"}}
    remove = {"department": "qx-zjj", "reason": "无需参与"}
    for village in ("t2-v2", "t3-v1"):
        case = _to_departments(driver, village)
        part = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-zjj")
        statuses = _at_once(
            partial(send, "POST", f"/api/v1/tasks/{part['id']}/complete", department, answer),
            partial(send, "POST", f"/api/v1/cases/{case['id']}/departments/remove", window, remove),
        )
        assert sorted(statuses) == [200, 409], statuses
    _consistent(sessions)


def test_two_lead_changes_and_a_removal_at_once_never_error(server):
    base, sessions = server
    driver, send = Driver(http_transport(base)), http_transport(base)
    window, lead = driver.token("county_window@qx-window"), driver.token("department_handler@qx-zrzy")
    case = _to_departments(driver, "t3-v2")
    lead_path = f"/api/v1/cases/{case['id']}/lead"
    statuses = _at_once(
        lambda: send("POST", lead_path, window, {"department": "qx-nync"}),
        lambda: send("POST", lead_path, window, {"department": "qx-zjj"}),
        lambda: send(
            "POST", f"/api/v1/cases/{case['id']}/departments/remove", lead, {"department": "qx-zjj", "reason": "无需"}
        ),
    )
    assert all(s in (200, 403, 409, 422) for s in statuses) and 200 in statuses, statuses
    _consistent(sessions)
