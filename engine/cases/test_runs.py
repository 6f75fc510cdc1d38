"""An analyst's test run beyond its user tasks: what it waits on, its data, and moving it on.

`test_run_state` tells whether the workflow finished, what it waits on (timers with their due
time, messages and signals by name, manual steps) and its data, including what scripts printed.
`drive_test_run` is one command through the pipeline: fire a timer now, send a message or a
signal with a JSON payload, or mark a manual step done; the case is settled as after any step
and a failing script names its element (422, nothing changed).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from ..kernel.errors import Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, WaitKind
from ..library.processes import spec_for
from ..runtime.expressions import PRINT_LOG
from ..runtime.spiff import load_state
from ..runtime.waits import finish_manual, fire_timer, send, waits
from ..store.models import Case, User
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
        "waits": waits(workflow),
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
        workflow = work.workflow(case)
        if kind == WaitKind.TIMER:
            fire_timer(workflow, task_id)
        elif kind == WaitKind.MANUAL:
            finish_manual(workflow, task_id)
        else:
            send(workflow, kind, name, payload)
        facts = work.settle(case, workflow)
        extra = {"status": case.status} if facts.status_changed else {}
        work.event(
            EventType.TEST_RUN_DRIVEN,
            case,
            kind=kind,
            **({"task_id": task_id} if task_id and kind in (WaitKind.TIMER, WaitKind.MANUAL) else {"name": name}),
            next=[r.name for r in facts.new_rows],
            **extra,
        )
        return case

    return execute(session, actor, act, now)
