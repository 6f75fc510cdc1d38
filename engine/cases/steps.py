"""Moving a case's workflow outside the plain "complete my task": shared by actions and the window.

Each helper works inside the caller's act step (engine/cases/pipeline.py); the pipeline then
derives the case's facts, records the one event and commits. None of them commits.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import TaskState as SpiffState
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict
from ..kernel.i18n import N_
from ..kernel.vocabulary import TaskState
from ..library.processes import spec_for
from ..runtime.failures import running
from ..runtime.spiff import ReadyTask, find_task, lane_of, load_state
from ..store.db import rowcount
from ..store.models import Case, TaskRow, User
from .pipeline import Work
from .projection import task_due


def load_workflow(case: Case):
    """The case's workflow for reading (a command loads it through its `Work`)."""
    return load_state(case.state, spec_for(case.process_version))


def ready_task(workflow, row: TaskRow):
    task = find_task(workflow, row.id)
    if task is None or task.state != SpiffState.READY:
        raise Conflict(N_("this task is no longer open"))
    return task


def previous_user_task(task):
    """The completed user task the flow came from (leaving subprocesses upward, never into them)."""
    while True:
        if task.parent is not None:
            task = task.parent
        elif task.workflow.parent_task_id is not None:
            task = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
        else:
            return None
        if isinstance(task.task_spec, UserTask) and task.state == SpiffState.COMPLETED:
            return task


def next_ready_rows(session: Session, workflow, case: Case, previous) -> list[TaskRow]:
    """Open inbox rows whose step directly follows `previous` (its hand-over not yet picked up)."""
    rows = []
    for task in workflow.get_tasks(state=SpiffState.READY, spec_class=UserTask):
        before = previous_user_task(task)
        if before is not None and before.id == previous.id:
            row = session.get(TaskRow, str(task.id))
            if row is not None and row.case_id == case.id and row.state == TaskState.READY:
                rows.append(row)
    return rows


def close_rows(session: Session, rows: list[TaskRow], now: datetime, claimed_by: int | None = None) -> None:
    """Cancel open rows in one conditional UPDATE: a row claimed meanwhile (by anyone but
    `claimed_by`) makes the whole command a Conflict, so a claim and a rewind never both win."""
    ids = [r.id for r in rows]
    who = (
        TaskRow.assignee_id.is_(None)
        if claimed_by is None
        else (TaskRow.assignee_id.is_(None) | (TaskRow.assignee_id == claimed_by))
    )
    done = rowcount(
        session.execute(
            update(TaskRow)
            .where(TaskRow.id.in_(ids), TaskRow.state == TaskState.READY, who)
            .values(state=TaskState.CANCELLED, completed_at=now)
        )
    )
    if done != len(ids):
        raise Conflict(N_("someone has already taken the next step"))
    for row in rows:
        session.refresh(row)


def rewind(session: Session, case: Case, workflow, previous, now: datetime) -> TaskRow | None:
    """Reset the workflow to the completed task `previous`; its inbox row opens again for its
    completer, with a new deadline (the caller settles the case with the row as reopened)."""
    workflow.reset_from_task_id(previous.id)
    row = session.get(TaskRow, str(previous.id))
    if row is not None:
        ready = ReadyTask(
            str(previous.id),
            previous.task_spec.bpmn_id,
            row.name,
            lane_of(previous),
            previous.task_spec.extensions.get("properties", {}),
            previous.data,
        )
        row.state = TaskState.READY
        # The id with the object: who is told of the returned work is read before the flush would set it.
        row.assignee_id = row.completed_by_id
        row.assignee = session.get(User, row.completed_by_id) if row.completed_by_id else None
        row.completed_at, row.completed_by_id = None, None
        row.created_at, row.due_at = now, task_due(case, ready, now, session)
    return row


def take_back(
    work: Work, case: Case, workflow, previous, closing: list[TaskRow], claimed_by: int | None = None
) -> TaskRow | None:
    """退回 and 撤回 alike: close the steps that followed, open `previous` again for whoever did it, and
    settle the case (its reopened row gets a fresh deadline and timers). Returns the reopened row."""
    close_rows(work.session, closing, work.now, claimed_by=claimed_by)
    reopened = rewind(work.session, case, workflow, previous, work.now)
    work.settle(case, workflow, reopened=[reopened] if reopened is not None else [])
    return reopened


def advance(workflow, task, data: dict) -> None:
    """Complete `task` with `data` and run the engine to the next waits (the caller settles the case)."""
    task.data.update(data)
    with running():  # a failing script or condition: 422 naming the element, nothing changed
        task.run()
        workflow.do_engine_steps()
