"""Engine scenarios for the workflow actions (转交 退回 撤回 加签 转办) on SQLite and PostgreSQL:
each changes the case as a user would check, writes one event, and bad input changes nothing."""

import pytest
from sqlalchemy import func, select

from engine.cases import actions, commands
from engine.cases.forms import task_form
from engine.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from engine.read.shapes import task_context
from engine.store.models import Event, TaskRow
from engine.store.notice_tables import Notification

from .scenario import HOUSE_MATERIALS

RESIDENT = {"name": "李春花", "phone": "13900002222", "village": "t1-v1"}
PATH = [
    ("accept_item", "village_agent@t1-v1", {"materials_complete": True, "commission_signed": True}),
    ("township_review", "township_reception@t1", {"opinion": "报县"}),
    ("sort_to_departments", "county_window@qx-window", {}),
]


def _open(session, user):
    return commands.open_case(session, user("village_agent@t1-v1"), "house-building", RESIDENT, "建房", HOUSE_MATERIALS)


def _rows(session, case, state="ready"):
    return list(
        session.scalars(
            select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == state).order_by(TaskRow.org_unit_id)
        )
    )


def _departments(session, case):
    return [r for r in _rows(session, case) if r.spec_name == "handle_in_department"]


def _step(session, case, name):
    return next(r for r in _rows(session, case) if r.spec_name == name)


def _drive(session, user, case, steps):
    for name, owner, data in steps:
        commands.complete_task(session, user(owner), _step(session, case, name).id, data)


def _events(session, case, type_):
    return session.scalars(select(Event).where(Event.case_id == case.id, Event.type == type_)).all()


def task_context_form(row):
    return task_form(row)["properties"]["department"]["enum"]


def _event_count(session, case):
    return session.scalar(select(func.count()).select_from(Event).where(Event.case_id == case.id))


def test_township_returns_an_item_to_the_village_agent_who_accepted_it(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH[:1])
    review = _step(session, case, "township_review")
    before = _event_count(session, case)
    with pytest.raises(Invalid):
        actions.return_task(session, user("township_reception@t1"), review.id, "  ")
    with pytest.raises(Forbidden):  # sees the case (same township) but holds another role
        actions.return_task(session, user("township_agent@t1"), review.id, "材料不全")
    with pytest.raises(NotFound):
        actions.return_task(session, user("township_reception@t2"), review.id, "材料不全")
    assert _event_count(session, case) == before and _step(session, case, "township_review").state == "ready"

    actions.return_task(session, user("township_reception@t1"), review.id, "缺少村民小组会议记录")
    session.refresh(case)
    accept = _step(session, case, "accept_item")
    assert accept.assignee.username == "village_agent@t1-v1" and case.level == "village"
    assert [r.spec_name for r in _rows(session, case)] == ["accept_item"]
    assert session.get(TaskRow, review.id).state == "cancelled"
    [event] = _events(session, case, "task_returned")
    assert event.detail["reason"] == "缺少村民小组会议记录" and event.detail["to"] == "受理登记"
    assert _event_count(session, case) == before + 1
    with pytest.raises(Conflict):  # stale: that task is gone
        actions.return_task(session, user("township_reception@t1"), review.id, "again")

    _drive(session, user, case, PATH[:2])  # the agent fixes it and the item goes on
    # At the county: sorting, and beside it the written progress notice to the resident.
    assert sorted(r.spec_name for r in _rows(session, case)) == ["sort_to_departments", "status_notice"]


