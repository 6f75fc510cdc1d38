"""Consistency check of every item: every fact the pipeline derives (engine/cases/casefacts.py) agrees
with the workflow: the inbox projection, the status and its closing, each open task's timers, the
batches' items; every open item has an owner and a task; events and state changes come in pairs.
Used after crashes (tests kill -9 workers under load), after every step of the stateful property
test, and by operators (`flask daiban check`)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from ..cases.batch_membership import SCHEDULED
from ..cases.casefacts import CLOSING, derived_status
from ..cases.timers import Timer
from ..kernel.vocabulary import CASE_OPEN, EventType, TaskState
from ..library.ledger import LEDGER_STATE
from ..library.processes import spec_for
from ..runtime.spiff import load_state, ready_user_tasks
from ..store.models import Case, Event, TaskRow
from ..store.workspace_tables import Batch, BatchItem

OPEN = CASE_OPEN


# Events that complete a task: an answer, a department's return of its part, a batch receipt.
COMPLETING = (EventType.TASK_COMPLETED, EventType.TASK_RETURNED, EventType.BATCH_ITEM_RECEIVED)


def check_consistency(session: Session, case_ids: list[int] | None = None) -> list[str]:
    """Every problem found, in plain words (empty when all is well); `case_ids` limits the check."""
    problems: list[str] = []
    rows: defaultdict[int, dict[str, TaskRow]] = defaultdict(dict)
    only = (lambda column: column.in_(case_ids)) if case_ids is not None else (lambda column: true())
    for row in session.scalars(select(TaskRow).where(only(TaskRow.case_id))):
        rows[row.case_id][row.id] = row
    completions: defaultdict[int | None, set[str | None]] = defaultdict(set)
    for case_id, task_id in session.execute(
        select(Event.case_id, Event.task_id).where(Event.type.in_(COMPLETING), only(Event.case_id))
    ):
        completions[case_id].add(task_id)
    for case in session.scalars(
        select(Case).where(Case.state != "", Case.state != LEDGER_STATE, Case.is_test_run.is_(False), only(Case.id))
    ):
        mine = rows.get(case.id, {})
        ready_rows = {i for i, r in mine.items() if r.state == TaskState.READY}
        try:
            workflow = load_state(case.state, spec_for(case.process_version))
        except Exception as err:
            problems.append(f"case {case.id}: state does not load ({type(err).__name__})")
            continue
        ready = {t.id for t in ready_user_tasks(workflow)}
        if ready != ready_rows:
            problems.append(f"case {case.id}: inbox {sorted(ready_rows)} != workflow {sorted(ready)}")
        status, _ = derived_status(case, workflow, case.closed_at or case.opened_at)
        if status != case.status:
            problems.append(f"case {case.id}: status {case.status} but the workflow says {status}")
        if (case.status in CLOSING) != (case.closed_at is not None):
            problems.append(f"case {case.id}: status {case.status} with closed_at {case.closed_at}")
        if case.status in OPEN and not ready_rows:
            problems.append(f"case {case.id}: open but no task holds it")
        if case.owner_id is None:
            problems.append(f"case {case.id}: no first-ask owner")
        done = {i for i, r in mine.items() if r.state == TaskState.COMPLETED}
        if done - completions[case.id]:
            problems.append(f"case {case.id}: completed without an event: {sorted(done - completions[case.id])}")
        if completions[case.id] - set(mine):
            # key=str: an event without a task id is reported too, as None, among the ids.
            problems.append(
                f"case {case.id}: event for a task that never was: {sorted(completions[case.id] - set(mine), key=str)}"
            )
    problems += _timer_problems(session, rows, only)
    problems += _batch_problems(session, rows, only)
    return problems


def _timer_problems(session: Session, rows: dict[int, dict[str, TaskRow]], only) -> list[str]:
    """No task that is not open waits on a timer; an open task with a deadline that was not yet
    told due soon or overdue waits on its timers, one of each kind."""
    problems = []
    waiting: defaultdict[str, list[str]] = defaultdict(list)
    for timer in session.scalars(select(Timer).where(Timer.fired_at.is_(None), only(Timer.case_id))):
        waited_on = rows.get(timer.case_id, {}).get(timer.task_id)
        if waited_on is None or waited_on.state != TaskState.READY:
            problems.append(f"timer {timer.id}: waits on task {timer.task_id} that is not open")
        waiting[timer.task_id].append(timer.kind)
    for case_rows in rows.values():
        for row in case_rows.values():
            if row.state != TaskState.READY or row.due_at is None or row.case.is_test_run:
                continue
            kinds = waiting.get(row.id, [])
            if len(kinds) != len(set(kinds)):
                problems.append(f"case {row.case_id}: task {row.id} has duplicate timers {sorted(kinds)}")
            if row.due_state is None and not kinds:
                problems.append(f"case {row.case_id}: open task {row.id} has no deadline timers")
    return problems


def _batch_problems(session: Session, rows: dict[int, dict[str, TaskRow]], only) -> list[str]:
    """A scheduled batch holds only items whose hand-over task is still open."""
    problems = []
    pending = session.execute(
        select(BatchItem.batch_id, BatchItem.case_id, BatchItem.task_id)
        .join(Batch, Batch.id == BatchItem.batch_id)
        .where(Batch.status == SCHEDULED, BatchItem.received_at.is_(None), only(BatchItem.case_id))
    )
    for batch_id, case_id, task_id in pending:
        row = rows.get(case_id, {}).get(task_id)
        if row is None or row.state != TaskState.READY:
            problems.append(f"case {case_id}: batch {batch_id} waits for task {task_id} that is not open")
    return problems
