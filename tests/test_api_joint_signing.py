"""Joint signing (issue 17): 会签 all, 或签 any, 票签 vote per catalog item, 减签 and a new lead
department while a joint handling runs, through the API as the demo users (docs/api.md)."""

import pytest

from engine.read.consistency import check_consistency
from engine.read.context import case_outcome
from engine.store.models import Case

from .conftest import csrf_token
from .isolated_db import app, demo_db, own_database_url  # noqa: F401  (a fresh database per module)

WINDOW, LEAD, ADMIN = "county_window@qx-window", "department_handler@qx-zrzy", "admin"
ITEM = "house-building"  # three county departments: qx-zrzy (the lead), qx-nync, qx-zjj


def _mode(api, joint_mode, vote_share=None):
    body = {"joint_mode": joint_mode, **({"vote_share": vote_share} if vote_share is not None else {})}
    return api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, body)


def _at_departments(api, village="t1-v1"):
    case = api.open_case(f"village_agent@{village}", ITEM, village)
    case, _ = api.run_to_end(case, until="handle_in_department")
    return case


def _parts(case) -> dict:
    return {t["org_unit"]: t["id"] for t in case["open_tasks"] if t["task"] == "handle_in_department"}


def _answer(api, case, unit, approved=True):
    task = _parts(case)[unit]
    body = {"data": {"approved": approved, "opinion": "同意" if approved else "不同意"}}
    return api.call("POST", f"/api/v1/tasks/{task}/complete", f"department_handler@{unit}", body)


def _open(case) -> list[tuple[str, str]]:
    return sorted((t["task"], t["org_unit"]) for t in case["open_tasks"] if t["task"] != "status_notice")


def _consistent(session):
    session.expire_all()
    assert check_consistency(session) == []


@pytest.fixture(autouse=True)
def countersign(api):
    """Each test sets the mode it needs; the item is back to 会签 afterwards."""
    yield
    current = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == ITEM)
    if current["joint_mode"] != "all":
        _mode(api, "all")


def test_the_catalog_says_how_departments_decide_and_refuses_a_bad_share(api):
    item = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == ITEM)
    assert item["joint_mode"] == "all" and item["vote_share"] is None
    bad = api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, {"joint_mode": "vote"}, expect=422)
    assert set(bad["errors"]) == {"vote_share"}
    for share in (0, 1.5, "half", -0.2, True):
        body = {"joint_mode": "vote", "vote_share": share}
        api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, body, expect=422)
    bad = api.call("POST", f"/api/v1/admin/catalog/items/{ITEM}", ADMIN, {"joint_mode": "most"}, expect=422)
    assert set(bad["errors"]) == {"joint_mode"}
    changed = _mode(api, "vote", "0.5")
    assert changed["joint_mode"] == "vote" and changed["vote_share"] == 0.5
    assert _mode(api, "any")["vote_share"] is None  # a share only means something for a vote


def test_or_signing_finishes_on_the_first_answer_and_withdraws_the_other_parts(api, session):
    _mode(api, "any")
    case = _at_departments(api)
    assert sorted(_parts(case)) == ["qx-nync", "qx-zjj", "qx-zrzy"]
    withdrawn = {u: t for u, t in _parts(case).items() if u != "qx-nync"}
    case = _answer(api, case, "qx-nync")
    assert _open(case) == [("consolidate", "qx-zrzy")]
    done = [e for e in case["events"] if e["type"] == "task_completed"][-1]
    assert sorted(w["unit"] for w in done["detail"]["withdrawn"]) == ["qx-zjj", "qx-zrzy"]
    for unit, task in withdrawn.items():
        assert api.call("GET", f"/api/v1/tasks/{task}", f"department_handler@{unit}")["state"] == "cancelled"
        inbox = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", f"department_handler@{unit}")
        assert task not in [t["id"] for t in inbox["items"]]
        body = {"data": {"approved": True, "opinion": "同意"}}
        api.call("POST", f"/api/v1/tasks/{task}/complete", f"department_handler@{unit}", body, expect=409)
    case, _ = api.run_to_end(case)
    assert case["status"] == "archived"
    _consistent(session)


