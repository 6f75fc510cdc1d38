"""Moving running cases to a newer version of their process, with a dry run first.

SpiffWorkflow does the work (`SpiffWorkflow.bpmn.util.diff`): it aligns the
old and new task specs by id, re-points every task of the case's tree at the
new specs and re-predicts the open branches. A case may move when each of
its open steps (READY/WAITING tasks, and every step its history refers to)
still exists in the target; the dry run performs the whole migration in
memory, including a store-and-reload of the state, and reports instead of
committing. `migrate` then moves each movable case in its own command of the
pipeline (one event), re-pinned to the target, its facts derived again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict
from ..kernel.i18n import N_
from ..kernel.vocabulary import CASE_ENDED, EventType, JointMode
from ..library.process_library import editor_version
from ..library.processes import spec_for
from ..runtime.failures import DiagramFailed, running
from ..runtime.spiff import SERIALIZER, ProcessSpec, dump_state, load_state, ready_user_tasks
from ..store.models import Case, ProcessVersion, User
from ..store.paging import parse_id
from .pipeline import Work, execute
from .projection import relabel_open_rows
from .timers import drop_process_timers

OPEN_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class Plan:
    case: Case
    state: str | None = None  # the migrated state, when the case can move
    reasons: list[dict] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)

    def report(self) -> dict:
        entry = {
            "case_id": self.case.id,
            "receipt_code": self.case.receipt_code,
            "from_version": self.case.process_version.version,
            "tasks": self.tasks,
        }
        if self.reasons:
            entry["reasons"] = self.reasons
        return entry


def _reason(message: str, detail: str) -> dict:
    return {"message": message, "detail": detail}


def _step(task) -> str:
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name


def plan_case(case: Case, target: ProcessSpec) -> Plan:
    """Migrate one case's workflow in memory; the plan holds the new state or why it cannot move."""
    plan = Plan(case)
    workflow = load_state(case.state, spec_for(case.process_version))
    plan.tasks = [t.name for t in ready_user_tasks(workflow)]
    try:
        top, subprocesses = diff_workflow(SERIALIZER.registry, workflow, target.spec, target.subprocess_specs)
        diffs = [(top, workflow, target.spec)]
        for sp_id, sp_diff in subprocesses.items():
            sp = workflow.subprocesses[sp_id]
            if sp_diff is None or sp.spec.name not in target.subprocess_specs:
                plan.reasons.append(_reason(N_("a subprocess of the case no longer exists"), sp.spec.name))
            else:
                diffs.append((sp_diff, sp, target.subprocess_specs[sp.spec.name]))
    except Exception as err:  # SpiffWorkflow cannot compare the two versions: the case stays where it is
        plan.reasons.append(_reason(N_("the case's state cannot be carried over"), f"{type(err).__name__}: {err}"))
        return plan
    for diff, _, _ in diffs:
        for task in diff.removed:
            if task.state & OPEN_STATES:
                plan.reasons.append(_reason(N_("an open step of the case no longer exists"), _step(task)))
            elif task.state & TaskState.FINISHED_MASK:
                plan.reasons.append(_reason(N_("a finished step of the case no longer exists"), _step(task)))
    if plan.reasons:
        return plan
    for diff, wf, spec in diffs:
        migrate_workflow(diff, wf, spec)
    workflow.subprocess_specs = target.subprocess_specs
    _carry_new_variables(case, workflow)
    try:
        with running():
            workflow.do_engine_steps()
        state = dump_state(workflow)
        plan.tasks = [t.name for t in ready_user_tasks(load_state(state, target))]
    except Exception as err:  # a state SpiffWorkflow cannot carry over: the case stays where it is
        plan.reasons.append(_reason(N_("the case's state cannot be carried over"), f"{type(err).__name__}: {err}"))
        return plan
    plan.state = state
    return plan


