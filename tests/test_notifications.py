"""In-app notifications: work reaching a person tells them, in the same transaction as the change
(a new task in my unit's inbox, a task returned to me, due soon and overdue, an approval waiting),
never the person who acted; reading them is theirs alone. SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.cases import actions, commands
from engine.cases.catalog_admin import propose_item
from engine.cases.timer_sweep import fire_due_timers
from engine.kernel.errors import Invalid
from engine.read.notifications import list_notifications, mark_read, text, unread_count
from engine.store.models import Event, OrgUnit, RoleAssignment, TaskRow
from engine.store.notice_tables import Notification

from .scenario import HOUSE_MATERIALS

RESIDENT = {"name": "王秀英", "phone": "13900003333", "village": "t1-v1"}
ACCEPT = {"materials_complete": True, "commission_signed": True}


def _told(session, case, kind=None):
    query = select(Notification).where(Notification.case_id == case.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query.order_by(Notification.id)))


def _who(session, notes):
    return sorted({n.user_id for n in notes})


def _members(session, role, unit):
    return sorted(
        session.scalars(
            select(RoleAssignment.user_id)
            .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
            .where(RoleAssignment.role == role, OrgUnit.code == unit)
        )
    )


def _open_and_hand_over(session, user):
    case = commands.open_case(session, user("village_agent@t1-v1"), "house-building", RESIDENT, "建房", HOUSE_MATERIALS)
    accept = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    commands.complete_task(session, user("village_agent@t1-v1"), accept.id, ACCEPT)
    return case


def test_a_handed_over_item_tells_the_township_reception_and_not_the_agent_who_acted(session, user):
    case = _open_and_hand_over(session, user)
    agent = user("village_agent@t1-v1")
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    told = [n for n in _told(session, case, "new_task") if n.task_id == review.id]
    assert _who(session, told) == _members(session, "township_reception", "t1")  # everyone of the unit, once
    assert len(told) == len(_members(session, "township_reception", "t1")) >= 1
    note = told[0]
    assert note.read_at is None
    words = text(note, lambda s: s)
    assert review.name in words and case.receipt_code in words and "王秀英" not in words  # nothing personal
    assert not [n for n in _told(session, case) if n.user_id == agent.id]


def test_a_returned_task_tells_the_agent_it_went_back_to(session, user):
    case = _open_and_hand_over(session, user)
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    actions.return_task(session, user("township_reception@t1"), review.id, "缺少村民小组会议记录")
    [note] = _told(session, case, "returned_to_me")
    assert note.user_id == user("village_agent@t1-v1").id
    assert "was returned to you" in text(note, lambda s: s)
    before = unread_count(session, user("village_agent@t1-v1"))
    assert before >= 1
    assert list_notifications(session, user("village_agent@t1-v1"), per_page=1).items[0].id == note.id  # newest first


def test_a_refused_command_tells_nobody(session, user):
    case = _open_and_hand_over(session, user)
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    before = len(_told(session, case))
    with pytest.raises(Invalid):
        actions.return_task(session, user("township_reception@t1"), review.id, "  ")
    assert len(_told(session, case)) == before


def test_due_soon_and_overdue_reach_everyone_of_the_unit_while_nobody_took_the_task(session, user):
    case = _open_and_hand_over(session, user)
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    fire_due_timers(session, review.due_at + timedelta(days=1), 10_000)
    members = _members(session, "township_reception", "t1")
    assert _who(session, _told(session, case, "due_soon_reminder")) == members
    overdue = _told(session, case, "overdue_reminder")
    assert _who(session, overdue) == members and len(overdue) == len(members)
    assert "is overdue" in text(overdue[0], lambda s: s)


def test_a_claimed_tasks_deadline_reaches_its_holder_only_and_marks_the_row_in_hand(session, user):
    """The sweep's command for a deadline: the row this session holds shows the mark at once, the event
    names the step and its unit, and only the one who took the task is reminded."""
    case = _open_and_hand_over(session, user)
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    holder = user("township_reception@t1")
    commands.claim_task(session, holder, review.id)
    assert fire_due_timers(session, review.due_at + timedelta(days=1), 10_000) >= 2
    assert review.due_state == "overdue"  # no refresh: the session's own copy was told
    late = session.scalar(select(Event).where(Event.case_id == case.id, Event.type == "task_overdue"))
    assert late.task_id == review.id and late.detail["unit"] == "t1" and late.detail["task"] == review.spec_name
    for kind in ("due_soon_reminder", "overdue_reminder"):
        assert _who(session, _told(session, case, kind)) == [holder.id]


def test_reading_marks_only_my_own_and_is_recorded_once(session, user):
    case = _open_and_hand_over(session, user)
    reception, agent = user("township_reception@t1"), user("village_agent@t1-v1")
    [note] = [n for n in _told(session, case, "new_task") if n.user_id == reception.id]
    events = session.scalars(select(Event).where(Event.type == "notifications_read")).all()
    assert mark_read(session, agent, [note.id]) == 0  # not the agent's: nothing happens, nothing recorded
    assert session.scalars(select(Event).where(Event.type == "notifications_read")).all() == events
    assert mark_read(session, reception, [note.id]) == 1
    session.refresh(note)
    assert note.read_at is not None
    assert mark_read(session, reception, [note.id]) == 0
    with pytest.raises(Invalid):
        mark_read(session, reception, ["x"])
    mark_read(session, reception, all_=True)
    assert unread_count(session, reception) == 0
    read = session.scalars(select(Event).where(Event.type == "notifications_read", Event.actor_id == reception.id))
    assert len(read.all()) >= 1


def test_a_proposed_catalog_item_tells_the_leaders_an_approval_is_waiting(session, user):
    admin, leader = user("admin"), user("leader@qx")
    body = {
        "code": "notify-item",
        "name": "农机报废补贴",
        "category": "other",
        "kind": "promised",
        "level": "county",
        "departments": ["agriculture_rural"],
        "time_limit_days": 10,
        "materials": ["身份证"],
        "fee": 0,
    }
    proposal = propose_item(session, admin, body)
    notes = session.scalars(
        select(Notification).where(Notification.kind == "approval_waiting", Notification.user_id == leader.id)
    ).all()
    assert [n.detail["proposal"] for n in notes][-1] == proposal.id
    assert "农机报废补贴" in text(notes[-1], lambda s: s)


def test_a_delegated_task_tells_the_colleague_and_a_transferred_one_the_peer_unit(session, user):
    case = _open_and_hand_over(session, user)
    review = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    first, second = _members(session, "township_reception", "t1")[:2]
    from engine.store.models import User

    giver = session.get(User, first)
    colleague = session.get(User, second)
    commands.claim_task(session, giver, review.id)
    before = len(_told(session, case, "new_task"))
    actions.delegate_task(session, giver, review.id, colleague.username)
    told = _told(session, case, "new_task")[before:]
    assert [n.user_id for n in told] == [colleague.id]
