"""What the process says about its case: status, deadline and kind follow the diagram.

Elements carry properties (see bpmn/proxy_case.bpmn); when a command moves the
workflow past them, the case follows. No path has a rule of its own here.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.task import TaskState

from .calendar import default_calendar
from .catalog import KINDS
from .models import Case

CLOSING = ("closed", "returned", "archived")


def completed_ids(workflow) -> set:
    return {t.id for t in workflow.get_tasks(state=TaskState.COMPLETED)}


def _props(task) -> dict:
    return (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})


def _names(value) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def follow_process(case: Case, workflow, before: set, now: datetime, session=None) -> dict:
    """Apply the properties of every element passed since `before`; returns the notice to the resident."""
    passed = sorted(
        (t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.id not in before),
        key=lambda t: t.last_state_change,
    )
    notice: dict = {}
    restart = False
    for task in passed:
        props = _props(task)
        status = props.get("case_status")
        if status:
            case.status = status
            if status in CLOSING:
                case.closed_at = case.closed_at or now
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
        case.due_at = default_calendar(session).deadline(now, days)
    if workflow.is_completed() and case.status not in ("returned", "archived"):
        case.status = "archived"
        case.closed_at = case.closed_at or now
    return notice
