"""API: every step sees the whole case (`context` in GET /api/v1/tasks/{id}): the resident's request,
the materials as a checklist (provided, supplied later by whom and when, promised under 容缺受理),
every earlier step's decision and note under its unit's name, the joint handling's departments with
the lead marked, and a returned part's reason."""

import re
from datetime import date, timedelta

HOUSE = ["户口簿", "身份证", "农村宅基地和建房(规划许可)申请表", "村民小组会议记录", "建房设计图或通用图"]
AID = ["身份证", "户口簿", "临时救助申请书", "困难情况证明材料"]


def _open(case: dict, name: str) -> dict:
    return next(t for t in case["open_tasks"] if t["task"] == name)


def _complete(api, case: dict, name: str, data: dict, expect: int = 200) -> dict:
    task = _open(case, name)
    return api.call(
        "POST", f"/api/v1/tasks/{task['id']}/complete", f"{task['role']}@{task['org_unit']}", {"data": data}, expect
    )


def _context(api, case: dict, name: str, unit: str | None = None) -> dict:
    task = next(t for t in case["open_tasks"] if t["task"] == name and unit in (None, t["org_unit"]))
    return api.call("GET", f"/api/v1/tasks/{task['id']}", f"{task['role']}@{task['org_unit']}")["context"]


def _names(api) -> dict:
    return {u["code"]: u["name"] for u in api.call("GET", "/api/v1/org/units", "admin")}


def test_an_item_with_materials_missing_cannot_be_called_complete_at_acceptance(api):
    case = api.open_case("village_agent@t1-v2", "house-building", "t1-v2", materials=["户口簿", "身份证"])
    refused = _complete(api, case, "accept_item", {"materials_complete": True, "commission_signed": True}, 422)
    assert set(refused["errors"]) == {"materials_complete"}
    case = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t1-v2")
    assert case["status"] == "open" and [t["task"] for t in case["open_tasks"]] == ["accept_item"]


def test_the_joint_item_carries_materials_supplied_later_and_every_note_to_the_departments(api):
    names = _names(api)
    case = api.open_case("village_agent@t1-v2", "house-building", "t1-v2", materials=["户口簿", "身份证"])
    case = _complete(
        api,
        case,
        "accept_item",
        {"materials_complete": False, "commission_signed": True, "note": "群众年老,材料分两次补交"},
    )
    assert case["status"] == "waiting_materials"
    case = _complete(
        api, case, "record_materials", {"materials_supplied": ["村民小组会议记录"], "note": "先交会议记录"}
    )
    assert case["status"] == "waiting_materials"  # two still missing: the gate holds the item
    checklist = {m["name"]: m["state"] for m in _context(api, case, "record_materials")["materials"]}
    assert checklist == {
        "户口簿": "provided",
        "身份证": "provided",
        "农村宅基地和建房(规划许可)申请表": "missing",
        "村民小组会议记录": "supplied",
        "建房设计图或通用图": "missing",
    }
    case = _complete(
        api,
        case,
        "record_materials",
        {"materials_supplied": ["农村宅基地和建房(规划许可)申请表", "建房设计图或通用图"]},
    )
    assert case["status"] == "open" and case["materials_provided"][:2] == ["户口簿", "身份证"]
    case = _complete(api, case, "township_review", {"opinion": "宅基地面积核实无误,报县联办"})
    case = _complete(api, case, "sort_to_departments", {"note": "请自然资源局牵头,三日内会商"})

    context = _context(api, case, "handle_in_department", "qx-nync")
    assert context["request"]["summary"] == "代办测试" and context["request"]["village"]["name"] == names["t1-v2"]
    supplied = {m["name"]: m for m in context["materials"]}
    assert {m["state"] for m in context["materials"]} == {"provided", "supplied"}
    assert supplied["村民小组会议记录"]["by"] == "village_agent@t1-v2" and supplied["村民小组会议记录"]["at"]
    notes = [(s["name"], s["unit"]["name"], s["note"]) for s in context["steps"] if s["note"]]
    assert notes == [
        ("受理登记", names["t1-v2"], "群众年老,材料分两次补交"),
        ("补交材料登记", names["t1-v2"], "先交会议记录"),
        ("乡镇中心受理", names["t1"], "宅基地面积核实无误,报县联办"),
        ("县窗口分送部门", names["qx-window"], "请自然资源局牵头,三日内会商"),
    ]
    departments = [(d["unit"]["name"], d["lead"], d["state"]) for d in context["departments"]]
    assert departments[0] == (names["qx-zrzy"], True, "ready")
    assert sorted(departments[1:]) == sorted([(names["qx-nync"], False, "ready"), (names["qx-zjj"], False, "ready")])
    assert context["return_reason"] is None


