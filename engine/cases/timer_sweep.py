"""Firing due timers (the worker): each timer is one command of the pipeline (engine/cases/pipeline.py),
its own transaction with its one event, so a sweep's cost follows what is due, not what is open.

On PostgreSQL the timer is taken `FOR UPDATE SKIP LOCKED`, so two workers never fire one timer
twice and neither waits for the other; on SQLite a conditional update guards the same.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Literal

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session, lazyload

from ..kernel.errors import Conflict
from ..kernel.vocabulary import CASE_ENDED, EventType, NotificationKind, TimerKind
from ..runtime.failures import DiagramFailed
from ..runtime.spiff import find_task
from ..runtime.waits import fire_timer
from ..store.db import rowcount
from ..store.models import Case, CatalogItem, OrgUnit, TaskRow
from .notices import holders
from .pipeline import Work, execute
from .timers import EVENT_TYPES, Timer

Outcome = Literal["fired", "lost", "discarded"] | None

# What the task's holder (or its unit) is told when a timer fires.
REMINDERS = {
    TimerKind.DUE_SOON: NotificationKind.DUE_SOON_REMINDER,
    TimerKind.OVERDUE: NotificationKind.OVERDUE_REMINDER,
}


def fire_due_timers(session: Session, now: datetime, limit: int = 100) -> int:
    """Fire up to `limit` due timers, oldest first, each in its own command. Returns how many fired."""
    postgres = session.get_bind().dialect.name == "postgresql"
    fired = 0
    for _ in range(limit):
        try:
            outcome = execute(session, None, partial(_fire_next, postgres=postgres), now)
        except Conflict:
            continue  # a command changed the task meanwhile: the timer is still due, taken next time
        if outcome is None:
            break
        fired += outcome == "fired"
    return fired


def _fire_next(work: Work, postgres: bool) -> Outcome:
    taken = _take_postgres(work) if postgres else _take(work)
    if taken is None or taken == "lost":
        return taken
    timer_id, task_id, kind, case_id = taken
    if kind == TimerKind.PROCESS:
        return _fire_process_timer(work, timer_id, task_id, case_id)
    # Only the task row and its unit's code: the sweep must not pay for the case's eager loads.
    row = work.session.get(TaskRow, task_id, options=[lazyload("*")])
    if row is None or row.state != "ready" or row.due_at is None:
        # Commands drop the timers of tasks that leave the inbox; one left behind (an old database,
        # a crash before this rule) goes now, said in the audit trail.
        work.session.execute(delete(Timer).where(Timer.id == timer_id))
        work.event("timer_discarded", row.case_id if row is not None else None, task_id=task_id, kind=kind)
        return "discarded"
    row.due_state = kind
    unit = work.session.scalar(select(OrgUnit.code).where(OrgUnit.id == row.org_unit_id))
    work.event(
        EVENT_TYPES[TimerKind(kind)],
        row.case_id,
        task_id=row.id,
        task=row.spec_name,
        name=row.name,
        unit=unit,
        role=row.role,
        due_at=row.due_at.isoformat(),
    )
    _remind(work, row, kind)
    return "fired"


def _fire_process_timer(work: Work, timer_id: int, task_id: str, case_id: int) -> Outcome:
    """A timer event of the case's diagram is due: it fires through the workflow as in SpiffWorkflow
    (a boundary timer interrupts its activity or not, a cycle comes round again), the case is settled
    and the command records one event. A diagram that fails there records the failure and leaves the
    case as it was: the worker goes on with the next timer."""
    case = work.lock_case(case_id)
    if case.status in CASE_ENDED:
        work.session.execute(delete(Timer).where(Timer.id == timer_id))
        work.event("timer_discarded", case, task_id=task_id, kind=TimerKind.PROCESS)
        return "discarded"
    workflow = work.workflow(case)
    task = find_task(workflow, task_id)
    element = task.task_spec.bpmn_id if task is not None else None
    name = (task.task_spec.bpmn_name or element) if task is not None else None
    try:
        fire_timer(workflow, task_id)
    except Conflict:  # no longer waiting (the state moved on without this command): nothing to fire
        work.session.execute(delete(Timer).where(Timer.id == timer_id))
        work.event("timer_discarded", case, task_id=task_id, kind=TimerKind.PROCESS)
        return "discarded"
    except DiagramFailed as failure:
        work.event(EventType.PROCESS_TIMER_FAILED, case, task_id=task_id, element=element, failed=failure.as_dict())
        return "fired"
    facts = work.settle(case, workflow)
    extra = {"status": case.status} if facts.status_changed else {}
    work.event(
        EventType.PROCESS_TIMER_FIRED,
        case,
        task_id=task_id,
        element=element,
        name=name,
        next=[r.name for r in facts.new_rows],
        **extra,
    )
    return "fired"


def _remind(work: Work, row: TaskRow, kind: str) -> None:
    """Tell whoever has the task that it is due soon or overdue (not an analyst's test run)."""
    reminder = REMINDERS.get(TimerKind(kind))
    item = work.session.execute(
        select(Case.receipt_code, Case.is_test_run, CatalogItem.name)
        .join(CatalogItem, CatalogItem.id == Case.catalog_item_id)
        .where(Case.id == row.case_id)
    ).first()
    if reminder is None or item is None or item.is_test_run:
        return
    due_at = row.due_at.isoformat() if row.due_at else None
    detail = {"name": row.name, "receipt_code": item.receipt_code, "item": item.name, "due_at": due_at}
    work.notify(holders(work.session, row), reminder, row.case_id, row.id, **detail)


def _due(now: datetime):
    return (
        select(Timer.id).where(Timer.fired_at.is_(None), Timer.due_at <= now).order_by(Timer.due_at, Timer.id).limit(1)
    )


def _take_postgres(work: Work) -> tuple[int, str, str, int] | None:
    """One statement: lock the oldest due timer no other worker holds, and mark it fired."""
    row = work.session.execute(
        update(Timer)
        .where(Timer.id == _due(work.now).with_for_update(skip_locked=True).scalar_subquery())
        .values(fired_at=work.now)
        .returning(Timer.id, Timer.task_id, Timer.kind, Timer.case_id)
    ).first()
    if row is None:
        return None
    # A firing lost in a crash is simply not fired yet: the next sweep fires it again, so this
    # commit need not wait for the disk.
    work.session.execute(text("SET LOCAL synchronous_commit = off"))
    return row.id, row.task_id, row.kind, row.case_id


def _take(work: Work) -> tuple[int, str, str, int] | Literal["lost"] | None:
    """SQLite has one writer at a time; the conditional update still guards against a second worker."""
    timer = work.session.scalar(select(Timer).where(Timer.id == _due(work.now).scalar_subquery()))
    if timer is None:
        return None
    taken = rowcount(
        work.session.execute(
            update(Timer).where(Timer.id == timer.id, Timer.fired_at.is_(None)).values(fired_at=work.now)
        )
    )
    return (timer.id, timer.task_id, timer.kind, timer.case_id) if taken else "lost"
