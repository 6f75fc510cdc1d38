"""An analyst's test run beyond its user tasks: what it waits on, its data, and moving it on.

`test_run_state` tells whether the workflow finished, what it waits on (timers with their due
time, messages and signals by name, manual steps) and its data, including what scripts printed.
`drive_test_run` is one command through the pipeline: fire a timer now, send a message or a
signal with a JSON payload, or mark a manual step done; the case is settled as after any step
and a failing script names its element (422, nothing changed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import CaseStatus, EventType, TaskState, WaitKind
from ..library.processes import spec_for
from ..runtime.expressions import PRINT_LOG
from ..runtime.failures import DiagramFailed, running
from ..runtime.spiff import dump_state, load_state
from ..runtime.waits import NOT_WAITING, finish_manual, fire_timer, send, waits
from ..store.models import Case, Event, TaskRow, User
from .pipeline import Work, execute

MAX_PAYLOAD = 20_000  # characters of a message's or signal's JSON payload


def _own_test_run(session: Session, actor: User, case_id) -> Case:
    case = session.get(Case, case_id) if isinstance(case_id, int) else None
    if case is None or not case.is_test_run or case.owner_id != actor.id:
        raise NotFound(N_("no such test run"))
    return case


def _final_data(workflow) -> dict:
    """The data a finished workflow ends with (its last task's), else the workflow's own."""
    data = dict(workflow.data)
    if workflow.is_completed():
        last = max(workflow.get_tasks(), key=lambda t: t.last_state_change, default=None)
        if last is not None:
            data = {**data, **last.data}
    return json.loads(json.dumps(data, default=str))


def test_run_state(session: Session, actor: User, case_id) -> dict:
    """What the analyst's test run has done and waits on."""
    case = _own_test_run(session, actor, case_id)
    workflow = load_state(case.state, spec_for(case.process_version))
    data = _final_data(workflow)
    return {
        "id": case.id,
        "status": case.status,
        "finished": workflow.is_completed(),
        "failed": failure_of(session, case),
        "waits": [] if case.status == CaseStatus.FAILED else waits(workflow),
        "data": data,
        "printed": data.get(PRINT_LOG) or [],
    }


def _payload(value):
    if value is None:
        return {}
    if not isinstance(value, dict) or len(json.dumps(value, default=str)) > MAX_PAYLOAD:
        raise Invalid(N_("the payload must be a JSON object"), {"payload": N_("a JSON object")})
    return value


def drive_test_run(session: Session, actor: User, case_id, body, now: datetime | None = None) -> Case:
    """Fire a timer (`task_id`), send a message or signal (`name`, `payload`) or finish a manual
    step (`task_id`) of the analyst's own test run."""
    if not isinstance(body, dict):
        raise Invalid(N_("the body must be a JSON object"), {"body": N_("a JSON object")})
    kind = body.get("kind")
    if kind not in (WaitKind.TIMER, WaitKind.MESSAGE, WaitKind.SIGNAL, WaitKind.MANUAL):
        raise Invalid(N_("say what to send to the test run"), {"kind": N_("timer, message, signal or manual")})
    task_id, name = str(body.get("task_id") or ""), str(body.get("name") or "")
    if kind in (WaitKind.TIMER, WaitKind.MANUAL) and not task_id:
        raise Invalid(N_("say what to send to the test run"), {"task_id": N_("the waiting step")})
    if kind in (WaitKind.MESSAGE, WaitKind.SIGNAL) and (not name or len(name) > 200):
        raise Invalid(N_("say what to send to the test run"), {"name": N_("the message's or signal's name")})
    payload = _payload(body.get("payload"))

    def act(work: Work) -> Case:
        _own_test_run(session, actor, case_id if isinstance(case_id, int) else None)
        case = work.lock_case(case_id)
        work.may("drive_test_run", case=case)
        if case.status == CaseStatus.FAILED:
            raise Conflict(NOT_WAITING)
        workflow = work.workflow(case)
        if kind == WaitKind.TIMER:
            step = lambda: fire_timer(workflow, task_id)  # noqa: E731
        elif kind == WaitKind.MANUAL:
            step = lambda: finish_manual(workflow, task_id)  # noqa: E731
        else:
            step = lambda: send(workflow, kind, name, payload)  # noqa: E731
        failure = run_steps(work, case, workflow, step)
        said = {"task_id": task_id} if kind in (WaitKind.TIMER, WaitKind.MANUAL) else {"name": name}
        if failure is not None:
            work.event(EventType.TEST_RUN_DRIVEN, case, kind=kind, **said, status=case.status, failed=failure.as_dict())
            failures.append(failure)
            return case
        facts = work.settle(case, workflow)
        extra = {"status": case.status} if facts.status_changed else {}
        work.event(EventType.TEST_RUN_DRIVEN, case, kind=kind, **said, next=[r.name for r in facts.new_rows], **extra)
        return case

    failures: list[DiagramFailed] = []
    case = execute(session, actor, act, now)
    if failures:  # recorded: the run ended as failed; the analyst is told which element failed
        raise failures[0]
    return case


def run_steps(work: Work, case: Case, workflow, steps: Callable[[], object]) -> DiagramFailed | None:
    """Run engine `steps` on `case`'s workflow. A diagram failure in production is raised (422, nothing
    changed); an analyst's test run ends as failed instead: its status, the state it failed in and
    its closed steps are kept, and the failure is returned for the command's one event."""
    try:
        with running():
            steps()
        return None
    except DiagramFailed as failure:
        if not case.is_test_run:
            raise
        case.status, case.closed_at = CaseStatus.FAILED, work.now
        case.state = dump_state(workflow)
        for row in work.session.scalars(
            select(TaskRow).where(TaskRow.case_id == case.id, TaskRow.state == TaskState.READY)
        ):
            row.state, row.completed_at, row.context = TaskState.CANCELLED, work.now, None
        work.settled.add(id(case))
        failure.errors["test_run"] = str(case.id)
        return failure


def failure_of(session: Session, case: Case) -> dict | None:
    """The failure that ended a test run (element, element_name, message, detail), from its events."""
    if case.status != CaseStatus.FAILED:
        return None
    detail = session.scalar(
        select(Event.detail)
        .where(Event.case_id == case.id, Event.detail.is_not(None))
        .order_by(Event.id.desc())
        .limit(1)
    )
    return (detail or {}).get("failed")