@pytest.mark.parametrize(("share", "passed"), [(0.66, True), (0.67, False)])
def test_a_vote_passes_or_fails_at_its_threshold(api, session, share, passed):
    """Two of three departments agree: 2/3 reaches a share of 0.66, not one of 0.67."""
    _mode(api, "vote", share)
    case = _at_departments(api)
    case = _answer(api, case, "qx-zrzy")
    case = _answer(api, case, "qx-nync", approved=False)
    assert _open(case) == [("handle_in_department", "qx-zjj")]  # a vote waits for every department
    case = _answer(api, case, "qx-zjj")
    step = "consolidate" if passed else "consolidate_not_passed"
    assert _open(case) == [(step, "qx-zrzy")]
    task = next(t for t in case["open_tasks"] if t["task"] == step)
    detail = api.call("GET", f"/api/v1/tasks/{task['id']}", LEAD)
    assert (detail["data"]["vote_passed"], detail["data"]["votes_for"], detail["data"]["votes_cast"]) == (passed, 2, 3)
    if not passed:  # a vote that did not pass cannot be answered as approved
        body = {"data": {"approved": True, "answer": "同意"}}
        api.call("POST", f"/api/v1/tasks/{task['id']}/complete", LEAD, body, expect=422)
    case, _ = api.run_to_end(case)
    assert case["status"] == "archived"
    session.expire_all()
    answer, _ = case_outcome(session, session.get(Case, case["id"]))
    assert answer["approved"] is passed and answer["unit"]["code"] == "qx-zrzy"  # the lead's answer
    _consistent(session)


def _remove(api, case, unit, user=WINDOW, expect=200, reason="本部门无需参与"):
    body = {"department": unit, "reason": reason}
    return api.call("POST", f"/api/v1/cases/{case['id']}/departments/remove", user, body, expect=expect)


def test_removing_a_department_withdraws_its_part_and_the_lead_no_longer_waits_for_it(api, session):
    case = _at_departments(api, "t1-v2")
    assert "remove_department" in api.call("GET", f"/api/v1/cases/{case['id']}", WINDOW)["available_actions"]
    removed = _parts(case)["qx-zjj"]
    case = _answer(api, case, "qx-zrzy")
    case = _answer(api, case, "qx-nync")
    assert _open(case) == [("handle_in_department", "qx-zjj")]
    refused = _remove(api, case, "qx-zjj", reason=" ", expect=422)
    assert set(refused["errors"]) == {"reason"}
    _remove(api, case, "qx-zjj", user="department_handler@qx-nync", expect=403)
    case = _remove(api, case, "qx-zjj")
    assert _open(case) == [("consolidate", "qx-zrzy")]  # the other two answered: consolidation at once
    event = case["events"][-1]
    assert event["type"] == "department_removed" and event["detail"]["department"] == "qx-zjj"
    assert [w["task_id"] for w in event["detail"]["withdrawn"]] == [removed]
    assert api.call("GET", f"/api/v1/tasks/{removed}", "department_handler@qx-zjj")["state"] == "cancelled"
    inbox = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", "department_handler@qx-zjj")
    assert removed not in [t["id"] for t in inbox["items"]]
    _consistent(session)
    case, _ = api.run_to_end(case)
    assert case["status"] == "archived"
    _consistent(session)


def test_the_lead_department_removes_one_but_never_itself_nor_the_last(api, session):
    case = _at_departments(api, "t1-v3")
    bad = _remove(api, case, "qx-zrzy", user=LEAD, expect=422)
    assert set(bad["errors"]) == {"department"}
    _remove(api, case, "qx-lyj", user=LEAD, expect=422)  # not taking part
    case = _remove(api, case, "qx-nync", user=LEAD)
    case = _remove(api, case, "qx-zjj", user=LEAD)
    assert _open(case) == [("handle_in_department", "qx-zrzy")]
    assert set(_remove(api, case, "qx-zrzy", expect=422)["errors"]) == {"department"}  # the lead, and the last
    case = _answer(api, case, "qx-zrzy")  # the only one left: no consolidation, as for one department
    assert _open(case) == [("return_to_township", "qx-window")]
    _consistent(session)
    case, _ = api.run_to_end(case)
    assert case["status"] == "archived"
    _consistent(session)


def test_a_department_that_already_answered_cannot_be_removed(api, session):
    case = _at_departments(api, "t2-v1")
    case = _answer(api, case, "qx-nync")
    refused = _remove(api, case, "qx-nync", expect=409)
    assert refused["status"] == 409
    _consistent(session)


