"""The Chinese workflow actions staff expect: 转交 delegate, 退回 return, 撤回 withdraw,
加签 add a department to a joint item, 转办 transfer to a peer unit.

Each is one act step in the pipeline (engine/cases/pipeline.py): bad input changes nothing,
the case's facts are derived again afterwards, ONE event, and a lost race is a Conflict.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.task import TaskState as SpiffState
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import CaseStatus, EventType, TaskState, UnitKind
from ..org.org import active_children, unit_by_code
from ..org.roles import roles
from ..runtime.failures import running
from ..runtime.spiff import find_task
from ..store.models import Case, OrgUnit, RoleAssignment, TaskRow, User
from .claims import reassign
from .permissions import allowed, running_joint_handling
from .pipeline import Work, execute
from .projection import UnitResolver
from .steps import load_workflow, next_ready_rows, previous_user_task, ready_task, take_back
from .visibility import check_open, check_visible

REASON_MAX = 500


def open_joint_handling(work: Work, case_id: int, action: str):
    """The start of every change to a running joint handling (加签, 减签, a new lead): the item locked,
    its workflow, the multi-instance of the departments' parts, and the actor's permission for `action`."""
    locked = work.lock_case(case_id)
    workflow = work.workflow(locked)
    joint = running_joint_handling(workflow)
    if joint is None:
        raise Conflict(N_("no joint handling is running for this item"))
    work.may(action, locked)
    return locked, workflow, joint


def _reason(reason, required: bool = True) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if (required and not text) or len(text) > REASON_MAX:
        raise Invalid(N_("a reason is required"), {"reason": N_("required, at most 500 characters")})
    return text


def _my_open_task(work: Work, actor: User, task_id, action: str, with_state: bool = True) -> TaskRow:
    row = check_open(work.session, actor, work.task(task_id, with_state))
    work.may(action, row=row)
    if row.assignee_id is not None and row.assignee_id != actor.id:
        raise Conflict(N_("this task is claimed by someone else"))
    return row


def colleagues(session: Session, row: TaskRow, actor: User) -> list[User]:
    """Who else holds the task's role at the task's unit (delegation targets)."""
    return list(
        session.scalars(
            select(User)
            .join(RoleAssignment)
            .where(
                RoleAssignment.role == row.role,
                RoleAssignment.org_unit_id == row.org_unit_id,
                User.active.is_(True),
                User.id != actor.id,
            )
            .order_by(User.username)
        )
    )


def delegate_task(session: Session, actor: User, task_id, username, now: datetime | None = None) -> TaskRow:
    def act(work: Work) -> TaskRow:
        row = _my_open_task(work, actor, task_id, "delegate", with_state=False)
        target = next((u for u in colleagues(session, row, actor) if u.username == username), None)
        if target is None:
            raise Invalid(N_("choose a colleague of the same role and unit"), {"assignee": N_("not a colleague")})
        work.arrive(row, row.case)  # the colleague is told it reached them
        return reassign(
            work,
            row,
            row.assignee_id,
            target.id,
            EventType.TASK_DELEGATED,
            N_("this task changed meanwhile"),
            to=target.username,
        )

    return execute(session, actor, act, now)


def return_task(session: Session, actor: User, task_id, reason, now: datetime | None = None) -> Case:
    """退回: send the item back to the step before this one, to whoever completed it; a task with
    the `return_flag` property is instead completed as returned and its process says where it goes."""
    reason = _reason(reason)

    def act(work: Work) -> Case:
        row = _my_open_task(work, actor, task_id, "return")
        case = row.case
        workflow = work.workflow(case)
        task = ready_task(workflow, row)
        flag = task.task_spec.extensions.get("properties", {}).get("return_flag")
        if flag:
            return _return_as_completed(work, row, workflow, task, flag.strip(), reason)
        previous = previous_user_task(task)
        if previous is None:
            raise Conflict(N_("this is the first step; there is nothing to return it to"))
        siblings = next_ready_rows(session, workflow, case, previous)
        reopened = take_back(work, case, workflow, previous, siblings or [row], claimed_by=actor.id)
        work.event(
            EventType.TASK_RETURNED,
            case,
            task_id=row.id,
            name=row.name,
            reason=reason,
            to=previous.task_spec.bpmn_name,
            to_task=str(previous.id),
            to_user=reopened.assignee.username if reopened is not None and reopened.assignee else None,
        )
        return case

    return execute(session, actor, act, now)


def _return_as_completed(work: Work, row: TaskRow, workflow, task, flag: str, reason: str) -> Case:
    """A department returns its part of a joint handling: only that part goes back (to the county
    window, to be sent on again); the other departments' parts and answers stay as they are."""
    case = row.case
    task.data.update({flag: True, "return_reason": reason})
    with running():
        task.run()
        workflow.do_engine_steps()
    assert work.actor is not None  # a return is always someone's
    facts = work.settle(case, workflow, completed=(row.id, work.actor.id))
    to = facts.new_rows[0] if facts.new_rows else None
    work.event(
        EventType.TASK_RETURNED,
        case,
        task_id=row.id,
        name=row.name,
        reason=reason,
        to=to.name if to else None,
        to_task=to.id if to else None,
        to_unit=to.org_unit.code if to else None,
        to_user=None,
    )
    return case


