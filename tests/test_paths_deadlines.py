"""Engine scenarios: due soon one working day before a deadline, overdue at it, escalation to the
supervisor and the township discipline committee, an explanation to close it; the timer sweep."""

import threading

import pytest
from sqlalchemy import func, select

from engine.cases.timer_sweep import fire_due_timers
from engine.cases.timers import Timer
from engine.kernel.errors import Invalid
from engine.read.inbox import inbox
from engine.read.shapes import task_detail
from engine.store.models import Event

from .scenario import ACCEPT, Item, at, local


def _overdue_inbox(session, user, username):
    return {t.id for t in inbox(session, user(username), "overdue", per_page=100).items}


def test_a_late_task_turns_due_soon_then_overdue_and_oversight_sees_it(session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t2-v2", "t2-v2", at(11, 23))
    assert item.task("accept_item").due_state == "due_soon"  # a same-day task is inside its last working day
    item.do("accept_item", ACCEPT, at(11, 23, 10))
    review = item.task("township_review")
    assert local(review.due_at) == "2026-11-25 17:30" and review.due_state is None

    fire_due_timers(session, at(11, 24, 17, 0), 1000)
    session.refresh(review)
    assert review.due_state is None  # not yet one working day before the deadline
    fire_due_timers(session, at(11, 24, 17, 31), 1000)
    session.refresh(review)
    assert review.due_state == "due_soon" and item.event_types()[-1] == "task_due_soon"
    assert review.id not in _overdue_inbox(session, user, "supervisor@qx")

    fire_due_timers(session, at(11, 25, 17, 31), 1000)
    session.refresh(review)
    assert review.due_state == "overdue"
    overdue = item.events()[-1]
    assert overdue.type == "task_overdue" and overdue.actor == "system"
    assert overdue.detail["unit"] == "t2" and overdue.detail["task"] == "township_review"
    # The county supervisor and this township's discipline committee get it; another township's does not.
    assert review.id in _overdue_inbox(session, user, "supervisor@qx")
    assert review.id in _overdue_inbox(session, user, "discipline_inspector@t2")
    assert review.id not in _overdue_inbox(session, user, "discipline_inspector@t1")
    # The holder's own overdue list has it too: one meaning of "overdue" for everyone (engine/read/inbox.py).
    assert review.id in _overdue_inbox(session, user, "township_reception@t2")
    assert review.id not in _overdue_inbox(session, user, "township_reception@t1")
    assert review.id in {t.id for t in inbox(session, user("township_reception@t2"), "available", per_page=100).items}

    fire_due_timers(session, at(11, 26), 1000)
    assert item.event_types().count("task_overdue") == 1  # a timer fires once

    form = task_detail(session, user("township_reception@t2"), review.id)["form"]
    assert "delay_explanation" in form["required"]
    with pytest.raises(Invalid) as err:
        item.do("township_review", {"opinion": "同意"}, at(11, 26, 9))
    assert "delay_explanation" in err.value.errors
    session.rollback()
    item.do("township_review", {"opinion": "同意", "delay_explanation": "经办人病假,已向群众致歉说明"}, at(11, 26, 9))
    closed = item.events()[-1]
    assert closed.detail["data"]["delay_explanation"].startswith("经办人病假")
    assert review.id not in _overdue_inbox(session, user, "supervisor@qx")
    # The next step starts on time with timers of its own; the finished task's are gone.
    station = item.task("handle_at_station")
    assert station.due_state is None and local(station.due_at) == "2026-11-30 17:30"
    assert (
        session.scalar(
            select(func.count()).select_from(Timer).where(Timer.task_id == review.id, Timer.fired_at.is_(None))
        )
        == 0
    )


def test_two_workers_never_fire_one_timer_twice(demo_db, database_url, user, session):
    """PostgreSQL: SKIP LOCKED row locks; SQLite: one writer at a time plus a conditional update."""
    items = [Item(session, user, "temporary-aid", "village_agent@t3-v3", "t3-v3", at(11, 23)) for _ in range(12)]
    now = at(11, 24)  # every accept_item deadline (Monday 17:30) has passed
    due = session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_(None), Timer.due_at <= now))
    session.commit()
    counts, errors = [], []

    def work():
        try:
            with demo_db() as own:
                counts.append(fire_due_timers(own, now, 1000))
        except Exception as err:  # surfaced below
            errors.append(err)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors and sum(counts) == due >= 12
    for item in items:
        assert item.event_types().count("task_overdue") == 1
    duplicates = session.execute(
        select(Event.task_id).where(Event.type == "task_overdue").group_by(Event.task_id).having(func.count() > 1)
    ).all()
    assert duplicates == []


def test_the_worker_command_fires_due_timers_once(app, session, user):
    item = Item(session, user, "temporary-aid", "village_agent@t3-v1", "t3-v1", at(1, 5))
    session.commit()
    result = app.test_cli_runner().invoke(args=["daiban", "worker", "--once", "--limit", "1000"])
    assert result.exit_code == 0 and result.output.startswith("timers fired: ")
    session.expire_all()
    assert "task_overdue" in item.event_types()  # the worker reads the real clock, long past 5 January 2026
