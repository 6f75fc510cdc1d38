"""Analysts' diagrams run as they run in bare SpiffWorkflow: the team's corpus of standard BPMN
constructs (tests/data/constructs) goes through validation, a test run driven through the API
(firing timers, sending messages and signals, finishing manual steps where it waits) and ends
with the data bare SpiffWorkflow ends with on the same file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition, SignalEventDefinition
from SpiffWorkflow.task import TaskState

from .analyst import save_process

CONSTRUCTS = Path(__file__).parent / "data" / "constructs"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
FILES = sorted(p.name for p in CONSTRUCTS.glob("*.bpmn"))


def _key(xml: str) -> str:
    return etree.fromstring(xml.encode()).find(f"{BPMN}process").get("id")


def bare_spiffworkflow(xml: str) -> tuple[bool, dict, list[str]]:
    """Bare SpiffWorkflow on the same file, with its own script engine: completes, final data, what it waited on."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()), filename="construct.bpmn")
    key = _key(xml)
    workflow = BpmnWorkflow(parser.get_spec(key), parser.get_subprocess_specs(key))
    workflow.do_engine_steps()
    waited = []
    for _ in range(20):
        if workflow.is_completed():
            break
        waiting = [t for t in workflow.get_tasks(state=TaskState.WAITING) if hasattr(t.task_spec, "event_definition")]
        manual = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
        if waiting:  # waits first, then manual steps: the order the test run lists them
            task = waiting[0]
            definition = task.task_spec.event_definition
            if isinstance(definition, MultipleEventDefinition):  # an event-based gateway: its first branch
                definition = definition.event_definitions[0]
            waited.append(task.task_spec.bpmn_id)
            if isinstance(definition, (MessageEventDefinition, SignalEventDefinition)):
                workflow.catch(BpmnEvent(type(definition)(definition.name), {}))
            elif isinstance(definition, CycleTimerEventDefinition):  # its next round comes
                value = task._get_internal_data("event_value")
                value["next"] = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
                workflow.refresh_timers()
            else:  # a timer: its time has come
                task._set_internal_data(event_fired=True)
                workflow.refresh_timers()
        elif manual:
            waited.append(manual[0].task_spec.bpmn_id)
            manual[0].run()
        else:
            break
        workflow.do_engine_steps()
    return workflow.is_completed(), dict(workflow.data), waited


def _upload(client, api, xml: str) -> int:
    return save_process(client, api, xml)["version"]


@pytest.mark.parametrize("name", FILES)
def test_each_construct_completes_as_a_test_run_as_in_bare_spiffworkflow(client, api, name):
    xml = (CONSTRUCTS / name).read_text(encoding="utf-8")
    completes, final_data, bare_waits = bare_spiffworkflow(xml)
    assert completes, f"{name}: bare SpiffWorkflow does not complete it"
    key = _key(xml)
    version = _upload(client, api, xml)
    run = api.call("POST", f"/api/v1/processes/{key}/versions/{version}/test-runs", "analyst@qx", {}, expect=201)
    state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
    waited = []
    while not state["finished"]:
        if not state["waits"]:  # a user task: the analyst completes it (no form: optional JSON data)
            open_tasks = api.call("GET", f"/api/v1/cases/{run['id']}", "analyst@qx")["open_tasks"]
            assert open_tasks, f"{name}: the run is not finished and shows nothing it waits on"
            waited.append(open_tasks[0]["task"])
            api.call("POST", f"/api/v1/tasks/{open_tasks[0]['id']}/complete", "analyst@qx", {"data": {}})
            state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
            assert len(waited) < 20
            continue
        wait = state["waits"][0]
        assert wait["element"] and wait["element_name"]  # what it waits on is named
        if wait["kind"] == "timer":
            assert wait["due"], "a timer shows when it is due"
        waited.append(wait["element"])
        body = {"kind": wait["kind"], "task_id": wait["task_id"], "name": wait["name"], "payload": {}}
        state = api.call("POST", f"/api/v1/test-runs/{run['id']}/events", "analyst@qx", body)
        assert len(waited) < 20
    assert waited == bare_waits
    assert state["status"] == "archived" and state["waits"] == []
    assert {k: v for k, v in state["data"].items() if k in final_data} == final_data
    case = api.call("GET", f"/api/v1/cases/{run['id']}", "analyst@qx")
    completed = [e for e in case["events"] if e["type"] == "task_completed"]
    assert [e["type"] for e in case["events"]].count("test_run_driven") + len(completed) == len(waited)


def test_a_message_carries_its_payload_and_only_awaited_events_are_accepted(client, api):
    xml = (CONSTRUCTS / "message_catch.bpmn").read_text(encoding="utf-8")
    version = _upload(client, api, xml)
    run = api.call(
        "POST", f"/api/v1/processes/c_message_catch/versions/{version}/test-runs", "analyst@qx", {}, expect=201
    )
    state = api.call("GET", f"/api/v1/test-runs/{run['id']}", "analyst@qx")
    assert [(w["kind"], w["name"], w["element_name"]) for w in state["waits"]] == [("message", "approved", "等待批复")]
    path = f"/api/v1/test-runs/{run['id']}/events"
    refused = api.call("POST", path, "analyst@qx", {"kind": "message", "name": "rejected"}, expect=409)
    assert refused["title"]
    api.call("POST", path, "analyst@qx", {"kind": "signal", "name": ""}, expect=422)
    api.call("POST", path, "analyst@qx", {"kind": "message", "name": "approved", "payload": [1]}, expect=422)
    # Only the analyst who started the run sees and drives it.
    api.call("GET", f"/api/v1/test-runs/{run['id']}", "village_agent@t1-v1", expect=404)
    api.call("POST", path, "village_agent@t1-v1", {"kind": "message", "name": "approved"}, expect=404)
    done = api.call("POST", path, "analyst@qx", {"kind": "message", "name": "approved", "payload": {"by": "县局"}})
    assert done["finished"] and done["data"]["outcome"] == "approved"
