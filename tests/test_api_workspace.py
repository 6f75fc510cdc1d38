"""API: the workflow actions and the window's batch flow answer 403 for a wrong role, 409 when
stale, 422 without a reason, and each success changes the case as documented."""


def _step(case, name):
    return next(t for t in case["open_tasks"] if t["task"] == name)


def _accepted(api, village="t3-v3"):
    case = api.open_case(f"village_agent@{village}", "house-building", village)
    task = _step(case, "accept_item")
    return api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        f"village_agent@{village}",
        {"data": {"materials_complete": True, "commission_signed": True}},
    ), task


def test_return_and_withdraw_over_the_api(api):
    case, accept = _accepted(api)
    review = _step(case, "township_review")
    path = f"/api/v1/tasks/{review['id']}/return"
    api.call("POST", path, "township_reception@t3", {"reason": ""}, expect=422)
    api.call("POST", path, "township_agent@t3", {"reason": "x"}, expect=403)
    api.call("POST", path, "village_agent@t1-v1", {"reason": "x"}, expect=404)
    returned = api.call("POST", path, "township_reception@t3", {"reason": "缺材料"})
    assert [(t["task"], t["assignee"]) for t in returned["open_tasks"]] == [("accept_item", "village_agent@t3-v3")]
    assert returned["events"][-1]["type"] == "task_returned"
    api.call("POST", path, "township_reception@t3", {"reason": "again"}, expect=409)

    redone = api.call(
        "POST",
        f"/api/v1/tasks/{accept['id']}/complete",
        "village_agent@t3-v3",
        {"data": {"materials_complete": True, "commission_signed": True}},
    )
    review = _step(redone, "township_review")
    api.call("POST", f"/api/v1/tasks/{review['id']}/claim", "township_reception@t3")
    api.call("POST", f"/api/v1/tasks/{accept['id']}/withdraw", "village_agent@t3-v3", {"reason": "改"}, expect=409)
    api.call("POST", f"/api/v1/tasks/{review['id']}/unclaim", "township_reception@t3")
    back = api.call("POST", f"/api/v1/tasks/{accept['id']}/withdraw", "village_agent@t3-v3", {"reason": "改"})
    assert [t["task"] for t in back["open_tasks"]] == ["accept_item"] and back["level"] == "village"


def test_window_dispatch_add_department_and_transfer_over_the_api(api):
    case, _ = _accepted(api, "t3-v1")
    review = _step(case, "township_review")
    case = api.call(
        "POST", f"/api/v1/tasks/{review['id']}/complete", "township_reception@t3", {"data": {"opinion": "报县"}}
    )
    sort = _step(case, "sort_to_departments")
    api.call("POST", "/api/v1/window/dispatch", "village_agent@t3-v1", {"task_ids": [sort["id"]]}, expect=403)
    results = api.call(
        "POST", "/api/v1/window/dispatch", "county_window@qx-window", {"task_ids": [sort["id"], "nope"], "note": "分送"}
    )["results"]
    assert [r["ok"] for r in results] == [True, False] and results[1]["message"] == "任务不存在"
    path = f"/api/v1/cases/{case['id']}/departments"
    api.call("POST", path, "department_handler@qx-nync", {"department": "qx-mzj", "reason": "x"}, expect=403)
    case = api.call("POST", path, "county_window@qx-window", {"department": "qx-mzj", "reason": "涉及救助"})
    assert sorted(t["org_unit"] for t in case["open_tasks"] if t["task"] == "handle_in_department") == [
        "qx-mzj",
        "qx-nync",
        "qx-zjj",
        "qx-zrzy",
    ]
    nync = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-nync")
    moved = api.call(
        "POST",
        f"/api/v1/tasks/{nync['id']}/transfer",
        "department_handler@qx-nync",
        {"unit": "qx-lyj", "reason": "林地"},
    )
    assert "qx-lyj" in [t["org_unit"] for t in moved["open_tasks"]]
    api.call("POST", "/api/v1/window/batches", "county_window@qx-window", {"township": "t3"}, expect=422)
