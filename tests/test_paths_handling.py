"""Engine scenarios: how an accepted item is handled — immediate, promised, escalated, special.
Each asserts who holds the task, the deadline dates, the status and the events."""

from engine.read.shapes import case_dict, task_context, task_dict

from .scenario import ACCEPT, REPLY, Item, at, local


def test_immediate_village_item_is_done_at_the_village_the_same_working_day(session, user):
    item = Item(
        session,
        user,
        "social-security-annual-review",
        "village_agent@t1-v1",
        "t1-v1",
        at(11, 23),
        ["身份证", "社会保障卡"],
    )
    case = item.case
    assert case.kind == "immediate" and local(case.due_at) == "2026-11-23 17:30"
    assert item.holders() == ["accept_item village_agent@t1-v1"]
    item.do("accept_item", ACCEPT, at(11, 23, 9, 10))
    assert item.holders() == ["handle_at_village village_agent@t1-v1"]
    assert local(item.task("handle_at_village").due_at) == "2026-11-23 17:30"
    assert case.level == "village" and case.status == "open"
    item.do("handle_at_village", {"approved": True, "answer": "已当场办理年审"}, at(11, 23, 9, 30))
    item.do("reply_resident", REPLY, at(11, 23, 10))
    assert case.status == "closed" and local(case.closed_at) == "2026-11-23 10:00"
    item.do("archive_case", {}, at(11, 23, 11))
    assert case.status == "archived" and case.closed_at <= case.due_at
    assert item.event_types() == ["case_opened"] + ["task_completed"] * 4


def test_promised_item_gets_a_site_survey_and_a_deadline_in_working_days(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v3", "t2-v3", at(11, 23))
    case = item.case
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    # Five working days from Monday: Tuesday..Friday and the next Monday.
    assert case.kind == "promised" and local(case.due_at) == "2026-11-30 17:30"
    assert item.holders() == ["township_review township_reception@t2"]
    assert local(item.task("township_review").due_at) == "2026-11-25 17:30"  # feedback within 2 working days
    item.do("township_review", {"opinion": "需入户核实", "site_survey": True}, at(11, 24))
    assert item.holders() == ["site_survey station_handler@t2-mzs"]
    assert local(item.task("site_survey").due_at) == "2026-11-26 17:30"
    assert case.level == "township"
    item.do("site_survey", {"findings": "家中确有重病患者", "survey_ok": True}, at(11, 25))
    assert local(item.task("handle_at_station").due_at) == "2026-11-30 17:30"  # capped by the case deadline
    item.do("handle_at_station", {"approved": True, "answer": "发放临时救助金2000元"}, at(11, 26))
    item.do("receive_result", {}, at(11, 26, 15))
    item.do("reply_resident", REPLY, at(11, 27))
    assert case.status == "closed" and case.closed_at < case.due_at
    names = [e.detail.get("task") for e in item.events() if e.type == "task_completed"]
    assert names == [
        "accept_item",
        "township_review",
        "site_survey",
        "handle_at_station",
        "receive_result",
        "reply_resident",
    ]


def test_a_deadline_skips_the_national_day_holiday_and_counts_the_make_up_saturday(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v1", "t2-v1", at(9, 30))
    item.do("accept_item", ACCEPT, at(9, 30, 10))
    # 1-7 October are holidays; Saturday 10 October is a make-up working day.
    assert local(item.case.due_at) == "2026-10-13 17:30"
    assert local(item.task("township_review").due_at) == "2026-10-09 17:30"


def test_escalated_item_goes_village_to_township_to_county_and_back(session, user):
    item = Item(session, user, "five-guarantee-support", "village_agent@t1-v2", "t1-v2", at(11, 23))
    case = item.case
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    assert case.kind == "escalated" and local(case.due_at) == "2026-12-21 17:30"
    assert case.level == "township" and item.holders() == ["township_review township_reception@t1"]
    item.do("township_review", {"opinion": "超出乡镇权限,报县", "township_decision": "pass_up"}, at(11, 24))
    # At the county the window sorts the item and owes the resident a written notice (5 working days).
    assert case.level == "county" and item.holders() == [
        "sort_to_departments county_window@qx-window",
        "status_notice county_window@qx-window",
    ]
    item.do("sort_to_departments", {"note": "分送民政局"}, at(11, 24, 15))
    assert item.holders() == ["handle_in_department department_handler@qx-mzj", "status_notice county_window@qx-window"]
    item.do("status_notice", {"status_notice": "已书面告知群众:县民政局审批中"}, at(11, 25))
    item.do("handle_in_department", {"approved": True, "opinion": "符合特困供养条件"}, at(11, 30))
    # One department: no consolidation step, the window sends the answer back.
    assert item.holders() == ["return_to_township county_window@qx-window"]
    item.do("return_to_township", {}, at(12, 1))
    item.do("receive_result", {}, at(12, 1, 15))
    assert case.level == "village" and item.holders() == ["reply_resident village_agent@t1-v2"]
    answers = task_context(item.task("reply_resident"))["department_answers"]
    assert [(a["unit"], a["approved"]) for a in answers] == [("qx-mzj", True)]


def test_a_township_that_can_handle_an_escalated_item_stops_it_there(session, user):
    item = Item(session, user, "five-guarantee-support", "village_agent@t1-v3", "t1-v3", at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    item.do("township_review", {"opinion": "乡镇民政所可办", "township_decision": "handle_here"}, at(11, 24))
    assert item.holders() == ["handle_at_station station_handler@t1-mzs"]
    assert item.case.level == "township"
    assert local(item.task("handle_at_station").due_at) == "2026-11-27 17:30"  # 3 working days at the township
    item.do("handle_at_station", {"approved": True, "answer": "乡镇办结"}, at(11, 25))
    item.do("receive_result", {}, at(11, 25, 15))
    assert item.holders() == ["reply_resident village_agent@t1-v3"]
    assert "sort_to_departments" not in [e.detail.get("task") for e in item.events()]


def test_special_item_is_expedited_and_flagged_in_every_inbox(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v2", "t2-v2", at(11, 23))
    case = item.case
    item.do("accept_item", {**ACCEPT, "urgent": True}, at(11, 23, 10))
    assert case.kind == "special"
    assert local(case.due_at) == "2026-11-25 17:30"  # half of the five working days
    review = item.task("township_review")
    assert local(review.due_at) == "2026-11-24 17:30"  # one working day instead of two
    assert task_dict(review)["special"] is True
    item.do("township_review", {"opinion": "特办,立即办理"}, at(11, 23, 14))
    station = item.task("handle_at_station")
    assert task_dict(station)["special"] is True and local(station.due_at) == "2026-11-25 17:30"
    view = case_dict(session, case)
    assert view["kind"] == "special" and all(t["special"] for t in view["open_tasks"])