def test_the_window_names_another_lead_and_the_consolidation_goes_to_it(api, session):
    case = _at_departments(api, "t2-v2")
    path = f"/api/v1/cases/{case['id']}/lead"
    assert "change_lead" in api.call("GET", f"/api/v1/cases/{case['id']}", WINDOW)["available_actions"]
    api.call("POST", path, LEAD, {"department": "qx-nync"}, expect=403)
    bad = api.call("POST", path, WINDOW, {"department": "qx-lyj"}, expect=422)
    assert set(bad["errors"]) == {"department"}
    api.call("POST", path, WINDOW, {"department": "qx-zrzy"}, expect=422)  # already the lead
    case = api.call("POST", path, WINDOW, {"department": "qx-nync", "reason": "自然资源局不再牵头"})
    event = case["events"][-1]
    assert event["type"] == "lead_department_changed"
    assert (event["detail"]["from"], event["detail"]["to"]) == ("qx-zrzy", "qx-nync")
    part = _parts(case)["qx-zjj"]
    detail = api.call("GET", f"/api/v1/tasks/{part}", "department_handler@qx-zjj")
    assert detail["context"]["lead_department"] == "qx-nync"
    # The lead's rights moved: the old lead may no longer remove a department, the new one may.
    _remove(api, case, "qx-zjj", user=LEAD, expect=403)
    case = _remove(api, case, "qx-zjj", user="department_handler@qx-nync")
    for unit in ("qx-zrzy", "qx-nync"):
        case = _answer(api, case, unit)
    assert _open(case) == [("consolidate", "qx-nync")]
    _consistent(session)
    case, steps = api.run_to_end(case)
    assert ("consolidate", "department_handler@qx-nync") in steps and case["status"] == "archived"
    _consistent(session)


def test_the_lead_cannot_change_once_the_joint_handling_ended(api, session):
    case = _at_departments(api, "t3-v1")
    for unit in ("qx-zrzy", "qx-nync", "qx-zjj"):
        case = _answer(api, case, unit)
    api.call("POST", f"/api/v1/cases/{case['id']}/lead", WINDOW, {"department": "qx-nync"}, expect=409)
    _remove(api, case, "qx-nync", expect=409)
    _consistent(session)


def test_the_pages_show_the_mode_and_let_the_window_remove_a_department_and_name_a_lead(api, login, session):
    admin = login(ADMIN)
    page = admin.get(f"/admin/catalog/items/{ITEM}").get_data(as_text=True)
    assert "票签(按比例表决)" in page
    form = {f: "" for f in ("name_en", "fee_note")}
    refused = admin.post(
        f"/admin/catalog/items/{ITEM}",
        data={**_item_form(api), **form, "joint_mode": "vote", "vote_share": "2", "csrf_token": csrf_token(page)},
    )
    assert refused.status_code == 422 and "票签须填写同意部门所占比例" in refused.get_data(as_text=True)
    saved = admin.post(
        f"/admin/catalog/items/{ITEM}",
        data={**_item_form(api), **form, "joint_mode": "vote", "vote_share": "0.5", "csrf_token": csrf_token(page)},
    )
    assert saved.status_code == 302
    case = _at_departments(api, "t3-v3")
    window = login(WINDOW)
    page = window.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "票签(按比例表决)" in page and "至少 50.0% 同意" in page
    assert "减签" in page and "变更牵头部门" in page
    window.post(
        f"/cases/{case['id']}/departments/remove",
        data={"department": "qx-zjj", "reason": "无需参与", "csrf_token": csrf_token(page)},
    )
    window.post(
        f"/cases/{case['id']}/lead",
        data={"department": "qx-nync", "reason": "改由农业农村局牵头", "csrf_token": csrf_token(page)},
    )
    after = api.call("GET", f"/api/v1/cases/{case['id']}", WINDOW)
    assert [e["type"] for e in after["events"]][-2:] == ["department_removed", "lead_department_changed"]
    assert sorted(_parts(after)) == ["qx-nync", "qx-zrzy"]
    timeline = window.get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "减签部门" in timeline and "变更牵头部门" in timeline and "县住房和城乡建设局" in timeline
    _consistent(session)


def _item_form(api) -> dict:
    item = next(i for i in api.call("GET", "/api/v1/catalog", None) if i["code"] == ITEM)
    fields = ("name", "category", "kind", "level", "time_limit_days", "fee")
    return {
        **{f: str(item[f]) for f in fields},
        "departments": "\n".join(item["departments"]),
        "materials": "\n".join(item["materials"]),
    }


def test_a_removed_part_that_was_returned_and_resent_cannot_be_withdrawn_afterwards(api, session):
    """Found by the state machine: 减签 drops the part's whole history from the workflow, so taking
    back one of its earlier steps is a 409, never a server error."""
    case = _at_departments(api, "t2-v3")
    returned = _parts(case)["qx-zjj"]
    case = api.call("POST", f"/api/v1/tasks/{returned}/return", "department_handler@qx-zjj", {"reason": "非本部门"})
    resort = next(t for t in case["open_tasks"] if t["task"] == "resort_department")
    case = api.call("POST", f"/api/v1/tasks/{resort['id']}/complete", WINDOW, {"data": {"department": "qx-lyj"}})
    case = _remove(api, case, "qx-lyj")
    assert sorted(_parts(case)) == ["qx-nync", "qx-zrzy"]
    reason = {"reason": "撤回"}
    api.call("POST", f"/api/v1/tasks/{resort['id']}/withdraw", WINDOW, reason, expect=409)
    _consistent(session)
