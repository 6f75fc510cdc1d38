"""Engine scenarios: an item that needs the county owes the resident a written progress notice
within 5 working days (书面告知). The county window's notice runs beside the department handling,
turns due soon and overdue like any task, is recorded when given, shows in the resident's
lookup, and the result goes back only once it has been given. SQLite and PostgreSQL."""

import pytest

from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.errors import Invalid
from engine.read import public
from engine.read.inbox import inbox, inbox_query
from engine.read.shapes import task_context
from engine.store.models import TaskRow

from .conftest import csrf_token as _csrf
from .scenario import ACCEPT, RESIDENT, Item, at, local

NOTICE = "您的特困供养申请已报县民政局审核,预计12月中旬办结。"


def _at_county(session, user, village, now):
    """An escalated item passed up by the township at `now`."""
    item = Item(session, user, "five-guarantee-support", f"village_agent@{village}", village, at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    item.do("township_review", {"opinion": "超出乡镇权限,报县", "township_decision": "pass_up"}, now)
    return item


def _lookup(session, item):
    return public.progress(session, item.case.receipt_code, RESIDENT["phone"][-4:])


def _overdue(session, user, item):
    """The item's tasks in the county supervisor's overdue list (other scenarios' are there too)."""
    query = inbox_query(user("supervisor@qx"), "overdue").where(TaskRow.case_id == item.case.id)
    return {t.id for t in session.scalars(query)}


def _available(session, user, username):
    return {t.id: t for t in inbox(session, user(username), "available", per_page=100).items}


def test_reaching_the_county_opens_the_notice_beside_the_sorting(session, user):
    item = _at_county(session, user, "t1-v2", at(11, 24))
    assert item.holders() == ["sort_to_departments county_window@qx-window", "status_notice county_window@qx-window"]
    notice = item.task("status_notice")
    # Five working days from Tuesday 24 November: Wednesday .. Friday, Monday, Tuesday.
    assert local(notice.due_at) == "2026-12-01 17:30" and notice.name == "书面告知办理进度"
    assert local(item.task("sort_to_departments").due_at) == "2026-11-25 17:30"
    assert notice.id in _available(session, user, "county_window@qx-window")
    assert notice.id not in _available(session, user, "department_handler@qx-mzj")
    assert _lookup(session, item)["step"] == "县窗口分送部门"  # the item is being sorted, not "at" the notice

    item.do("sort_to_departments", {"note": "分送民政局"}, at(11, 24, 15))
    assert item.holders() == ["handle_in_department department_handler@qx-mzj", "status_notice county_window@qx-window"]
    # The item is at the department; the notice is an obligation beside it.
    assert item.case.org_unit.code == "qx-mzj" and item.case.level == "county"
    assert _lookup(session, item)["step"] == "部门办理" and _lookup(session, item)["notices"] == []


def test_an_unwritten_notice_turns_due_soon_then_overdue_and_is_escalated(session, user):
    item = _at_county(session, user, "t2-v1", at(11, 24))
    item.do("sort_to_departments", {}, at(11, 24, 15))
    notice = item.task("status_notice")
    fire_due_timers(session, at(11, 30, 17, 31), 1000)
    session.refresh(notice)
    assert notice.due_state == "due_soon"
    fire_due_timers(session, at(12, 1, 17, 31), 1000)
    session.refresh(notice)
    assert notice.due_state == "overdue"
    overdue = [e for e in item.events() if e.type == "task_overdue"]
    assert [(e.detail["task"], e.detail["unit"]) for e in overdue] == [("status_notice", "qx-window")]
    assert notice.id in _overdue(session, user, item)
    # Giving it late needs the explanation to the resident, like any overdue task.
    with pytest.raises(Invalid) as err:
        item.do("status_notice", {"status_notice": NOTICE}, at(12, 2, 9))
    assert set(err.value.errors) == {"delay_explanation"}
    session.rollback()
    item.do("status_notice", {"status_notice": NOTICE, "delay_explanation": "窗口人员外出培训"}, at(12, 2, 9))
    assert notice.id not in _overdue(session, user, item)


def test_giving_the_notice_records_it_for_the_timeline_and_the_resident(session, user):
    item = _at_county(session, user, "t1-v3", at(11, 24))
    with pytest.raises(Invalid) as err:
        item.do("status_notice", {"status_notice": ""}, at(11, 25))
    assert set(err.value.errors) == {"status_notice"}
    session.rollback()
    item.do("status_notice", {"status_notice": NOTICE}, at(11, 25, 10), by="county_window2@qx-window")
    [given] = [e for e in item.events() if e.type == "task_completed" and e.detail["task"] == "status_notice"]
    assert given.detail["notice"] == {"status_notice": NOTICE} and given.actor == "county_window2@qx-window"
    assert item.holders() == ["sort_to_departments county_window@qx-window"]  # sorting still to do
    lookup = _lookup(session, item)
    assert [(n["text"], n["step"]) for n in lookup["notices"]] == [(NOTICE, "书面告知办理进度")]
    assert lookup["notices"][0]["at"].startswith("2026-11-25T10:00")

    # Given early, it does not hold the result: the window sends it back as soon as it is in.
    item.do("sort_to_departments", {}, at(11, 25, 11))
    item.do("handle_in_department", {"approved": True, "opinion": "符合特困供养条件"}, at(11, 27))
    assert item.holders() == ["return_to_township county_window@qx-window"]
    item.do("return_to_township", {}, at(11, 27, 15))
    item.do("receive_result", {}, at(11, 28))
    reply = task_context(item.task("reply_resident"))
    assert reply["status_notice"] == NOTICE and [a["unit"] for a in reply["department_answers"]] == ["qx-mzj"]


def test_the_result_goes_back_only_once_the_notice_is_given(session, user):
    item = _at_county(session, user, "t3-v1", at(11, 24))
    item.do("sort_to_departments", {}, at(11, 24, 15))
    item.do("handle_in_department", {"approved": False, "opinion": "不符合条件"}, at(11, 25))
    assert item.holders() == ["status_notice county_window@qx-window"]
    assert item.case.org_unit.code == "qx-window" and _lookup(session, item)["step"] == "书面告知办理进度"
    item.do("status_notice", {"status_notice": "县民政局已审核,结果正送回乡镇。"}, at(11, 25, 16))
    assert item.holders() == ["return_to_township county_window@qx-window"]
    answers = task_context(item.task("return_to_township"))["department_answers"]
    assert [(a["unit"], a["approved"]) for a in answers] == [("qx-mzj", False)]


def test_a_joint_item_owes_one_notice_whatever_the_number_of_departments(session, user):
    item = Item(session, user, "house-building", "village_agent@t1-v1", "t1-v1", at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    item.do("township_review", {"opinion": "报县"}, at(11, 23, 14))
    item.do("sort_to_departments", {}, at(11, 23, 15))
    assert sorted(item.holders()) == [
        "handle_in_department department_handler@qx-nync",
        "handle_in_department department_handler@qx-zjj",
        "handle_in_department department_handler@qx-zrzy",
        "status_notice county_window@qx-window",
    ]
    assert local(item.task("status_notice").due_at) == "2026-11-30 17:30"


def test_the_notice_shows_on_the_case_timeline_and_in_the_resident_lookup(api, client, login):
    case = api.open_case("village_agent@t2-v2", "house-building", "t2-v2", phone="13800004321")
    case, _ = api.run_to_end(case, until="status_notice")
    notice = next(t for t in case["open_tasks"] if t["task"] == "status_notice")
    api.call(
        "POST", f"/api/v1/tasks/{notice['id']}/complete", "county_window@qx-window", {"data": {"status_notice": NOTICE}}
    )

    lookup = api.call("GET", f"/api/v1/public/progress?receipt={case['receipt_code']}&phone_last4=4321", None)
    assert [(n["step"], n["text"]) for n in lookup["notices"]] == [("书面告知办理进度", NOTICE)]
    form = client.get("/public/progress").get_data(as_text=True)
    page = client.post(
        "/public/progress", data={"csrf_token": _csrf(form), "receipt": case["receipt_code"], "phone_last4": "4321"}
    ).get_data(as_text=True)
    assert "书面告知记录" in page and NOTICE in page
    timeline = login("village_agent@t2-v2").get(f"/cases/{case['id']}").get_data(as_text=True)
    assert f"已告知群众: {NOTICE}" in timeline