def test_a_department_returns_only_its_part_and_the_window_sends_it_on_again(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH)
    by_unit = {r.org_unit.code: r for r in _departments(session, case)}
    assert sorted(by_unit) == ["qx-nync", "qx-zjj", "qx-zrzy"]
    commands.complete_task(
        session,
        user("department_handler@qx-zrzy"),
        by_unit["qx-zrzy"].id,
        {"approved": True, "opinion": "自然资源同意"},
    )
    before = _event_count(session, case)
    actions.return_task(session, user("department_handler@qx-nync"), by_unit["qx-nync"].id, "不属于本部门职责")
    # Only that part went back to the county window; the others' parts and answers stay.
    resort = _step(session, case, "resort_department")
    assert resort.org_unit.code == "qx-window" and resort.role == "county_window"
    assert sorted((r.spec_name, r.org_unit.code) for r in _rows(session, case)) == [
        ("handle_in_department", "qx-zjj"),
        ("resort_department", "qx-window"),
        ("status_notice", "qx-window"),
    ]
    assert session.get(TaskRow, by_unit["qx-zrzy"].id).state == "completed"
    assert session.get(TaskRow, by_unit["qx-nync"].id).state == "completed"
    assert _rows(session, case, "cancelled") == []
    [event] = _events(session, case, "task_returned")
    assert event.detail["reason"] == "不属于本部门职责" and event.detail["to"] == "县窗口重新分送"
    assert event.detail["to_unit"] == "qx-window" and _event_count(session, case) == before + 1
    assert task_context(resort)["return_reason"] == "不属于本部门职责"

    window = user("county_window@qx-window")
    form = task_context_form(resort)
    assert "qx-lyj" in form and "t1-mzs" not in form
    before = _event_count(session, case)
    for bad in ("t1-mzs", "qx-window", "nowhere"):  # a unit without a department handler: refused
        with pytest.raises(Invalid) as err:
            commands.complete_task(session, window, resort.id, {"department": bad})
        assert "department" in err.value.errors
    assert _event_count(session, case) == before and _step(session, case, "resort_department").state == "ready"
    commands.complete_task(session, window, resort.id, {"department": "qx-lyj", "note": "涉及林地"})
    resent = next(r for r in _departments(session, case) if r.org_unit.code == "qx-lyj")
    commands.complete_task(
        session, user("department_handler@qx-lyj"), resent.id, {"approved": True, "opinion": "林业同意"}
    )
    commands.complete_task(
        session, user("department_handler@qx-zjj"), by_unit["qx-zjj"].id, {"approved": True, "opinion": "住建同意"}
    )
    answers = {a["unit"]: a["opinion"] for a in task_context(_step(session, case, "consolidate"))["department_answers"]}
    assert answers == {"qx-zrzy": "自然资源同意", "qx-lyj": "林业同意", "qx-zjj": "住建同意"}


def test_the_window_sends_a_returned_part_back_to_the_same_department(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH)
    by_unit = {r.org_unit.code: r for r in _departments(session, case)}
    actions.return_task(session, user("department_handler@qx-zjj"), by_unit["qx-zjj"].id, "请补充说明")
    commands.complete_task(
        session,
        user("county_window@qx-window"),
        _step(session, case, "resort_department").id,
        {"department": "qx-zjj", "note": "已补充"},
    )
    for row in _departments(session, case):
        code = row.org_unit.code
        commands.complete_task(session, user(f"department_handler@{code}"), row.id, {"approved": True, "opinion": code})
    answers = sorted(a["unit"] for a in task_context(_step(session, case, "consolidate"))["department_answers"])
    assert answers == ["qx-nync", "qx-zjj", "qx-zrzy"]  # the re-sent part answered normally, no loop back


def test_a_department_withdraws_its_return_while_the_window_has_not_acted(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH)
    dept = next(r for r in _departments(session, case) if r.org_unit.code == "qx-nync")
    handler = user("department_handler@qx-nync")
    actions.return_task(session, handler, dept.id, "不属于本部门职责")
    actions.withdraw_task(session, handler, dept.id, "退错了")
    assert sorted(r.org_unit.code for r in _departments(session, case)) == ["qx-nync", "qx-zjj", "qx-zrzy"]
    assert not [r for r in _rows(session, case) if r.spec_name == "resort_department"]
    for row in _departments(session, case):
        code = row.org_unit.code
        commands.complete_task(session, user(f"department_handler@{code}"), row.id, {"approved": True, "opinion": code})
    assert len(task_context(_step(session, case, "consolidate"))["department_answers"]) == 3


def test_the_village_agent_withdraws_a_hand_over_nobody_has_taken_yet(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH[:1])
    accept = next(r for r in _rows(session, case, "completed"))
    with pytest.raises(Forbidden):
        actions.withdraw_task(session, user("township_reception@t1"), accept.id, "不是我办的")
    actions.withdraw_task(session, user("village_agent@t1-v1"), accept.id, "忘记勾选材料")
    session.refresh(case)
    assert [(r.spec_name, r.assignee.username) for r in _rows(session, case)] == [
        ("accept_item", "village_agent@t1-v1")
    ]
    assert case.level == "village" and len(_events(session, case, "task_withdrawn")) == 1

    _drive(session, user, case, PATH[:1])
    review = _step(session, case, "township_review")
    commands.claim_task(session, user("township_reception@t1"), review.id)
    before = _event_count(session, case)
    with pytest.raises(Conflict):  # picked up: too late to withdraw
        actions.withdraw_task(session, user("village_agent@t1-v1"), accept.id, "再改一下")
    assert _event_count(session, case) == before and _step(session, case, "township_review").assignee_id


