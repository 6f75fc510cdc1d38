"""A running joint handling (部门联合办理) changed by hand: 减签 removes a department, the county
window names another lead department. 加签 (adding one) is in engine/cases/actions.py.

The joint handling is the diagram's parallel multi-instance over `departments`: each department's
part is one instance (a sub-process), and the lead department (`lead_department` in its data)
consolidates once every instance has answered (或签: once one has; see bpmn/proxy_case.bpmn).
Removing a department takes its instance out of the multi-instance altogether, as if it had never
been listed, so the consolidation waits only for the others; its open task is withdrawn, its timers
and inbox row go with it (the facts derived again, engine/cases/casefacts.py).
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.task import TaskState as SpiffState
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import CaseStatus, EventType, TaskState
from ..org.org import unit_by_code
from ..runtime.failures import running
from ..runtime.spiff import find_task
from ..store.models import Case, OrgUnit, TaskRow, User
from .actions import _reason, open_joint_handling
from .forms import DEPARTMENT_TASK
from .permissions import allowed, running_joint_handling
from .pipeline import Work, execute
from .steps import load_workflow

LEAD = "lead_department"


def _open_parts(session: Session, case: Case) -> dict[str, TaskRow]:
    """The departments whose part is open now (their 部门办理 task), by unit code."""
    rows = session.scalars(
        select(TaskRow).where(
            TaskRow.case_id == case.id, TaskRow.spec_name == DEPARTMENT_TASK, TaskRow.state == TaskState.READY
        )
    )
    return {r.org_unit.code: r for r in rows}


def _took_part(session: Session, case: Case, code: str) -> bool:
    """Whether the department had a part of this item (answered, returned or withdrawn since)."""
    unit = unit_by_code(session, code)
    return unit is not None and (
        session.scalar(
            select(TaskRow.id)
            .where(TaskRow.case_id == case.id, TaskRow.spec_name == DEPARTMENT_TASK, TaskRow.org_unit_id == unit.id)
            .limit(1)
        )
        is not None
    )


def _units(session: Session, codes) -> list[OrgUnit]:
    found = [unit_by_code(session, c) for c in codes]
    return sorted((u for u in found if u is not None), key=lambda u: u.code)


def removable_departments(session: Session, actor: User, case: Case) -> list[OrgUnit]:
    """The departments `actor` could remove now: those with an open part, except the lead (none
    unless a joint handling runs, more than one department takes part and the actor may)."""
    joint = running_joint_handling(load_workflow(case)) if case.status == CaseStatus.OPEN else None
    if joint is None or not allowed(session, actor, "remove_department", case):
        return []
    listed = joint.task_spec.data_input.get(joint) or []
    if len(listed) < 2:
        return []
    return _units(session, [c for c in _open_parts(session, case) if c != joint.data.get(LEAD)])


def lead_candidates(session: Session, actor: User, case: Case) -> list[OrgUnit]:
    """The departments the window could name as lead: those taking part, except the lead now."""
    joint = running_joint_handling(load_workflow(case)) if case.status == CaseStatus.OPEN else None
    if joint is None or not allowed(session, actor, "change_lead", case):
        return []
    listed = joint.task_spec.data_input.get(joint) or []
    return _units(session, [c for c in listed if c != joint.data.get(LEAD)])


def _instance_of(workflow, joint, row: TaskRow):
    """The multi-instance child (the department's sub-process) an open 部门办理 task belongs to."""
    task = find_task(workflow, row.id)
    parent_id = getattr(task.workflow, "parent_task_id", None) if task is not None else None
    instance = workflow.get_task_from_id(parent_id) if parent_id is not None else None
    if instance is None or instance.parent is not joint:
        raise Conflict(N_("this item changed meanwhile; reload it"))
    return instance


def remove_department(
    session: Session, actor: User, case: Case, department, reason, now: datetime | None = None
) -> Case:
    """减签: a department leaves a running joint handling, with a reason. Its open part is withdrawn
    and the lead's consolidation no longer waits for it; never the lead department, never the last."""
    reason = _reason(reason)
    case_id = case.id

    def act(work: Work) -> Case:
        locked, workflow, joint = open_joint_handling(work, case_id, "remove_department")
        listed = joint.task_spec.data_input.get(joint)
        parts = _open_parts(session, locked)
        if isinstance(department, str) and department not in parts and _took_part(session, locked, department):
            raise Conflict(N_("this department has already answered; its part can no longer be removed"))
        if not isinstance(department, str) or department not in parts:
            raise Invalid(
                N_("choose a department whose part is still open"), {"department": N_("no open part of this item")}
            )
        if department == joint.data.get(LEAD):
            raise Invalid(
                N_("the lead department cannot be removed; name another lead first"),
                {"department": N_("the lead department")},
            )
        if not isinstance(listed, list) or len(listed) < 2:
            raise Invalid(
                N_("the last department of a joint handling cannot be removed"),
                {"department": N_("the last department")},
            )
        row = parts[department]
        instance = _instance_of(workflow, joint, row)
        listed_as = instance.data.get("department")  # as listed: a re-sorted part moved since
        if listed_as in listed:
            listed.remove(listed_as)
        workflow.delete_subprocess(instance)
        workflow._remove_task(instance.id)  # as if never listed: the merge waits only for the others
        if all(c.state == SpiffState.COMPLETED for c in joint.task_spec._instances(joint)):
            joint._set_state(SpiffState.READY)  # what the multi-instance does when its last part answers
        with running():
            workflow.do_engine_steps()
        facts = work.settle(locked, workflow)
        work.event(
            EventType.DEPARTMENT_REMOVED,
            locked,
            department=department,
            reason=reason,
            task_id=row.id,
            withdrawn=[{"task_id": r.id, "name": r.name, "unit": r.org_unit.code} for r in facts.cancelled_rows],
            next=[r.name for r in facts.new_rows],
        )
        return locked

    return execute(session, actor, act, now)


def change_lead(session: Session, actor: User, case: Case, department, reason, now: datetime | None = None) -> Case:
    """The county window names another department of the running joint handling as its lead: the
    consolidation (汇总) will be the new lead's, and the lead's rights (加签, 减签) move with it."""
    reason = _reason(reason, required=False)
    case_id = case.id

    def act(work: Work) -> Case:
        locked, workflow, joint = open_joint_handling(work, case_id, "change_lead")
        listed = joint.task_spec.data_input.get(joint) or []
        before = joint.data.get(LEAD)
        if not isinstance(department, str) or department not in listed:
            raise Invalid(
                N_("choose a department that takes part in the joint handling"),
                {"department": N_("not taking part")},
            )
        if department == before:
            raise Invalid(N_("this department already leads"), {"department": N_("already the lead")})
        # The lead is read where the consolidation starts (the multi-instance's data) and shown on
        # every open part (their copies): all say the new lead.
        for task in workflow.get_tasks(state=SpiffState.NOT_FINISHED_MASK):
            if task.data.get(LEAD) == before:
                task.data[LEAD] = department
        joint.data[LEAD] = department
        work.settle(locked, workflow)
        work.event(EventType.LEAD_DEPARTMENT_CHANGED, locked, reason=reason, **{"from": before, "to": department})
        return locked

    return execute(session, actor, act, now)
