"""Every fact of an item follows from its workflow after every command, forward or back (SQLite and
PostgreSQL): a return past the closing step reopens the item, returned and withdrawn steps carry
exactly their own timers, a calendar change keeps a special item's halved deadline, and a batch
never waits for an item the window handed over itself. Each was a bug found at the seams."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine.cases import actions, batches, commands
from engine.cases.calendar_admin import set_year
from engine.cases.timers import Timer
from engine.read.consistency import check_consistency
from engine.read.public import progress
from engine.store.models import TaskRow

from .isolated_db import demo_db, own_database_url  # noqa: F401  (calendar edits: a database of its own)
from .scenario import ACCEPT, REPLY, Item, at, local


def _problems(session, case) -> list[str]:
    return [p for p in check_consistency(session) if f"case {case.id}:" in p or "timer" in p]


def _expected(row: TaskRow) -> list[str]:
    """A task inside its last working day is due soon at once: only its overdue timer waits."""
    return ["overdue"] if row.due_state == "due_soon" else ["due_soon", "overdue"]


def _unfired(session, row: TaskRow) -> list[str]:
    return sorted(
        t.kind for t in session.scalars(select(Timer).where(Timer.task_id == row.id, Timer.fired_at.is_(None)))
    )


def test_returning_the_archive_step_reopens_the_reply_and_takes_back_the_rating(session, user):
    item = Item(session, user, "social-security-annual-review", "village_agent@t1-v2", "t1-v2", at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 9, 10))
    item.do("handle_at_village", {"approved": True, "answer": "已办"}, at(11, 23, 10))
    item.do("reply_resident", REPLY, at(11, 23, 11))
    case = item.case
    assert case.status == "closed" and case.closed_at is not None
    assert progress(session, case.receipt_code, "5678")["may_rate"] is True

    agent = user("village_agent@t1-v2")
    actions.return_task(session, agent, item.task("archive_case").id, "答复有误,重新答复", now=at(11, 23, 12))
    session.refresh(case)
    assert case.status == "open" and case.closed_at is None
    reply = item.task("reply_resident")
    seen = progress(session, case.receipt_code, "5678")
    assert seen["may_rate"] is False and seen["status"] == "open" and seen["step"] is not None
    assert _unfired(session, reply) != [], "the reopened reply has no deadline timers"
    assert _problems(session, case) == []

    assert reply.assignee_id == agent.id  # back with whoever replied
    commands.complete_task(session, agent, reply.id, REPLY, now=at(11, 24, 9))  # answered again
    session.refresh(case)
    assert case.status == "closed" and case.closed_at is not None
    assert progress(session, case.receipt_code, "5678")["may_rate"] is True


def test_after_a_return_and_a_withdrawal_each_open_task_has_exactly_its_timers(session, user):
    item = Item(session, user, "house-building", "village_agent@t1-v1", "t1-v1", at(11, 23))
    accept = item.do("accept_item", ACCEPT, at(11, 23, 10))
    review = item.task("township_review")
    assert _unfired(session, review) == ["due_soon", "overdue"]

    actions.withdraw_task(session, user("village_agent@t1-v1"), accept.id, "材料漏填", now=at(11, 23, 10, 30))
    assert _unfired(session, review) == []  # the cancelled review's timers went with it
    reopened = item.task("accept_item")
    assert reopened.id == accept.id and _unfired(session, reopened) == _expected(reopened)
    assert _problems(session, item.case) == []

    commands.complete_task(session, user("village_agent@t1-v1"), reopened.id, ACCEPT, now=at(11, 23, 11))
    review = item.task("township_review")
    actions.return_task(session, user("township_reception@t1"), review.id, "材料不清楚", now=at(11, 23, 14))
    assert _unfired(session, review) == []
    assert _unfired(session, item.task("accept_item")) == _expected(item.task("accept_item"))
    assert _problems(session, item.case) == []


def test_saving_the_calendar_keeps_a_special_items_halved_deadline(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v3", "t2-v3", at(11, 23))
    item.do("accept_item", {**ACCEPT, "urgent": True}, at(11, 23, 10))
    case = item.case
    assert case.kind == "special" and local(case.due_at) == "2026-11-25 17:30"  # half of five working days
    # A holiday added on a day the item does not span moves nothing; one inside it moves it a day.
    set_year(session, user("admin"), 2026, ["2026-12-30"], [])
    session.refresh(case)
    assert local(case.due_at) == "2026-11-25 17:30"
    set_year(session, user("admin"), 2026, ["2026-11-24"], [])
    session.refresh(case)
    assert local(case.due_at) == "2026-11-26 17:30"
    row = item.task("township_review")
    assert row.due_at <= case.due_at and _unfired(session, row)  # its timers moved with it
    set_year(session, user("admin"), 2026, [], [])
    assert _problems(session, case) == []


def test_a_result_the_window_hands_over_itself_leaves_its_batch(session, user):
    window_user = user("county_window@qx-window")
    item = Item(session, user, "house-building", "village_agent@t1-v1", "t1-v1", at(11, 23))
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    item.do("township_review", {"opinion": "报县"}, at(11, 23, 11))
    item.do("sort_to_departments", {}, at(11, 23, 14))
    item.do("status_notice", {"status_notice": "已报县级部门联合审批"}, at(11, 23, 15))
    for row in item.open_rows():
        handler = user(f"department_handler@{row.org_unit.code}")
        commands.complete_task(session, handler, row.id, {"approved": True, "opinion": "同意"}, now=at(11, 24))
    item.do("consolidate", {"approved": True, "answer": "准予建房"}, at(11, 24, 15))
    handover = item.task("return_to_township")
    batch = batches.create_batch(session, window_user, "t1", now=datetime(2026, 11, 24, 2, tzinfo=UTC))
    assert handover.id in {i.task_id for i in batch.items}

    commands.complete_task(session, window_user, handover.id, {}, now=at(11, 24, 16))  # handed over in person
    session.refresh(batch)
    assert handover.id not in {i.task_id for i in batch.items}
    assert batch.status in ("cancelled", "scheduled")
    if batch.status == "scheduled":  # other results of t1 still travel with it
        results = batches.confirm_receipt(session, user("township_agent@t1"), batch.id)
        assert all(r["ok"] for r in results)
        session.refresh(batch)
        assert batch.status == "received"
    assert _problems(session, item.case) == []
