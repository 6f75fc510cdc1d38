"""What a workflow waits on besides user tasks, and how an analyst's test run moves it on.

A test run of a diagram with timers, messages, signals, event-based gateways, receive
tasks or manual tasks would otherwise sit `open` with no open task. `waits` lists each
wait with its element (id and name), kind, the timer's due time or the message's or
signal's name; `fire_timer`, `send` and `finish_manual` move the workflow on as the
real event would (the caller runs the engine steps and settles the case).
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessage
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignal
from SpiffWorkflow.task import TaskState

from ..kernel.errors import Conflict, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import WaitKind
from .failures import running


def _kind(definition) -> str:
    if isinstance(definition, TimerEventDefinition):
        return WaitKind.TIMER
    if isinstance(definition, MessageEventDefinition):
        return WaitKind.MESSAGE
    if isinstance(definition, SignalEventDefinition):
        return WaitKind.SIGNAL
    return WaitKind.EVENT


def _definitions(definition) -> list:
    if isinstance(definition, MultipleEventDefinition):
        return list(definition.event_definitions)
    return [definition]


def _due(task, definition) -> str | None:
    value = task._get_internal_data("event_value")
    if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
        value = value.get("next")
    return value if isinstance(value, str) else None


def has_timer_events(workflow) -> bool:
    """Whether the workflow's diagram, or a diagram it calls, has any timer event (worked out once
    per parsed diagram): most have none, and then no command needs to look at process timers."""
    specs = [workflow.spec, *workflow.subprocess_specs.values()]
    return any(_spec_has_timers(spec) for spec in specs)


_TIMERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _spec_has_timers(spec) -> bool:
    found = _TIMERS.get(spec)
    if found is None:
        found = _TIMERS[spec] = any(
            isinstance(d, TimerEventDefinition)
            for task_spec in spec.task_specs.values()
            if getattr(task_spec, "event_definition", None) is not None
            for d in _definitions(task_spec.event_definition)
        )
    return found


def _waiting_tasks(workflow) -> list:
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if hasattr(task.task_spec, "event_definition"):
            found.append(task)
    return found


def waits(workflow) -> list[dict]:
    """Each wait: {task_id, element, element_name, kind, name, due}; manual tasks are READY steps
    that no form completes (bpmn:manualTask, bpmn:task)."""
    result = []
    for task in _waiting_tasks(workflow):
        spec = task.task_spec
        for definition in _definitions(spec.event_definition):
            kind = _kind(definition)
            result.append(
                {
                    "task_id": str(task.id),
                    "element": spec.bpmn_id,
                    "element_name": spec.bpmn_name or spec.bpmn_id,
                    "kind": kind,
                    "name": getattr(definition, "name", None) or None,
                    "due": _due(task, definition) if kind == WaitKind.TIMER else None,
                }
            )
    for task in workflow.get_tasks(state=TaskState.READY):
        spec = task.task_spec
        if spec.manual and not isinstance(spec, UserTask):
            result.append(
                {
                    "task_id": str(task.id),
                    "element": spec.bpmn_id,
                    "element_name": spec.bpmn_name or spec.bpmn_id,
                    "kind": WaitKind.MANUAL,
                    "name": None,
                    "due": None,
                }
            )
    return result


def _task(workflow, task_id: str):
    from uuid import UUID

    try:
        return workflow.get_task_from_id(UUID(task_id))
    except Exception:
        return None


NOT_WAITING = N_("the test run is not waiting on this")


def fire_timer(workflow, task_id: str) -> None:
    """The timer of this waiting task fires now (a cycle: its next round)."""
    task = _task(workflow, task_id)
    if task is None or task.state != TaskState.WAITING:
        raise Conflict(NOT_WAITING)
    timers = [d for d in _definitions(task.task_spec.event_definition) if isinstance(d, TimerEventDefinition)]
    if not timers:
        raise Conflict(NOT_WAITING)
    with running():
        for definition in timers:
            if isinstance(definition, CycleTimerEventDefinition):
                value = task._get_internal_data("event_value")
                if value is None:
                    definition.cycle_complete(task)  # evaluates the expression: its first round
                    value = task._get_internal_data("event_value")
                if isinstance(value, dict):
                    value["next"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                    task._set_internal_data(event_value=value)
            else:
                task._set_internal_data(event_fired=True)
        workflow.refresh_timers()
        workflow.do_engine_steps()


def send(workflow, kind: str, name: str, payload) -> None:
    """A message or signal named `name` arrives with `payload` (a message's payload becomes its data)."""
    if kind == WaitKind.MESSAGE:
        definition = SpiffMessage(name)
    elif kind == WaitKind.SIGNAL:
        definition = SpiffSignal(name)
    else:
        raise Conflict(NOT_WAITING)
    expected = {w["name"] for w in waits(workflow) if w["kind"] == kind}
    if name not in expected:
        raise Conflict(NOT_WAITING)
    event = BpmnEvent(definition, payload, _correlations(workflow, name, payload) if kind == WaitKind.MESSAGE else {})
    if not any(task.task_spec.event_definition.catches(task, event) for task in _waiting_tasks(workflow)):
        raise Conflict(N_("the message does not carry the key the test run is correlated by"))
    with running():
        workflow.catch(event)
        workflow.do_engine_steps()


def _correlations(workflow, name: str, payload: dict) -> dict:
    """The correlation keys a message named `name` carries in `payload`, by the waiting catch event's
    correlation properties (as SpiffWorkflow computes them when a process throws the message)."""
    for task in _waiting_tasks(workflow):
        for definition in _definitions(task.task_spec.event_definition):
            if not isinstance(definition, MessageEventDefinition) or definition.name != name:
                continue
            if not definition.correlation_properties:
                return {}
            try:
                return definition.calculate_correlations(
                    workflow.script_engine, definition.correlation_properties, payload
                )
            except Exception as err:  # the property's expression over the payload fails: the payload lacks it
                names = ", ".join(p.name for p in definition.correlation_properties)
                raise Invalid(N_("the payload lacks what the message is correlated by"), {"payload": names}) from err
    return {}


def finish_manual(workflow, task_id: str) -> None:
    """A manual step is done."""
    task = _task(workflow, task_id)
    if (
        task is None
        or task.state != TaskState.READY
        or not task.task_spec.manual
        or isinstance(task.task_spec, UserTask)
    ):
        raise Conflict(NOT_WAITING)
    with running():
        task.run()
        workflow.do_engine_steps()
