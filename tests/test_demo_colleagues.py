"""The demo county's second staff members (`{role}2@{unit}`): delegation (转交) has someone to
hand a task to, end to end over the API and in the pages, and the colleague then holds it."""

import re

from .conftest import csrf_token as _csrf


def _step(case, name):
    return next(t for t in case["open_tasks"] if t["task"] == name)


def _at_departments(api, village="t1-v1"):
    """A house-building item (the joint county item) handed to its three county departments."""
    case = api.open_case(f"village_agent@{village}", "house-building", village)
    case, _ = api.run_to_end(case, until="handle_in_department")
    return case


def test_each_listed_unit_has_a_second_holder_of_the_role(session, user):
    for username in (
        "township_reception2@t1",
        "township_agent2@t1",
        "village_agent2@t1-v1",
        "station_handler2@t1-mzs",
        "county_window2@qx-window",
        "department_handler2@qx-zrzy",
        "department_handler2@qx-nync",
        "department_handler2@qx-zjj",
    ):
        second = user(username)
        first = user(username.replace("2@", "@"))
        assert second is not None and second.active, username
        assert [(a.role, a.org_unit_id) for a in second.roles] == [(a.role, a.org_unit_id) for a in first.roles]


def test_a_department_delegates_to_its_demo_colleague_over_the_api(api):
    case = _at_departments(api)
    task = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-zrzy")
    path = f"/api/v1/tasks/{task['id']}/delegate"
    api.call("POST", path, "department_handler@qx-zrzy", {"assignee": "department_handler2@qx-nync"}, expect=422)
    moved = api.call("POST", path, "department_handler@qx-zrzy", {"assignee": "department_handler2@qx-zrzy"})
    assert moved["assignee"] == "department_handler2@qx-zrzy"

    mine = api.call("GET", "/api/v1/tasks?scope=mine&per_page=100", "department_handler2@qx-zrzy")["items"]
    assert task["id"] in [t["id"] for t in mine]
    available = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", "department_handler@qx-zrzy")["items"]
    assert task["id"] not in [t["id"] for t in available]
    # The first holder may no longer act on it; the colleague completes it.
    api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "department_handler@qx-zrzy",
        {"data": {"approved": True, "opinion": "同意"}},
        expect=409,
    )
    done = api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "department_handler2@qx-zrzy",
        {"data": {"approved": True, "opinion": "用地符合规划"}},
    )
    delegated = [e for e in done["events"] if e["type"] == "task_delegated"]
    assert delegated[-1]["detail"]["to"] == "department_handler2@qx-zrzy"
    completed = [e for e in done["events"] if e["type"] == "task_completed"][-1]
    assert completed["actor"] == "department_handler2@qx-zrzy" and completed["detail"]["unit"] == "qx-zrzy"
    assert "qx-zrzy" not in [t["org_unit"] for t in done["open_tasks"] if t["task"] == "handle_in_department"]


def test_the_township_center_delegates_in_the_pages_and_the_colleague_sees_it(login, api):
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    case, _ = api.run_to_end(case, until="township_review")
    review = _step(case, "township_review")
    reception = login("township_reception@t1")
    page = reception.get(f"/tasks/{review['id']}").get_data(as_text=True)
    options = re.findall(r'<option value="([^"]+)"', page)
    assert "township_reception2@t1" in options and "township_reception@t2" not in options
    response = reception.post(
        f"/tasks/{review['id']}/delegate", data={"csrf_token": _csrf(page), "assignee": "township_reception2@t1"}
    )
    assert response.status_code == 302

    colleague = login("township_reception2@t1")
    mine = colleague.get("/inbox?scope=mine").get_data(as_text=True)
    assert case["receipt_code"] in mine and f"/tasks/{review['id']}" in mine
    assert case["receipt_code"] not in reception.get("/inbox?scope=mine").get_data(as_text=True)
    task_page = colleague.get(f"/tasks/{review['id']}").get_data(as_text=True)
    done = colleague.post(
        f"/tasks/{review['id']}/complete", data={"csrf_token": _csrf(task_page), "opinion": "报县审批"}
    )
    assert done.status_code == 302
    after = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v1")
    completed = [e for e in after["events"] if e["type"] == "task_completed"][-1]
    assert completed["actor"] == "township_reception2@t1" and completed["detail"]["task"] == "township_review"


def test_the_village_agent_has_a_colleague_to_delegate_to(api):
    case = api.open_case("village_agent@t1-v1", "other-inquiry", "t1-v1")
    accept = _step(case, "accept_item")
    moved = api.call(
        "POST", f"/api/v1/tasks/{accept['id']}/delegate", "village_agent@t1-v1", {"assignee": "village_agent2@t1-v1"}
    )
    assert moved["assignee"] == "village_agent2@t1-v1"
    mine = api.call("GET", "/api/v1/tasks?scope=mine&per_page=100", "village_agent2@t1-v1")["items"]
    assert accept["id"] in [t["id"] for t in mine]
