"""API: the joint county item driven through the API (docs/api.md) as the right demo user at each step."""

from bench.driver import sample_data


def test_joint_item_completes_through_the_api_with_three_departments(api):
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    assert case["status"] == "open" and case["receipt_code"].startswith("DB")
    assert [t["role"] for t in case["open_tasks"]] == ["village_agent"]
    case, steps = api.run_to_end(case)
    assert case["status"] == "archived" and case["rating"] == "satisfied"
    departments = {user for task, user in steps if task == "handle_in_department"}
    assert departments == {"department_handler@qx-zrzy", "department_handler@qx-nync", "department_handler@qx-zjj"}
    assert [u for t, u in steps if t in ("sort_to_departments", "status_notice")] == ["county_window@qx-window"] * 2
    assert [e["type"] for e in case["events"]].count("task_completed") == len(steps) == 12
    assert all(e["at"].endswith("+08:00") for e in case["events"])


def test_each_open_task_is_in_exactly_its_owners_inbox(api):
    case = api.open_case("village_agent@t3-v2", "house-building", "t3-v2")
    task = case["open_tasks"][0]
    mine = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", "village_agent@t3-v2")
    assert task["id"] in [t["id"] for t in mine["items"]]
    other = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", "village_agent@t3-v1")
    assert task["id"] not in [t["id"] for t in other["items"]]
    api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t3-v1", expect=404)
    api.call("GET", f"/api/v1/tasks/{task['id']}", "township_reception@t1", expect=404)


def test_claim_then_release_and_a_second_claim_conflicts(api):
    case = api.open_case("village_agent@t2-v1", "temporary-aid", "t2-v1")
    task_id = case["open_tasks"][0]["id"]
    claimed = api.call("POST", f"/api/v1/tasks/{task_id}/claim", "village_agent@t2-v1")
    assert claimed["assignee"] == "village_agent@t2-v1"
    mine = api.call("GET", "/api/v1/tasks?scope=mine", "village_agent@t2-v1")
    assert task_id in [t["id"] for t in mine["items"]]
    released = api.call("POST", f"/api/v1/tasks/{task_id}/unclaim", "village_agent@t2-v1")
    assert released["assignee"] is None
    events = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t2-v1")["events"]
    assert [e["type"] for e in events] == ["case_opened", "task_claimed", "task_unclaimed"]


def test_me_units_catalog_and_pagination(api):
    me = api.call("GET", "/api/v1/me", "county_window@qx-window")
    assert me == {
        "username": "county_window@qx-window",
        "display_name": me["display_name"],
        "roles": [{"role": "county_window", "org_unit": "qx-window"}],
    }
    units = api.call("GET", "/api/v1/org/units", "admin")
    kinds = {u["kind"] for u in units}
    assert {"county", "township", "village", "group", "department", "station", "window"} <= kinds
    assert sum(u["kind"] == "village" for u in units) == 9 and sum(u["kind"] == "group" for u in units) == 18
    catalog = api.call("GET", "/api/v1/catalog", None)
    assert len(catalog) == 30 and len({c["category"] for c in catalog}) == 8
    house = next(c for c in catalog if c["code"] == "house-building")
    assert house["kind"] == "joint" and house["level"] == "county" and len(house["departments"]) == 3
    page = api.call("GET", "/api/v1/tasks?scope=available&per_page=1&page=1", "village_agent@t1-v1")
    assert set(page) == {"items", "total", "page", "per_page", "counts"} and page["per_page"] == 1


def test_sample_data_satisfies_required_fields():
    form = {
        "properties": {"a": {"type": "boolean"}, "b": {"type": "string", "enum": ["x", "y"]}},
        "required": ["a", "b"],
    }
    assert sample_data(form) == {"a": True, "b": "x"}


def test_a_department_returns_its_part_and_the_window_sends_it_to_another_department(api):
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1")
    case, _ = api.run_to_end(case, until="handle_in_department")
    parts = {t["org_unit"]: t["id"] for t in case["open_tasks"] if t["task"] == "handle_in_department"}
    case = api.call(
        "POST", f"/api/v1/tasks/{parts['qx-nync']}/return", "department_handler@qx-nync", {"reason": "不属于本部门职责"}
    )
    resort = next(t for t in case["open_tasks"] if t["task"] == "resort_department")
    assert resort["org_unit"] == "qx-window" and resort["role"] == "county_window"
    window = "county_window@qx-window"
    form = api.call("GET", f"/api/v1/tasks/{resort['id']}", window)["form"]["properties"]["department"]
    assert "qx-lyj" in form["enum"] and "t1-mzs" not in form["enum"] and len(form["x-enum-titles"]) == len(form["enum"])
    refused = api.call(
        "POST", f"/api/v1/tasks/{resort['id']}/complete", window, {"data": {"department": "t1-mzs"}}, expect=422
    )
    assert refused["errors"]["department"] == "请选择本县尚未参与办理的部门"
    case = api.call("POST", f"/api/v1/tasks/{resort['id']}/complete", window, {"data": {"department": "qx-lyj"}})
    owners = sorted(t["org_unit"] for t in case["open_tasks"] if t["task"] == "handle_in_department")
    assert owners == ["qx-lyj", "qx-zjj", "qx-zrzy"]
    case, steps = api.run_to_end(case)
    assert case["status"] == "archived"
    assert {u for t, u in steps if t == "handle_in_department"} >= {"department_handler@qx-lyj"}
    assert "task_returned" in [e["type"] for e in case["events"]]