def withdraw_task(session: Session, actor: User, task_id, reason, now: datetime | None = None) -> Case:
    """撤回: whoever completed a step takes it back while the next step is still untouched."""
    reason = _reason(reason)

    def act(work: Work) -> Case:
        row = check_visible(session, actor, work.task(task_id))
        work.may("withdraw", row=row)
        if row.state != TaskState.COMPLETED:
            raise Conflict(N_("the next step has already been taken up; ask its holder to return it"))
        case = row.case
        later = session.scalar(
            select(
                exists().where(
                    TaskRow.case_id == case.id,
                    TaskRow.state == TaskState.COMPLETED,
                    TaskRow.completed_at > row.completed_at,
                )
            )
        )
        workflow = work.workflow(case)
        task = find_task(workflow, row.id)  # None when the process dropped it (减签 took its part away)
        nexts = next_ready_rows(session, workflow, case, task) if task is not None else []
        if later or not nexts or task.state != SpiffState.COMPLETED:
            raise Conflict(N_("the next step has already been taken up; ask its holder to return it"))
        take_back(work, case, workflow, task, nexts)
        work.event(
            EventType.TASK_WITHDRAWN,
            case,
            task_id=row.id,
            name=row.name,
            reason=reason,
            cancelled=[r.name for r in nexts],
        )
        return case

    return execute(session, actor, act, now)


def addable_departments(session: Session, actor: User, case: Case) -> list[OrgUnit]:
    """The county departments `actor` could add now (none unless a joint handling runs and
    the actor is its lead department or the county window)."""
    joint = running_joint_handling(load_workflow(case)) if case.status == CaseStatus.OPEN else None
    if joint is None or not allowed(session, actor, "add_department", case):
        return []
    county = UnitResolver(session, case).required_unit(UnitKind.COUNTY)
    listed = joint.task_spec.data_input.get(joint) or []
    return [u for u in active_children(session, county.id, UnitKind.DEPARTMENT) if u.code not in listed]


def add_department(session: Session, actor: User, case: Case, department, reason, now: datetime | None = None) -> Case:
    """加签: a further county department joins a running joint handling, in parallel with the
    others; its answer is merged with theirs before the lead department consolidates."""
    reason = _reason(reason)
    case_id = case.id

    def act(work: Work) -> Case:
        locked, workflow, joint = open_joint_handling(work, case_id, "add_department")
        listed = joint.task_spec.data_input.get(joint)
        unit = unit_by_code(session, department) if isinstance(department, str) else None
        county = UnitResolver(session, locked).case_unit(UnitKind.COUNTY)
        if (
            unit is None
            or unit.kind != UnitKind.DEPARTMENT
            or not unit.active
            or county is None
            or not unit.path.startswith(county.path)
        ):
            raise Invalid(N_("choose a department of this county"), {"department": N_("unknown department")})
        if not isinstance(listed, list) or unit.code in listed:
            raise Invalid(N_("this department already handles the item"), {"department": N_("already joined")})
        listed.append(unit.code)
        joint.task_spec.create_child(joint, unit.code, len(listed) - 1)
        with running():
            workflow.do_engine_steps()
        facts = work.settle(locked, workflow)
        work.event(
            EventType.DEPARTMENT_ADDED,
            locked,
            department=unit.code,
            reason=reason,
            task_id=facts.new_rows[0].id if facts.new_rows else None,
        )
        return locked

    return execute(session, actor, act, now)


def transfer_targets(session: Session, row: TaskRow) -> list[OrgUnit]:
    """Units of the same kind under the same parent (same level) as the task's unit."""
    unit = row.org_unit
    if unit.parent_id is None:  # the county has no peers
        return []
    return [u for u in active_children(session, unit.parent_id, unit.kind) if u.id != unit.id]


def transfer_task(session: Session, actor: User, task_id, unit_code, reason, now: datetime | None = None) -> Case:
    """转办: the task moves to a peer unit (wrongly routed); the workflow data follows it."""
    reason = _reason(reason)

    def act(work: Work) -> Case:
        row = _my_open_task(work, actor, task_id, "transfer")
        target = next((u for u in transfer_targets(session, row) if u.code == unit_code), None)
        if target is None:
            raise Invalid(N_("choose a unit of the same level and kind"), {"unit": N_("not a peer unit")})
        case = row.case
        workflow = work.workflow(case)
        task = ready_task(workflow, row)
        rule = task.task_spec.extensions.get("properties", {}).get("unit") or roles()[row.role].unit
        source, _, variable = rule.partition(".")
        if source == "data":
            task.data[variable] = target.code
        old = row.org_unit
        row.org_unit_id, row.org_unit, row.assignee_id = target.id, target, None
        if case.org_unit_id == old.id:
            case.org_unit_id, case.org_unit = target.id, target  # the object too: it outlives the commit
        work.settle(case, workflow)
        work.arrive(row, case)  # the peer unit is told it reached them
        work.event(
            EventType.TASK_TRANSFERRED,
            case,
            task_id=row.id,
            name=row.name,
            reason=reason,
            **{"from": old.code, "to": target.code},
        )
        return case

    return execute(session, actor, act, now)
