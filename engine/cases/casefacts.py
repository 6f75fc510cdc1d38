"""What the process says about its case: every fact of a case follows from its workflow.

Elements carry properties (see bpmn/proxy_case.bpmn). `derive_facts` runs in the
pipeline (engine/cases/pipeline.py) after every act that moved a workflow, forward or
back: the status and the closing come from the elements the workflow *now* counts
as passed, so a return (退回) past the closing step reopens the item; the inbox
rows, their timers, where the item is and its batch membership follow
(engine/cases/projection.py). Only what happens at the moment of passing an element
(a notice to the resident, a restarted deadline) looks at what was passed since
the act began. No path has a rule of its own here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.task import TaskState
from sqlalchemy.orm import Session

from ..kernel.vocabulary import CASE_FINISHED, CaseStatus
from ..library.catalog import KINDS
from ..runtime.spiff import dump_state
from ..store.calendar import default_calendar
from ..store.models import Case, TaskRow
from .batch_membership import settle_batches
from .projection import refresh_inbox

CLOSING = CASE_FINISHED


@dataclass
class Facts:
    """What settling a case changed, for the command's event."""

    status_before: str
    status: str
    new_rows: list[TaskRow] = field(default_factory=list)
    notice: dict = field(default_factory=dict)
    cancelled_rows: list[TaskRow] = field(default_factory=list)  # open tasks the process withdrew
    passed: set = field(default_factory=set)  # the ids of the workflow's tasks completed now

    @property
    def status_changed(self) -> bool:
        return self.status != self.status_before


def derive_facts(
    session: Session,
    case: Case,
    workflow,
    now: datetime,
    before: set,
    completed: tuple[str, int] | None = None,
    reopened: list[TaskRow] | None = None,
    open_rows: list[TaskRow] | None = None,
) -> Facts:
    """Every fact of `case` from its workflow; `before` is what was completed when the act began."""
    status_before = case.status
    # What the workflow has passed, in the order it passed it: one walk of its tasks for every fact.
    passed = passed_in_order(workflow)
    notice = follow_process(case, workflow, passed, before, now, session)
    status, closed_at = derived_status(case, workflow, now, passed)
    new_rows, cancelled, left = refresh_inbox(session, case, workflow, now, completed, reopened or [], open_rows)
    # The case's own columns change last, so that they go out in one UPDATE with where the item now
    # is (refresh_inbox's reads would otherwise flush the case once before and once after).
    case.status, case.closed_at = status, closed_at
    case.state = dump_state(workflow)
    settle_batches(session, case, left)
    return Facts(status_before, case.status, new_rows, notice, cancelled, {t.id for t in passed})


def passed_in_order(workflow) -> list:
    return sorted(workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change)


def derived_status(case: Case, workflow, now: datetime, passed: list | None = None) -> tuple[str, datetime | None]:
    """The status the last passed element with a `case_status` gave (open before any), archived once
    the workflow ended; closed_at is kept while the item stays closed and cleared when it reopens.
    `passed`: the workflow's completed tasks in the order they completed, if already known."""
    if passed is None:
        passed = passed_in_order(workflow)
    status: str = CaseStatus.OPEN
    for task in passed:
        status = _props(task).get("case_status") or status
    if workflow.is_completed() and status not in (CaseStatus.RETURNED, CaseStatus.ARCHIVED):
        status = CaseStatus.ARCHIVED
    if status in CLOSING:
        return status, case.closed_at or now
    return status, None


def completed_ids(workflow) -> set:
    return {t.id for t in workflow.get_tasks(state=TaskState.COMPLETED)}


def _props(task) -> dict:
    return (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})


def _names(value) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def follow_process(case: Case, workflow, passed: list, before: set, now: datetime, session: Session) -> dict:
    """What passing an element does at that moment, for every element passed since `before`: the
    notice to the resident (returned), a restarted deadline, the item kind the routing decided."""
    passed = [t for t in passed if t.id not in before]
    notice: dict = {}
    restart = False
    for task in passed:
        props = _props(task)
        for name in _names(props.get("notice")):
            if name in task.data:
                notice[name] = task.data[name]
        restart = restart or props.get("case_deadline") == "restart"
    ready = workflow.get_tasks(state=TaskState.READY)
    facts = ready[0].data if ready else (passed[-1].data if passed else workflow.data)
    if facts.get("kind") in KINDS:
        case.kind = facts["kind"]
    days = facts.get("time_limit_days")
    if restart and isinstance(days, int) and not isinstance(days, bool) and days >= 0:
        case.due_from, case.due_days = now, days
        case.due_at = default_calendar(session).deadline(now, days)
    return notice
