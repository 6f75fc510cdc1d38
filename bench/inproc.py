"""In-process figures: raw SpiffWorkflow (the ceiling) and Daiban's engine commands."""

from __future__ import annotations

from sqlalchemy import select

from engine.cases import commands
from engine.cases.commands import _routing_data
from engine.library.catalog import current_item
from engine.library.processes import live_version, spec_for
from engine.org.org import unit_by_code
from engine.read.shapes import case_dict, task_detail
from engine.runtime.spiff import BoundedWorkflow, dump_state, find_task, load_state, new_workflow, ready_user_tasks
from engine.store.models import User

from .common import SqlCounter, Stopwatch, demo_sessions
from .driver import sample_data

RESIDENT = {"name": "张三", "phone": "13800001234", "village": "t1-v1"}


def raw_spiff(url: str, cases: int, full_state: bool = False, store_state: bool = True) -> dict:
    """The joint county case in bare SpiffWorkflow, state stored and reloaded after every step.

    `full_state` uses SpiffWorkflow's stock serializer (spec inside every state, as
    an application that does not cache specs would); otherwise the compact form.
    `store_state=False` keeps the one workflow object in memory from start to end: the
    engine alone, the physical limit of any application built on it.
    """
    dump, load = dump_state, load_state
    if not store_state:
        dump = lambda workflow: workflow  # noqa: E731
        load = lambda workflow, _process: workflow  # noqa: E731
    if full_state:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

        stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        # Our workflows bound their engine steps; to the stock serializer they are plain workflows.
        stock.registry.typenames[BoundedWorkflow] = stock.registry.typenames[BpmnWorkflow]
        dump = stock.serialize_json
        load = lambda state, _process: stock.deserialize_json(state)  # noqa: E731
    engine, sessions = demo_sessions(url)
    with sessions() as s:
        version = live_version(s, "proxy_case")
        process, forms = spec_for(version), version.forms
        # The routing facts the engine gives the joint county case (what open_case computes).
        item = current_item(s, "house-building")
        routing = _routing_data(s, item, unit_by_code(s, RESIDENT["village"]), list(item.materials))
    engine.dispose()
    sizes = []
    with Stopwatch() as clock:
        for _ in range(cases):
            workflow = new_workflow(process, dict(routing))
            state = dump(workflow)
            while True:
                workflow = load(state, process)
                ready = ready_user_tasks(workflow)
                if not ready:
                    break
                task = find_task(workflow, ready[0].id)
                form = forms.get(ready[0].properties.get("formJsonSchemaFilename"), {})
                answer = sample_data(form)
                variable = ready[0].properties.get("result_variable")
                task.data.update({variable: answer} if variable else answer)
                flag = ready[0].properties.get("return_flag")
                if flag:  # what complete_task does: a handled part is not a returned one
                    task.data[flag] = False
                task.run()
                workflow.do_engine_steps()
                state = dump(workflow)
            sizes.append(len(state.encode()) if isinstance(state, str) else 0)
    return {"cases_per_s": cases / clock.seconds, "state_bytes": max(sizes)}


def engine_commands(url: str, cases: int) -> dict:
    """The same case through Daiban's commands (open, read task, complete ×12) in one process.

    Besides the whole case, the statements and commits of the `complete` commands alone."""
    engine, sessions = demo_sessions(url)
    counter = SqlCounter(engine)
    completes = CompleteCounter(counter)
    with sessions() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        _run(s, users, 2)  # warm the spec cache and the connection pool
        counter.statements = counter.commits = 0
        with Stopwatch() as clock:
            _run(s, users, cases, completes)
    engine.dispose()
    return {
        "cases_per_s": cases / clock.seconds,
        "sql_per_case": counter.statements / cases,
        "commits_per_case": counter.commits / cases,
        "sql_per_complete": completes.statements / completes.n,
        "commits_per_complete": completes.commits / completes.n,
    }


class CompleteCounter:
    """Statements and commits of the `complete` commands only."""

    def __init__(self, counter: SqlCounter):
        self.counter = counter
        self.n = self.statements = self.commits = 0

    def complete(self, session, user, task_id, data):
        before = (self.counter.statements, self.counter.commits)
        case = commands.complete_task(session, user, task_id, data)
        self.n += 1
        self.statements += self.counter.statements - before[0]
        self.commits += self.counter.commits - before[1]
        return case


def _run(session, users, cases: int, completes: CompleteCounter | None = None) -> None:
    complete = completes.complete if completes else commands.complete_task
    for _ in range(cases):
        materials = list(current_item(session, "house-building").materials)  # the resident brings them all
        case = commands.open_case(session, users["village_agent@t1-v1"], "house-building", RESIDENT, "bench", materials)
        while True:
            view = case_dict(session, case)
            if not view["open_tasks"]:
                break
            task = view["open_tasks"][0]
            user = users[f"{task['role']}@{task['org_unit']}"]
            detail = task_detail(session, user, task["id"])
            case = complete(session, user, task["id"], sample_data(detail["form"]))
