"""Consistency check of every item: the inbox projection matches the workflow state, every open
item has an owner and a task, and events and state changes come in pairs. Used after crashes
(tests kill -9 workers under load) and by operators (`flask daiban check`)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from .ledger import LEDGER_STATE
from .models import Case, Event, TaskRow
from .processes import spec_for
from .runtime import load_state, ready_user_tasks
from .timers import Timer

OPEN = ("open", "waiting_materials")


def check_consistency(session: Session) -> list[str]:
    """Every problem found, in plain words (empty when all is well)."""
    problems: list[str] = []
    rows: defaultdict[int, dict[str, TaskRow]] = defaultdict(dict)
    for row in session.scalars(select(TaskRow)):
        rows[row.case_id][row.id] = row
    completions: defaultdict[int | None, set[str | None]] = defaultdict(set)
    for case_id, task_id in session.execute(select(Event.case_id, Event.task_id).where(Event.type == "task_completed")):
        completions[case_id].add(task_id)
    for case in session.scalars(
        select(Case).where(Case.state != "", Case.state != LEDGER_STATE, Case.is_test_run.is_(False))
    ):
        mine = rows.get(case.id, {})
        ready_rows = {i for i, r in mine.items() if r.state == "ready"}
        try:
            workflow = load_state(case.state, spec_for(case.process_version))
        except Exception as err:
            problems.append(f"case {case.id}: state does not load ({type(err).__name__})")
            continue
        ready = {t.id for t in ready_user_tasks(workflow)}
        if ready != ready_rows:
            problems.append(f"case {case.id}: inbox {sorted(ready_rows)} != workflow {sorted(ready)}")
        if case.status in OPEN and not ready_rows:
            problems.append(f"case {case.id}: open but no task holds it")
        if case.owner_id is None:
            problems.append(f"case {case.id}: no first-ask owner")
        done = {i for i, r in mine.items() if r.state == "completed"}
        if done - completions[case.id]:
            problems.append(f"case {case.id}: completed without an event: {sorted(done - completions[case.id])}")
        if completions[case.id] - set(mine):
            # key=str: an event without a task id is reported too, as None, among the ids.
            problems.append(
                f"case {case.id}: event for a task that never was: {sorted(completions[case.id] - set(mine), key=str)}"
            )
    for timer in session.scalars(select(Timer).where(Timer.fired_at.is_(None))):
        waited_on = rows.get(timer.case_id, {}).get(timer.task_id)
        if waited_on is None or waited_on.state != "ready":
            problems.append(f"timer {timer.id}: waits on task {timer.task_id} that is not open")
    return problems
