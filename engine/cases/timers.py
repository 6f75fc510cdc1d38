"""Timers: deadlines of open tasks, in a table of their own so a sweep reads only what is due.

The inbox projection schedules a task's timers when the task becomes ready and
cancels the unfired ones when it leaves; engine/cases/timer_sweep.py (run by the worker)
fires the due ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..kernel.vocabulary import TIMER_EVENTS, TimerKind, WaitKind
from ..runtime.waits import has_timer_events, waits
from ..store.calendar import END_OF_DAY, TZ, default_calendar
from ..store.db import table_of
from ..store.models import TaskRow
from ..store.timer_table import Timer
from ..store.write_late import write_late

# What a task's deadline means: an overdue task is escalated to oversight;
# a resubmission deadline is the resident's and only reminds the agent.
DUE_SOON, OVERDUE, RESUBMISSION = TimerKind.DUE_SOON, TimerKind.OVERDUE, TimerKind.RESUBMISSION
PROCESS = TimerKind.PROCESS
EVENT_TYPES = TIMER_EVENTS


def due_soon_at(due_at: datetime, session: Session, calendar=None) -> datetime:
    """One working day before the deadline: the end of the previous working day."""
    calendar = calendar or default_calendar(session)
    day = due_at.astimezone(TZ).date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, END_OF_DAY, tzinfo=TZ)


def schedule(
    session: Session, case, row: TaskRow, deadline_kind: str | None, now: datetime, calendar=None
) -> list[dict]:
    """Timers of a newly ready task (for `add_timers`); a task already inside its last working day is
    due soon at once."""
    if row.due_at is None or case.is_test_run:
        return []
    timer = {"case_id": case.id, "task_id": row.id, "fired_at": None}
    if deadline_kind == RESUBMISSION:
        return [{**timer, "due_at": row.due_at, "kind": RESUBMISSION}]
    timers = []
    soon = due_soon_at(row.due_at, session, calendar)
    if soon > now:
        timers.append({**timer, "due_at": soon, "kind": DUE_SOON})
    else:
        row.due_state = DUE_SOON
    timers.append({**timer, "due_at": row.due_at, "kind": OVERDUE})
    return timers


def add_timers(session: Session, timers: list[dict]) -> None:
    """Write timers in one statement, with the command's last writes (engine/store/write_late.py):
    nothing reads their ids, so no INSERT ... RETURNING row by row (which is what the unit of work
    does on SQLite for rows added one by one)."""
    if timers:
        write_late(session, insert(table_of(Timer)), timers)


def reschedule(session: Session, case, row: TaskRow, deadline_kind: str | None, now: datetime, calendar) -> None:
    """The task's deadline moved: its unfired timers go, new ones follow the new deadline, and due
    soon / overdue are told again for the new period."""
    session.execute(delete(Timer).where(Timer.task_id == row.id, Timer.fired_at.is_(None)))
    row.due_state = None
    add_timers(session, schedule(session, case, row, deadline_kind, now, calendar))


def cancel_all_but(session: Session, case_id: int, open_task_ids: set[str]) -> None:
    """Drop the unfired deadline timers of the case's tasks that are not open (completed, cancelled,
    returned); the diagram's own timers are kept by `sync_process_timers`."""
    write_late(
        session,
        delete(table_of(Timer)).where(
            Timer.case_id == case_id,
            Timer.fired_at.is_(None),
            Timer.kind != PROCESS,
            Timer.task_id.not_in(open_task_ids or {""}),
        ),
    )


def process_timers(workflow) -> dict[str, datetime]:
    """The diagram's timer events the workflow waits on, by SpiffWorkflow task id: when each is due."""
    due = {}
    for wait in waits(workflow):
        if wait["kind"] == WaitKind.TIMER and wait["due"]:
            try:
                at = datetime.fromisoformat(wait["due"])
            except ValueError:
                continue  # SpiffWorkflow computed no time: nothing the worker could fire
            due[wait["task_id"]] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return due


def sync_process_timers(session: Session, case, workflow) -> None:
    """A real case's timer events (intermediate or boundary; date, duration or cycle) in the timers
    table, exactly as the workflow now waits on them, so the worker fires each when it is due."""
    if case.is_test_run or case.id is None:  # an analyst fires a test run's timers by hand
        return
    if not has_timer_events(workflow):
        return  # the diagram has no timer event: nothing to keep (a case moved off one drops its own)
    wanted = process_timers(workflow)
    for timer in session.scalars(
        select(Timer).where(Timer.case_id == case.id, Timer.kind == PROCESS, Timer.fired_at.is_(None))
    ):
        if wanted.get(timer.task_id) == timer.due_at:
            del wanted[timer.task_id]
        else:
            session.delete(timer)  # the workflow moved past it (or a cycle's next round is due later)
    add_timers(
        session,
        [
            {"case_id": case.id, "task_id": task_id, "due_at": due_at, "kind": PROCESS, "fired_at": None}
            for task_id, due_at in wanted.items()
        ],
    )


def drop_process_timers(session: Session, case) -> None:
    """A case moved to another version: the timers of its old diagram go (the new one's follow)."""
    session.execute(delete(Timer).where(Timer.case_id == case.id, Timer.kind == PROCESS, Timer.fired_at.is_(None)))
