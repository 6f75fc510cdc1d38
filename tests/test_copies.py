"""抄送 (copy-to): who holds a task of the item copies it to colleagues; they may read it, never act
on it, are told once, and find it under 抄送我的. SQLite and PostgreSQL."""

import pytest
from sqlalchemy import select

from engine.cases import commands
from engine.cases.copies import copied_to_me, copy_case
from engine.cases.permissions import available_actions
from engine.cases.visibility import get_case
from engine.kernel.errors import Forbidden, Invalid, NotFound
from engine.read.shapes import task_detail, visible_cases
from engine.store.models import Event, TaskRow
from engine.store.notice_tables import Notification

from .scenario import HOUSE_MATERIALS

RESIDENT = {"name": "孙小梅", "phone": "13900005555", "village": "t1-v3"}
ACCEPT = {"materials_complete": True, "commission_signed": True}


def _at_review(session, user):
    agent = user("village_agent@t1-v3")
    case = commands.open_case(session, agent, "house-building", RESIDENT, "建房", HOUSE_MATERIALS)
    accept = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    commands.complete_task(session, agent, accept.id, ACCEPT)
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    return case, review


def test_a_copied_colleague_reads_the_item_is_told_and_may_not_act(session, user):
    case, review = _at_review(session, user)
    holder, reader = user("township_reception@t1"), user("village_agent@t2-v1")
    with pytest.raises(NotFound):  # another township's agent does not see it yet
        get_case(session, reader, case.id)
    assert "cc" in available_actions(session, holder, case)

    assert copy_case(session, holder, case.id, ["village_agent@t2-v1"], "请知悉") == ["village_agent@t2-v1"]
    assert get_case(session, reader, case.id).id == case.id
    assert case.id in [c.id for c in visible_cases(session, reader, per_page=100).items]
    detail = task_detail(session, reader, review.id)  # reads the task too
    assert detail["available_actions"] == [] and available_actions(session, reader, case) == []
    with pytest.raises(Forbidden):
        commands.complete_task(session, reader, review.id, {"opinion": "报县"})
    with pytest.raises(Forbidden):
        commands.claim_task(session, reader, review.id)

    [note] = session.scalars(
        select(Notification).where(Notification.case_id == case.id, Notification.kind == "copied_to_me")
    ).all()
    assert note.user_id == reader.id and note.detail["note"] == "请知悉"
    mine = copied_to_me(session, reader, per_page=100)
    assert [(r.case_id, r.added_by_id, r.note) for r in mine.items][0] == (case.id, holder.id, "请知悉")

    # Copying again to the same person changes nothing and records nothing.
    events = session.scalars(select(Event).where(Event.case_id == case.id, Event.type == "case_copied")).all()
    assert copy_case(session, holder, case.id, ["village_agent@t2-v1"]) == []
    assert session.scalars(select(Event).where(Event.case_id == case.id, Event.type == "case_copied")).all() == events


def test_only_task_holders_the_window_or_the_lead_department_copy(session, user):
    case, _ = _at_review(session, user)
    with pytest.raises(Forbidden):  # the first-ask agent holds no task of it now
        copy_case(session, user("village_agent@t1-v3"), case.id, ["village_agent@t2-v1"])
    with pytest.raises(Forbidden):
        copy_case(session, user("supervisor@qx"), case.id, ["village_agent@t2-v1"])
    with pytest.raises(NotFound):
        copy_case(session, user("township_reception@t2"), case.id, ["village_agent@t2-v1"])
    holder = user("township_reception@t1")
    for bad in ([], "x", ["nobody-at-all"], ["x"] * 21):
        with pytest.raises(Invalid):
            copy_case(session, holder, case.id, bad)
    assert session.scalars(select(Event).where(Event.case_id == case.id, Event.type == "case_copied")).all() == []