def test_the_lead_department_adds_a_department_whose_answer_reaches_the_consolidation(session, user):
    case = _open(session, user)
    with pytest.raises(Conflict):
        actions.add_department(session, user("county_window@qx-window"), case, "qx-mzj", "需民政意见")
    _drive(session, user, case, PATH)
    with pytest.raises(Forbidden):
        actions.add_department(session, user("department_handler@qx-nync"), case, "qx-mzj", "需民政意见")
    with pytest.raises(Invalid):
        actions.add_department(session, user("department_handler@qx-zrzy"), case, "qx-zjj", "重复")
    with pytest.raises(Invalid):
        actions.add_department(session, user("department_handler@qx-zrzy"), case, "t1-mzs", "站所不是县部门")
    actions.add_department(session, user("department_handler@qx-zrzy"), case, "qx-mzj", "涉及困难户补助")
    units = sorted(r.org_unit.code for r in _departments(session, case))
    assert units == ["qx-mzj", "qx-nync", "qx-zjj", "qx-zrzy"]
    for row in _departments(session, case):
        code = row.org_unit.code
        commands.complete_task(
            session, user(f"department_handler@{code}"), row.id, {"approved": True, "opinion": f"{code} 同意"}
        )
    consolidate = _step(session, case, "consolidate")
    answers = {a["unit"]: a["opinion"] for a in task_context(consolidate)["department_answers"]}
    assert answers["qx-mzj"] == "qx-mzj 同意" and len(answers) == 4


def test_a_department_transfers_its_part_to_a_peer_department(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH)
    dept = next(r for r in _rows(session, case) if r.org_unit.code == "qx-nync")
    with pytest.raises(Invalid):
        actions.transfer_task(session, user("department_handler@qx-nync"), dept.id, "t1-mzs", "不是同级")
    actions.transfer_task(session, user("department_handler@qx-nync"), dept.id, "qx-lyj", "涉及林地")
    assert session.get(TaskRow, dept.id).org_unit.code == "qx-lyj"
    # The forestry bureau is told the task reached it (in-app notification), in the transfer's transaction.
    told = session.scalars(
        select(Notification.user_id).where(Notification.task_id == dept.id, Notification.kind == "new_task")
    ).all()
    assert user("department_handler@qx-lyj").id in told
    with pytest.raises(NotFound):  # the task, and with it the item, left the first department
        commands.complete_task(session, user("department_handler@qx-nync"), dept.id, {"approved": True, "opinion": "x"})
    commands.complete_task(
        session, user("department_handler@qx-lyj"), dept.id, {"approved": True, "opinion": "林业同意"}
    )
    for row in _departments(session, case):
        code = row.org_unit.code
        commands.complete_task(session, user(f"department_handler@{code}"), row.id, {"approved": True, "opinion": "可"})
    units = [a["unit"] for a in task_context(_step(session, case, "consolidate"))["department_answers"]]
    assert "qx-lyj" in units and "qx-nync" not in units
    [event] = _events(session, case, "task_transferred")
    assert event.detail["from"] == "qx-nync" and event.detail["to"] == "qx-lyj"


def test_a_task_is_delegated_only_to_a_colleague_of_the_same_role_and_unit(session, user):
    case = _open(session, user)
    _drive(session, user, case, PATH[:1])
    review = _step(session, case, "township_review")
    reception = user("township_reception@t1")
    # The demo county's second township_reception at t1; nobody at t2 or in another role.
    assert [u.username for u in actions.colleagues(session, review, reception)] == ["township_reception2@t1"]
    with pytest.raises(Invalid):
        actions.delegate_task(session, reception, review.id, "township_reception@t2")
    with pytest.raises(Invalid):
        actions.delegate_task(session, reception, review.id, "township_agent2@t1")
    actions.delegate_task(session, reception, review.id, "township_reception2@t1")
    assert session.get(TaskRow, review.id).assignee.username == "township_reception2@t1"
    with pytest.raises(Conflict):  # now it is the colleague's
        actions.delegate_task(session, reception, review.id, "township_reception2@t1")
    assert _events(session, case, "task_delegated")[0].detail["to"] == "township_reception2@t1"