def _new_variables(case: Case) -> dict:
    """Variables later versions of the process read that a case opened before them never got, with
    what such a case did: its catalog item's joint signing (会签 all before there was a choice)."""
    item = case.catalog_item
    return {
        "joint_mode": (item.joint_mode if item is not None else None) or JointMode.ALL,
        "vote_share": item.vote_share if item is not None else None,
    }


def _carry_new_variables(case: Case, workflow) -> None:
    """Give each step still to run the variables its new diagram reads, where the case lacks them."""
    defaults = _new_variables(case)
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        for name, value in defaults.items():
            task.data.setdefault(name, value)


def _running_cases(session: Session, target: ProcessVersion, from_version) -> list[Case]:
    query = (
        select(Case)
        .join(ProcessVersion, Case.process_version_id == ProcessVersion.id)
        .where(ProcessVersion.key == target.key, ProcessVersion.id != target.id, Case.status.not_in(CASE_ENDED))
    )
    if from_version not in (None, ""):
        number = parse_id(from_version)
        if number is None or number > 2**31 - 1:
            return []
        query = query.where(ProcessVersion.version == number)
    return list(session.scalars(query.order_by(Case.id)))


def _target(session: Session, actor: User, key: str, number) -> ProcessVersion:
    target = editor_version(session, actor, key, number)
    if target.status != "live" or target.type != "bpmn":
        raise Conflict(N_("cases can only move to the live version of a process"))
    return target


def dry_run(session: Session, actor: User, key: str, number, from_version=None) -> dict:
    """Which running cases could move to version `number` and which cannot, and why. Changes nothing."""
    target = _target(session, actor, key, number)
    spec = spec_for(target)
    plans = [plan_case(case, spec) for case in _running_cases(session, target, from_version)]
    return {
        "key": key,
        "to_version": target.version,
        "movable": [p.report() for p in plans if p.state is not None],
        "blocked": [p.report() for p in plans if p.state is None],
    }


def migrate(
    session: Session, actor: User, key: str, number, from_version=None, case_ids=None, now: datetime | None = None
) -> dict:
    """Move every movable running case (or those of `case_ids`) to version `number`: one transaction
    and one event per case; the cases that cannot move stay and are listed."""
    target = _target(session, actor, key, number)
    spec = spec_for(target)
    wanted = {parse_id(i) for i in case_ids} - {None} if isinstance(case_ids, list) else None
    migrated: list[dict] = []
    blocked: list[dict] = []
    for case_id in [c.id for c in _running_cases(session, target, from_version)]:
        if wanted is not None and case_id not in wanted:
            continue
        try:
            moved, report = execute(session, actor, partial(_move, case_id=case_id, target=target, spec=spec), now)
        except Conflict:
            blocked.append({"case_id": case_id, "reasons": [_reason(N_("the case was changed meanwhile"), "")]})
            continue
        except DiagramFailed as failure:  # the target fails on this case's next steps: the case stays
            reason = _reason(N_("the case's state cannot be carried over"), f"{failure.element}: {failure.detail}")
            blocked.append({"case_id": case_id, "reasons": [reason]})
            continue
        (migrated if moved else blocked).append(report)
    return {"key": key, "to_version": target.version, "migrated": migrated, "blocked": blocked}


def _move(work: Work, case_id: int, target: ProcessVersion, spec: ProcessSpec) -> tuple[bool, dict]:
    """One case to the target version, re-pinned, its open rows relabelled and its facts derived."""
    case = work.lock_case(case_id)
    plan = plan_case(case, spec)
    if plan.state is None:
        return False, plan.report()  # nothing changed: no event
    report, source = plan.report(), case.process_version.version
    case.state, case.process_version_id, case.process_version = plan.state, target.id, target
    workflow = work.workflow(case)
    relabel_open_rows(work.session, case, workflow)
    drop_process_timers(work.session, case)  # the new version's own are set when the case settles
    work.settle(case, workflow)
    work.event(EventType.CASE_MIGRATED, case, process=target.key, from_version=source, to_version=target.version)
    return True, report
