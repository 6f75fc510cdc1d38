"""Engine scenarios at acceptance: returned / refused items, private matters guided in person,
and the one-time complete notice of missing materials with the resident's resubmission deadline."""

import pytest
from sqlalchemy import select

from engine.cases.forms import task_form
from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.errors import Invalid
from engine.store.models import TaskRow

from .scenario import ACCEPT, Item, at, local


@pytest.mark.parametrize("decision", ["refuse", "guide_in_person"])
def test_an_item_not_accepted_is_returned_with_the_reason_and_where_to_go(session, user, decision):
    item = Item(session, user, "resident-id-card", "village_agent@t3-v1", "t3-v1", at(11, 23))
    answer = {
        "acceptance": decision,
        "materials_complete": False,
        "commission_signed": False,
        "reason": "居民身份证须本人到场采集指纹与照片",
        "where_to_go": "县公安局户政窗口",
    }
    item.do("accept_item", answer, at(11, 23, 9, 20))
    case = item.case
    assert case.status == "returned" and local(case.closed_at) == "2026-11-23 09:20"
    assert item.holders() == []
    last = item.events()[-1]
    assert last.type == "task_completed" and last.detail["status"] == "returned"
    assert last.detail["data"]["where_to_go"] == "县公安局户政窗口"


def test_refusing_without_a_reason_is_rejected_and_changes_nothing(session, user):
    item = Item(session, user, "resident-id-card", "village_agent@t3-v2", "t3-v2", at(11, 23))
    with pytest.raises(Invalid) as err:
        item.do(
            "accept_item",
            {"acceptance": "refuse", "materials_complete": True, "commission_signed": False},
            at(11, 23, 10),
        )
    assert set(err.value.errors) == {"reason", "where_to_go"}
    session.rollback()
    assert item.case.status == "open" and item.holders() == ["accept_item village_agent@t3-v2"]
    with pytest.raises(Invalid) as err:  # an accepted item needs the signed commission form
        item.do("accept_item", {"materials_complete": True, "commission_signed": False}, at(11, 23, 10))
    assert set(err.value.errors) == {"commission_signed"}


def test_missing_materials_wait_without_going_overdue_and_resume_with_a_new_deadline(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v3", "t2-v3", at(11, 23), ["身份证"])
    case = item.case
    item.do("accept_item", {**ACCEPT, "materials_complete": False}, at(11, 23, 10))
    assert case.status == "waiting_materials"
    notice = item.events()[-1].detail
    # One complete notice: everything the catalog requires that the resident has not brought.
    assert notice["notice"]["missing_materials"] == ["户口簿", "临时救助申请书", "困难情况证明材料"]
    assert notice["status"] == "waiting_materials"
    assert item.holders() == ["record_materials village_agent@t2-v3"]
    waiting = item.task("record_materials")
    assert local(waiting.due_at) == "2026-12-07 17:30"  # the resident's resubmission deadline: ten working days
    assert notice["due"]["record_materials"] == "2026-12-07T17:30:00+08:00"

    fire_due_timers(session, at(12, 1), 1000)  # past the item's own five working days
    session.refresh(case)
    assert case.status == "waiting_materials"
    assert "task_overdue" not in item.event_types()
    assert waiting.due_state is None and case.id not in _overdue_ids(session)

    fire_due_timers(session, at(12, 7, 17, 31), 1000)  # the resident's resubmission deadline passes
    session.refresh(waiting)
    assert waiting.due_state == "resubmission" and item.event_types()[-1] == "resubmission_due"

    item.do(
        "record_materials",
        {"materials_supplied": ["户口簿", "临时救助申请书", "困难情况证明材料"]},
        at(12, 8, 10),
    )
    assert case.status == "open" and len(case.materials_provided) == 4
    assert local(case.due_at) == "2026-12-15 17:30"  # the clock restarts when the materials are complete
    assert item.holders() == ["township_review township_reception@t2"]


def test_a_resident_who_withdraws_while_materials_are_missing_closes_the_item_as_returned(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v1", "t2-v1", at(11, 23))
    item.do("accept_item", {**ACCEPT, "materials_complete": False}, at(11, 23, 10))
    item.do("record_materials", {"materials_supplied": [], "withdrawn": True, "note": "群众不再申请"}, at(11, 25))
    assert item.case.status == "returned" and item.holders() == []


def test_a_resubmission_ticks_materials_off_and_the_item_waits_until_none_is_missing(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v2", "t2-v2", at(11, 23), ["身份证"])
    case = item.case
    item.do("accept_item", {**ACCEPT, "materials_complete": False}, at(11, 23, 10))
    form = task_form(item.task("record_materials"))["properties"]["materials_supplied"]["items"]
    assert form["enum"] == ["户口簿", "临时救助申请书", "困难情况证明材料"]  # only what is still missing
    with pytest.raises(Invalid) as err:  # something the item does not ask for, or already on record
        item.do("record_materials", {"materials_supplied": ["身份证"]}, at(11, 24, 10))
    assert set(err.value.errors) == {"materials_supplied"}
    session.rollback()

    item.do("record_materials", {"materials_supplied": ["户口簿"], "note": "先交户口簿"}, at(11, 24, 10))
    assert case.materials_provided == ["身份证", "户口簿"]  # added to the record, never replacing it
    assert case.status == "waiting_materials"  # the gate does not let an incomplete item through
    assert item.holders() == ["record_materials village_agent@t2-v2"]
    assert item.events()[-1].detail["notice"]["missing_materials"] == ["临时救助申请书", "困难情况证明材料"]
    again = task_form(item.task("record_materials"))["properties"]["materials_supplied"]["items"]
    assert again["enum"] == ["临时救助申请书", "困难情况证明材料"]

    item.do("record_materials", {"materials_supplied": ["临时救助申请书", "困难情况证明材料"]}, at(11, 25, 10))
    assert case.materials_provided == ["身份证", "户口簿", "临时救助申请书", "困难情况证明材料"]
    assert case.status == "open" and item.holders() == ["township_review township_reception@t2"]


def _overdue_ids(session):
    rows = session.scalars(select(TaskRow).where(TaskRow.state == "ready", TaskRow.due_state == "overdue"))
    return {r.case_id for r in rows}
