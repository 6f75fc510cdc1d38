"""Bad input gets a clear error and changes nothing: the case, its tasks and events stay as they were."""

import pytest
from sqlalchemy import select

from engine.store.models import Case


def _snapshot(api, demo_db, case_id, user):
    view = api.call("GET", f"/api/v1/cases/{case_id}", user)
    with demo_db() as s:
        row = s.get(Case, case_id)
        return view, row.state, row.version


@pytest.fixture
def joint_case(api):
    return api.open_case("village_agent@t1-v3", "house-building", "t1-v3")


def test_completing_another_roles_task_is_403_and_changes_nothing(api, demo_db, joint_case):
    task = joint_case["open_tasks"][0]
    before = _snapshot(api, demo_db, joint_case["id"], "village_agent@t1-v3")
    # The township reception can see the case (its subtree) but the task is the village agent's.
    body = api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "township_reception@t1",
        {"data": {"materials_complete": True, "commission_signed": True}},
        expect=403,
    )
    assert body["status"] == 403 and body["title"]
    assert _snapshot(api, demo_db, joint_case["id"], "village_agent@t1-v3") == before


def test_completing_a_task_twice_is_409_and_changes_nothing(api, demo_db, joint_case):
    task = joint_case["open_tasks"][0]
    data = {"data": {"materials_complete": True, "commission_signed": True}}
    api.call("POST", f"/api/v1/tasks/{task['id']}/complete", "village_agent@t1-v3", data)
    before = _snapshot(api, demo_db, joint_case["id"], "village_agent@t1-v3")
    body = api.call("POST", f"/api/v1/tasks/{task['id']}/complete", "village_agent@t1-v3", data, expect=409)
    assert body["status"] == 409
    assert _snapshot(api, demo_db, joint_case["id"], "village_agent@t1-v3") == before


def test_missing_required_field_is_422_naming_the_field(api, demo_db, joint_case):
    task = joint_case["open_tasks"][0]
    before = _snapshot(api, demo_db, joint_case["id"], "village_agent@t1-v3")
    body = api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "village_agent@t1-v3",
        {"data": {"materials_complete": True}},
        expect=422,
    )
    assert set(body["errors"]) == {"commission_signed"}
    body = api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "village_agent@t1-v3",
        {"data": {"materials_complete": "yes", "commission_signed": True, "hack": 1}},
        expect=422,
    )
    assert set(body["errors"]) == {"materials_complete", "hack"}
    assert _snapshot(api, demo_db, joint_case["id"], "village_agent@t1-v3") == before


def test_unknown_catalog_code_is_422_and_opens_nothing(api, demo_db):
    with demo_db() as s:
        count = len(s.scalars(select(Case.id)).all())
    body = api.call(
        "POST",
        "/api/v1/cases",
        "village_agent@t1-v1",
        {
            "catalog_code": "no-such-item",
            "summary": "x",
            "resident": {"name": "李四", "phone": "13900001111", "village": "t1-v1"},
        },
        expect=422,
    )
    assert "catalog_code" in body["errors"]
    body = api.call("POST", "/api/v1/cases", "village_agent@t1-v1", {"catalog_code": "house-building"}, expect=422)
    assert {"resident.name", "resident.phone", "resident.village", "summary"} <= set(body["errors"])
    api.call(
        "POST",
        "/api/v1/cases",
        "village_agent@t1-v1",
        {
            "catalog_code": "house-building",
            "summary": "x",
            "resident": {"name": "李四", "phone": "13900001111", "village": "t2-v1"},
        },
        expect=403,
    )
    with demo_db() as s:
        assert len(s.scalars(select(Case.id)).all()) == count


def test_no_token_is_401_and_bad_json_is_422(client):
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/tasks", headers={"Authorization": "Bearer forged"})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    response = client.post("/api/v1/auth/token", data="not json", content_type="application/json")
    assert response.status_code == 422
    response = client.post("/api/v1/auth/token", json={"username": "admin", "password": "wrong"})
    assert response.status_code == 401
