"""Firing due timers (the worker): each timer is one command of the pipeline (engine/cases/pipeline.py),
its own transaction with its one event, so a sweep's cost follows what is due, not what is open.

On PostgreSQL the timer is taken `FOR UPDATE SKIP LOCKED`, so two workers never fire one timer
twice and neither waits for the other; on SQLite a conditional update guards the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Literal

from sqlalchemy import Row, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..kernel.errors import Conflict
from ..kernel.vocabulary import CASE_ENDED, EventType, NotificationKind, TimerKind
from ..runtime.failures import DiagramFailed
from ..runtime.spiff import find_task
from ..runtime.waits import fire_timer
from ..store.db import rowcount, table_of
from ..store.models import Case, CatalogItem, OrgUnit, RoleAssignment, TaskRow, UtcDateTime
from .notices import holders, place_holders
from .pipeline import Work, execute
from .timers import EVENT_TYPES, Timer

Outcome = Literal["fired", "lost", "discarded"] | None

# What the task's holder (or its unit) is told when a timer fires.
REMINDERS = {
    TimerKind.DUE_SOON: NotificationKind.DUE_SOON_REMINDER,
    TimerKind.OVERDUE: NotificationKind.OVERDUE_REMINDER,
}
TASKS = table_of(TaskRow)
# The task's new due mark, as a plain (Core) UPDATE (SQLite; PostgreSQL marks it within `TAKE`).
MARK = update(TASKS).where(TASKS.c.id == bindparam("task_id")).values(due_state=bindparam("due_state"))


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
    if taken.kind == TimerKind.PROCESS:
        return _fire_process_timer(work, taken.timer_id, taken.task_id, taken.case_id)
    task = taken.task
    if task is None or task.state != "ready" or task.due_at is None:
        # Commands drop the timers of tasks that leave the inbox; one left behind (an old database,
        # a crash before this rule) goes now, said in the audit trail.
        work.session.execute(delete(Timer).where(Timer.id == taken.timer_id))
        case_id = task.case_id if task is not None else None
        work.event("timer_discarded", case_id, task_id=taken.task_id, kind=taken.kind)
        return "discarded"
    # A plain UPDATE, not a loaded row; a copy this session already holds is told the new value.
    if not taken.marked:
        work.session.execute(MARK, {"task_id": task.id, "due_state": taken.kind})
    held = work.session.identity_map.get(identity_key(TaskRow, task.id))
    if held is not None:
        set_committed_value(held, "due_state", taken.kind)
    work.event(
        EVENT_TYPES[TimerKind(taken.kind)],
        task.case_id,
        task_id=task.id,
        task=task.spec_name,
        name=task.name,
        unit=task.unit,
        role=task.role,
        due_at=task.due_at.isoformat(),
    )
    _remind(work, taken)
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


def _remind(work: Work, taken: Taken) -> None:
    """Tell whoever has the task that it is due soon or overdue (not an analyst's test run)."""
    task = taken.task
    reminder = REMINDERS.get(TimerKind(taken.kind))
    if reminder is None or task is None or task.is_test_run:
        return
    due_at = task.due_at.isoformat() if task.due_at else None
    detail = {"name": task.name, "receipt_code": task.receipt_code, "item": task.item, "due_at": due_at}
    if task.assignee_id is not None:
        people = [task.assignee_id]
    elif taken.holders is not None:
        people = taken.holders
    else:  # `holders` reads only who holds the task and where: a transient row with those
        row = TaskRow(assignee_id=task.assignee_id, role=task.role, org_unit_id=task.org_unit_id)
        people = holders(work.session, row)
    work.notify(people, reminder, task.case_id, task.id, **detail)


def _due(now: datetime):
    return (
        select(Timer.id).where(Timer.fired_at.is_(None), Timer.due_at <= now).order_by(Timer.due_at, Timer.id).limit(1)
    )


@dataclass(frozen=True)
class Taken:
    """A timer taken (marked fired) in this command, and what firing it needs of its task (None when
    the task is gone): the row's fields, its unit's code and its item's receipt code and name."""

    timer_id: int
    task_id: str
    kind: str
    case_id: int
    task: Row | None
    marked: bool = False  # the task's due mark is already written (PostgreSQL, within the take)
    holders: list[int] | None = None  # who has the task if nobody took it, when already read


def _task_facts(timer_task_id):
    """The columns `Taken.task` holds, of the task `timer_task_id` names (no row when the task is gone).
    Its unit's code and its item's receipt code and name come as key lookups (scalar subqueries), not
    joins: PostgreSQL plans the sweep's statement anew each time, and a four-table join took most of it."""
    case = Case.id == TaskRow.case_id
    return select(
        TaskRow.id,
        TaskRow.case_id,
        TaskRow.state,
        TaskRow.due_at,
        TaskRow.spec_name,
        TaskRow.name,
        TaskRow.role,
        TaskRow.org_unit_id,
        TaskRow.assignee_id,
        select(OrgUnit.code).where(OrgUnit.id == TaskRow.org_unit_id).scalar_subquery().label("unit"),
        select(Case.receipt_code).where(case).scalar_subquery().label("receipt_code"),
        select(Case.is_test_run).where(case).scalar_subquery().label("is_test_run"),
        select(CatalogItem.name)
        .join(Case, Case.catalog_item_id == CatalogItem.id)
        .where(case)
        .scalar_subquery()
        .label("item"),
    ).where(TaskRow.id == timer_task_id)


def _taken(timer_id: int, task_id: str, kind: str, case_id: int, task: Row | None, **read) -> Taken:
    return Taken(timer_id, task_id, kind, case_id, task if task is not None and task.id is not None else None, **read)


def _take_statement():
    """One statement: lock the oldest due timer no other worker holds, mark it fired, and read what
    firing it needs (its task, unit and item). Built once, so each firing costs its round trip only."""
    now = bindparam("now", type_=UtcDateTime())
    due = (
        select(Timer.id)
        .where(Timer.fired_at.is_(None), Timer.due_at <= now)
        .order_by(Timer.due_at, Timer.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    taken = (
        update(Timer)
        .where(Timer.id == due)
        .values(fired_at=now)
        .returning(
            Timer.id.label("timer_id"),
            Timer.task_id.label("timer_task"),
            Timer.kind.label("timer_kind"),
            Timer.case_id.label("timer_case"),
        )
        .cte("taken")
    )
    # The task's new due mark, in the same statement, on exactly the tasks `_fire_next` fires for (open,
    # with a deadline, a deadline timer); the reads below see the task as it was before.
    tasks = TASKS
    marked = (
        update(tasks)
        .where(
            tasks.c.id == taken.c.timer_task,
            tasks.c.state == "ready",
            tasks.c.due_at.is_not(None),
            taken.c.timer_kind != TimerKind.PROCESS.value,
        )
        .values(due_state=taken.c.timer_kind)
        .returning(tasks.c.id.label("marked"))
        .cte("marked")
    )
    task = _task_facts(taken.c.timer_task).subquery("task")
    by_id = aggregate_order_by(RoleAssignment.user_id, RoleAssignment.user_id)
    people = place_holders(task.c.role, task.c.org_unit_id, func.array_agg(by_id))
    return (
        select(
            taken,
            task,
            marked.c.marked,
            # Who has the task when nobody took it (`holders`), for the reminder.
            people.scalar_subquery().label("holders"),
            # A firing lost in a crash is simply not fired yet: the next sweep fires it again, so this
            # commit need not wait for the disk (SET LOCAL, said within the same statement).
            func.set_config("synchronous_commit", "off", True),
        )
        .select_from(taken)
        .outerjoin(task, task.c.id == taken.c.timer_task)
        .outerjoin(marked, marked.c.marked == taken.c.timer_task)
    )


TAKE = _take_statement()


def _take_postgres(work: Work) -> Taken | None:
    """Take the oldest due timer in one round trip (`TAKE`)."""
    row = work.session.execute(TAKE, {"now": work.now}).first()
    if row is None:
        return None
    return _taken(
        row.timer_id,
        row.timer_task,
        row.timer_kind,
        row.timer_case,
        row,
        marked=row.marked is not None,
        holders=list(row.holders or []),
    )


def _take(work: Work) -> Taken | Literal["lost"] | None:
    """SQLite has one writer at a time; the conditional update still guards against a second worker."""
    timer = work.session.scalar(select(Timer).where(Timer.id == _due(work.now).scalar_subquery()))
    if timer is None:
        return None
    taken = rowcount(
        work.session.execute(
            update(Timer).where(Timer.id == timer.id, Timer.fired_at.is_(None)).values(fired_at=work.now)
        )
    )
    if not taken:
        return "lost"
    task = work.session.execute(_task_facts(timer.task_id)).first()
    return _taken(timer.id, timer.task_id, timer.kind, timer.case_id, task)
