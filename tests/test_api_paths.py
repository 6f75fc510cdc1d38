"""API: every path of the proxy item driven through the API (docs/api.md), acting at each step as the
demo user `{role}@{org_unit}` that the open task names; answers by task choose the path."""

from datetime import UTC, datetime, timedelta

from engine.cases.timer_sweep import fire_due_timers

ACCEPT_FULL = ["身份证", "户口簿", "临时救助申请书", "困难情况证明材料"]


def _tasks(steps):
    return [task for task, _ in steps]


def test_immediate_item_is_handled_at_the_village(api):
    case = api.open_case("village_agent@t1-v1", "social-security-annual-review", "t1-v1")
    assert case["kind"] == "immediate" and case["due_at"].endswith("T17:30:00+08:00")
    case, steps = api.run_to_end(case)
    assert _tasks(steps) == ["accept_item", "handle_at_village", "reply_resident", "archive_case"]
    assert {user for _, user in steps} == {"village_agent@t1-v1"} and case["status"] == "archived"


def test_promised_item_with_a_site_survey(api):
    case = api.open_case("village_agent@t2-v2", "temporary-aid", "t2-v2", materials=ACCEPT_FULL)
    case, steps = api.run_to_end(case, answers={"township_review": {"site_survey": True}})
    assert ("site_survey", "station_handler@t2-mzs") in steps and case["status"] == "archived"
    assert _tasks(steps).index("site_survey") < _tasks(steps).index("handle_at_station")


def test_joint_item_shows_a_departments_refusal_to_the_agent_who_replies(api):
    case = api.open_case("village_agent@t1-v3", "disability-certificate", "t1-v3")
    case, steps = api.run_to_end(
        case, until="consolidate", answers={"handle_in_department": {"approved": False, "opinion": "不符合条件"}}
    )
    lead = case["open_tasks"][0]
    assert f"{lead['role']}@{lead['org_unit']}" == "department_handler@qx-mzj"
    case, _ = api.run_to_end(case, until="reply_resident")
    reply = case["open_tasks"][0]
    data = api.call("GET", f"/api/v1/tasks/{reply['id']}", "village_agent@t1-v3")["data"]
    assert [a["approved"] for a in data["department_answers"]] == [False, False]


def test_escalated_item_stopped_by_the_township(api):
    case = api.open_case("village_agent@t1-v2", "five-guarantee-support", "t1-v2")
    case, steps = api.run_to_end(case, answers={"township_review": {"township_decision": "handle_here"}})
    assert ("handle_at_station", "station_handler@t1-mzs") in steps
    assert "sort_to_departments" not in _tasks(steps) and case["status"] == "archived"


def test_escalated_item_passed_up_to_one_county_department(api):
    case = api.open_case("village_agent@t2-v3", "legal-aid", "t2-v3")
    case, steps = api.run_to_end(case, answers={"township_review": {"township_decision": "pass_up"}})
    assert [u for t, u in steps if t == "handle_in_department"] == ["department_handler@qx-sfj"]
    assert "consolidate" not in _tasks(steps) and case["status"] == "archived"


def test_special_item_is_flagged_in_the_inbox(api):
    case = api.open_case("village_agent@t3-v1", "temporary-aid", "t3-v1")
    case, _ = api.step(case, {"accept_item": {"urgent": True}})
    assert case["kind"] == "special" and case["open_tasks"][0]["special"] is True
    listed = api.call("GET", "/api/v1/tasks?scope=available&per_page=100", "township_reception@t3")["items"]
    assert [t["special"] for t in listed if t["case_id"] == case["id"]] == [True]


def test_returned_and_guided_items(api):
    for decision in ("refuse", "guide_in_person"):
        case = api.open_case("village_agent@t3-v2", "resident-id-card", "t3-v2")
        case, steps = api.run_to_end(
            case,
            answers={
                "accept_item": {
                    "acceptance": decision,
                    "commission_signed": False,
                    "reason": "须本人办理",
                    "where_to_go": "县公安局",
                }
            },
        )
        assert case["status"] == "returned" and case["open_tasks"] == [] and len(steps) == 1


def test_missing_materials_wait_then_resume(api):
    case = api.open_case("village_agent@t2-v1", "temporary-aid", "t2-v1", materials=["身份证"])
    case, _ = api.step(case, {"accept_item": {"materials_complete": False}})
    assert case["status"] == "waiting_materials"
    assert case["events"][-1]["detail"]["notice"]["missing_materials"] == ACCEPT_FULL[1:]
    case, _ = api.step(case, {"record_materials": {"materials_supplied": ACCEPT_FULL[1:]}})
    assert case["status"] == "open" and case["materials_provided"] == ACCEPT_FULL
    case, steps = api.run_to_end(case)
    assert case["status"] == "archived"


def test_overdue_task_asks_for_an_explanation_and_reaches_oversight(api, demo_db):
    case = api.open_case("village_agent@t2-v3", "temporary-aid", "t2-v3")
    case, _ = api.step(case)
    with demo_db() as session:  # the worker, three weeks on
        fire_due_timers(session, datetime.now(UTC) + timedelta(days=21), 10_000)
    task = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t2-v3")["open_tasks"][0]
    assert task["due_state"] == "overdue"
    for overseer in ("supervisor@qx", "discipline_inspector@t2"):
        listed = api.call("GET", "/api/v1/tasks?scope=overdue&per_page=100", overseer)["items"]
        assert task["id"] in [t["id"] for t in listed]
    detail = api.call("GET", f"/api/v1/tasks/{task['id']}", "township_reception@t2")
    assert "delay_explanation" in detail["form"]["required"]
    api.call(
        "POST",
        f"/api/v1/tasks/{task['id']}/complete",
        "township_reception@t2",
        {"data": {"opinion": "同意"}},
        expect=422,
    )
    case = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t2-v3")
    case, steps = api.run_to_end(case, answers={"township_review": {"delay_explanation": "人员不足,已致歉"}})
    assert case["status"] == "archived"
    assert "task_overdue" in [e["type"] for e in case["events"]]


def test_dissatisfied_reply_goes_to_the_supervisor_and_the_owner_follows_it(api):
    case = api.open_case("village_agent@t3-v3", "temporary-aid", "t3-v3")
    case, steps = api.run_to_end(case, answers={"reply_resident": {"rating": "dissatisfied"}})
    assert steps[-2:] == [("supervisor_review", "supervisor@qx"), ("archive_case", "village_agent@t3-v3")]
    seen = api.call("GET", f"/api/v1/cases/{case['id']}", "village_agent@t3-v3")
    assert seen["status"] == "archived" and seen["owner"] == "village_agent@t3-v3"
