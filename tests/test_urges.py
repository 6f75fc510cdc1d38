"""催办 (urge): the first-ask agent, the county window, supervisors and the township discipline
committee urge an open task; the holder, or every member of the unit while nobody took it, is told
once; one urge per working day per task and urger (409 after); the task counts its urges."""

from datetime import datetime

import pytest
from sqlalchemy import select

from engine.cases import commands
from engine.cases.urges import urge_count, urge_task
from engine.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from engine.read.shapes import task_detail
from engine.store.calendar import TZ
from engine.store.models import Event, OrgUnit, RoleAssignment, TaskRow
from engine.store.notice_tables import Notification

from .scenario import HOUSE_MATERIALS

RESIDENT = {"name": "赵大山", "phone": "13900004444", "village": "t1-v2"}
ACCEPT = {"materials_complete": True, "commission_signed": True}
TUESDAY = datetime(2026, 12, 8, 10, 0, tzinfo=TZ)
TUESDAY_EVENING = datetime(2026, 12, 8, 21, 0, tzinfo=TZ)
WEDNESDAY = datetime(2026, 12, 9, 9, 0, tzinfo=TZ)
SATURDAY = datetime(2026, 12, 12, 9, 0, tzinfo=TZ)
MONDAY = datetime(2026, 12, 14, 9, 0, tzinfo=TZ)


def _review(session, user):
    agent = user("village_agent@t1-v2")
    case = commands.open_case(session, agent, "house-building", RESIDENT, "建房", HOUSE_MATERIALS)
    accept = session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))
    commands.complete_task(session, agent, accept.id, ACCEPT)
    return session.scalar(select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == "ready"))


def _urged(session, task):
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.task_id == task.id, Notification.kind == "urged")
            .order_by(Notification.id)
        )
    )


def _reception_t1(session):
    return sorted(
        session.scalars(
            select(RoleAssignment.user_id)
            .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
            .where(RoleAssignment.role == "township_reception", OrgUnit.code == "t1")
        )
    )


def test_an_urge_reaches_every_member_of_an_unclaimed_unit_once_per_working_day(session, user):
    review = _review(session, user)
    members = _reception_t1(session)
    assert len(members) >= 2  # the demo township t1 has two receptionists
    agent = user("village_agent@t1-v2")
    assert "urge" in task_detail(session, agent, review.id)["available_actions"]

    urge_task(session, agent, review.id, "群众很着急,请尽快审核", now=TUESDAY)
    told = _urged(session, review)
    assert sorted(n.user_id for n in told) == members and len(told) == len(members)
    assert told[0].detail["note"] == "群众很着急,请尽快审核" and told[0].detail["by"] == agent.display_name
    [event] = session.scalars(select(Event).where(Event.task_id == review.id, Event.type == "task_urged")).all()
    assert event.detail["count"] == 1

    with pytest.raises(Conflict):  # the same urger, the same working day
        urge_task(session, agent, review.id, None, now=TUESDAY_EVENING)
    assert len(_urged(session, review)) == len(members) and urge_count(session, review.id) == 1

    # Another urger the same day: the discipline committee of the township.
    urge_task(session, user("discipline_inspector@t1"), review.id, None, now=TUESDAY_EVENING)
    urge_task(session, agent, review.id, None, now=WEDNESDAY)  # the next working day: again
    assert urge_count(session, review.id) == 3
    assert task_detail(session, agent, review.id)["urges"] == 3


def test_a_weekend_urge_counts_for_the_next_working_day(session, user):
    review = _review(session, user)
    supervisor = user("supervisor@qx")
    urge_task(session, supervisor, review.id, None, now=SATURDAY)
    with pytest.raises(Conflict):
        urge_task(session, supervisor, review.id, None, now=MONDAY)


def test_a_claimed_task_tells_only_its_holder_and_strangers_may_not_urge(session, user):
    review = _review(session, user)
    holder = user("township_reception@t1")
    commands.claim_task(session, holder, review.id)
    urge_task(session, user("supervisor@qx"), review.id, None, now=TUESDAY)
    assert [n.user_id for n in _urged(session, review)] == [holder.id]

    with pytest.raises(Forbidden):  # sees the item, may not urge
        urge_task(session, user("township_agent@t1"), review.id, None, now=TUESDAY)
    with pytest.raises(NotFound):  # another township's agent does not even see it
        urge_task(session, user("township_reception@t2"), review.id, None, now=TUESDAY)
    with pytest.raises(Invalid):
        urge_task(session, user("village_agent@t1-v2"), review.id, "长" * 501, now=TUESDAY)
    assert urge_count(session, review.id) == 1

    commands.complete_task(session, holder, review.id, {"opinion": "报县"})
    with pytest.raises(Conflict):  # finished: nothing to urge
        urge_task(session, user("village_agent@t1-v2"), review.id, None, now=WEDNESDAY)


def test_supervision_counts_the_urges_of_each_village_and_in_all(session, user):
    from datetime import timedelta

    from engine.oversight.assessment import figures
    from engine.store.models import OrgUnit

    review = _review(session, user)
    township = session.scalar(select(OrgUnit).where(OrgUnit.code == "t1"))
    today = datetime.now(TZ).date()
    period = (today - timedelta(days=1), today + timedelta(days=1))

    def counted():
        total = figures(session, township, *period)[0].urges
        villages = {f.key: f.urges for f in figures(session, township, *period, "village")}
        agents = {f.key: f.urges for f in figures(session, township, *period, "agent")}
        return total, villages.get("t1-v2", 0), agents.get("village_agent@t1-v2", 0)

    before = counted()
    urge_task(session, user("supervisor@qx"), review.id, None, now=TUESDAY)
    urge_task(session, user("discipline_inspector@t1"), review.id, None, now=TUESDAY)
    assert counted() == tuple(n + 2 for n in before)