def test_a_department_returning_its_part_shows_its_reason_to_the_window(api):
    names = _names(api)
    case = api.open_case("village_agent@t1-v3", "house-building", "t1-v3")
    case, _ = api.run_to_end(case, until="handle_in_department")
    nync = _open(case, "handle_in_department")
    nync = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-nync")
    case = api.call(
        "POST",
        f"/api/v1/tasks/{nync['id']}/return",
        "department_handler@qx-nync",
        {"reason": "涉及林地,应由林业局办理"},
    )
    context = _context(api, case, "resort_department")
    assert context["return_reason"]["reason"] == "涉及林地,应由林业局办理"
    assert context["return_reason"]["unit"]["name"] == names["qx-nync"]
    parts = {d["unit"]["code"]: d["state"] for d in context["departments"]}
    assert parts["qx-nync"] == "returned" and parts["qx-zrzy"] == "ready"


def test_acceptance_with_materials_to_follow_records_the_promise_for_every_later_step(api):
    case = api.open_case("village_agent@t2-v1", "temporary-aid", "t2-v1", materials=AID[:2])
    promise = {"materials_complete": False, "commission_signed": True, "tolerated": True}
    late = (date.today() - timedelta(days=1)).isoformat()
    refused = _complete(
        api, case, "accept_item", {**promise, "tolerated_materials": ["临时救助申请书"], "promised_by": late}, 422
    )
    assert set(refused["errors"]) == {"tolerated_materials", "promised_by"}  # not every missing one; date passed
    by = (date.today() + timedelta(days=7)).isoformat()
    case = _complete(api, case, "accept_item", {**promise, "tolerated_materials": AID[2:], "promised_by": by})
    assert case["status"] == "open"  # 容缺受理: the item goes on while the resident brings the rest
    context = _context(api, case, "township_review")
    assert context["tolerance"]["materials"] == AID[2:] and context["tolerance"]["promised_by"] == by
    assert [m["state"] for m in context["materials"]] == ["provided", "provided", "promised", "promised"]


def _text(html: str) -> str:
    """What a person reads: the page without its tags."""
    return re.sub(r"<[^>]+>", " ", html)


CODES = ("qx-", "t1-v", "village_agent@", "handle_in_department", "task_completed", "provided", "supplied", "ready")


def test_the_department_task_page_shows_the_whole_case_in_either_language(api, login):
    names = _names(api)
    case = api.open_case("village_agent@t1-v1", "house-building", "t1-v1", materials=HOUSE[:4])
    case = _complete(
        api, case, "accept_item", {"materials_complete": False, "commission_signed": True, "note": "设计图下周送来"}
    )
    case = _complete(api, case, "record_materials", {"materials_supplied": ["建房设计图或通用图"]})
    case, _ = api.run_to_end(case, until="handle_in_department")
    task = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-zjj")
    client = login("department_handler@qx-zjj")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    panel = page[page.index('id="case-panel"') :]
    assert "设计图下周送来" in panel and names["t1-v1"] in panel and names["qx-zrzy"] in panel
    assert "牵头部门" in panel and "已补交" in panel and "受理登记" in panel
    assert not [c for c in CODES if c in _text(panel.split("</section>")[0])]
    english = client.get(f"/tasks/{task['id']}?lang=en").get_data(as_text=True)
    panel = english[english.index('id="case-panel"') :]
    assert "Lead department" in panel and "Supplied later" in panel and "The whole case" in panel


def test_resorting_offers_only_departments_not_handling_the_item_or_none_further(api):
    names = _names(api)
    case = api.open_case("village_agent@t1-v3", "house-building", "t1-v3")
    case, _ = api.run_to_end(case, until="handle_in_department")
    nync = next(t for t in case["open_tasks"] if t["org_unit"] == "qx-nync")
    case = api.call(
        "POST", f"/api/v1/tasks/{nync['id']}/return", "department_handler@qx-nync", {"reason": "本局无需出具意见"}
    )
    resort = _open(case, "resort_department")
    detail = api.call("GET", f"/api/v1/tasks/{resort['id']}", "county_window@qx-window")
    field = detail["form"]["properties"]["department"]
    assert "qx-zrzy" not in field["enum"] and "qx-zjj" not in field["enum"]  # already handling: no second part
    assert "qx-nync" in field["enum"] and field["enum"][-1] == "none"
    assert field["x-enum-titles"][-1] == "无需其他部门办理"
    assert detail["context"]["return_reason"]["unit"]["name"] == names["qx-nync"]
    twice = _complete(api, case, "resort_department", {"department": "qx-zjj"}, 422)
    assert set(twice["errors"]) == {"department"}

    case = _complete(api, case, "resort_department", {"department": "none", "note": "两部门意见已足够"})
    assert sorted(t["org_unit"] for t in case["open_tasks"] if t["task"] == "handle_in_department") == [
        "qx-zjj",
        "qx-zrzy",
    ]
    case, _ = api.run_to_end(case, until="consolidate")
    lead = _open(case, "consolidate")
    assert lead["org_unit"] == "qx-zrzy"  # the others answered; the dropped part does not hold the item
