"""Which diagram elements of a case are completed, active or overdue (for the live diagram)."""

from __future__ import annotations

from SpiffWorkflow.task import TaskState

from ..kernel.clock import utcnow
from ..kernel.vocabulary import CaseStatus
from ..kernel.vocabulary import TaskState as RowState
from ..library.ledger import is_ledger_case
from ..library.processes import spec_for
from ..runtime.spiff import load_state
from ..store.models import Case, TaskRow


def element_states(case: Case, now=None) -> dict[str, str]:
    now = now or utcnow()
    if is_ledger_case(case):
        return {}  # imported history: no workflow
    workflow = load_state(case.state, spec_for(case.process_version))
    states: dict[str, str] = {}
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state in (TaskState.READY, TaskState.STARTED, TaskState.WAITING):
            states[bpmn_id] = "active"
        elif task.state == TaskState.COMPLETED and states.get(bpmn_id) != "active":
            states[bpmn_id] = "completed"
    if case.due_at < now and case.status == CaseStatus.OPEN:
        states.update({k: "overdue" for k, v in states.items() if v == "active"})
    return states


def current_step(session, case: Case) -> str | None:
    """The name of the step the item is at, in plain words: its first open task at the unit that
    holds the item (a task alongside, like the window's progress notice, is elsewhere or due later),
    from the inbox projection (the public lookup must not pay for deserializing the workflow)."""
    from sqlalchemy import case as when
    from sqlalchemy import select

    held_here = when((TaskRow.org_unit_id == case.org_unit_id, 0), else_=1)
    return session.scalar(
        select(TaskRow.name)
        .where(TaskRow.case_id == case.id, TaskRow.state == RowState.READY)
        .order_by(held_here, TaskRow.created_at, TaskRow.due_at, TaskRow.id)
        .limit(1)
    )


def diagram_states(case: Case, open_rows, now=None) -> dict[str, str]:
    """element_states, plus each open step past its own due date marked overdue."""
    now = now or utcnow()
    states = element_states(case, now)
    for row in open_rows:
        if row.due_at is not None and row.due_at < now and states.get(row.spec_name) == "active":
            states[row.spec_name] = "overdue"
    return states
