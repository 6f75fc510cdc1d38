"""Message correlation in a test run: two messages correlated by a key, sent through the test run's
send-message API with JSON payloads, end as bare SpiffWorkflow ends with the same messages; a
message with another key is not taken, one without the key is refused. Compensation, which bare
SpiffWorkflow cannot run either, is refused with the element named."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.task import TaskState

from .analyst import save_process

CONSTRUCTS = Path(__file__).parent / "data" / "constructs"
CORRELATION = (CONSTRUCTS / "correlated" / "message_correlation.bpmn").read_text(encoding="utf-8")
APPLICATION = {"case_no": "A-1", "name": "张三"}
DECISION = {"case_no": "A-1", "result": "批准"}
REFUSED = sorted((CONSTRUCTS / "refused").glob("*.bpmn"))


def _bare(xml: str, key: str):
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()), filename="construct.bpmn")
    return BpmnWorkflow(parser.get_spec(key), parser.get_subprocess_specs(key))


def _bare_send(workflow, name: str, payload: dict) -> None:
    """A message as another process would throw it: its correlations computed by the catching event."""
    [task] = [t for t in workflow.get_tasks(state=TaskState.WAITING) if hasattr(t.task_spec, "event_definition")]
    definition = task.task_spec.event_definition
    correlations = definition.calculate_correlations(workflow.script_engine, definition.correlation_properties, payload)
    workflow.catch(BpmnEvent(type(definition)(name), payload, correlations))
    workflow.do_engine_steps()


def test_two_messages_correlated_by_a_key_complete_the_test_run_as_in_bare_spiffworkflow(client, api):
    bare = _bare(CORRELATION, "c_message_correlation")
    bare.do_engine_steps()
    _bare_send(bare, "application", APPLICATION)
    _bare_send(bare, "decision", {"case_no": "B-2", "result": "驳回"})  # another application's: not taken
    assert not bare.is_completed()
    _bare_send(bare, "decision", DECISION)
    assert bare.is_completed()

    saved = save_process(client, api, CORRELATION)
    run = api.call(
        "POST", f"/api/v1/processes/c_message_correlation/versions/{saved['version']}/test-runs", "analyst@qx", {}, 201
    )
    path = f"/api/v1/test-runs/{run['id']}/events"
    state = api.call("POST", path, "analyst@qx", {"kind": "message", "name": "application", "payload": APPLICATION})
    assert [(w["kind"], w["name"], w["element"]) for w in state["waits"]] == [("message", "decision", "wait_decision")]
    other = {"kind": "message", "name": "decision", "payload": {"case_no": "B-2", "result": "驳回"}}
    assert api.call("POST", path, "analyst@qx", other, expect=409)["title"]
    lacking = api.call("POST", path, "analyst@qx", {"kind": "message", "name": "decision", "payload": {}}, expect=422)
    assert lacking["errors"]["payload"] == "case_no"
    state = api.call("POST", path, "analyst@qx", {"kind": "message", "name": "decision", "payload": DECISION})
    assert state["finished"] and state["status"] == "archived"
    final = {k: v for k, v in state["data"].items() if k in bare.data}
    assert final == dict(bare.data) and state["data"]["outcome"] == "批准" and state["data"]["applicant"] == "张三"


@pytest.mark.parametrize("path", REFUSED, ids=lambda p: p.stem)
def test_what_bare_spiffworkflow_cannot_run_is_refused_with_the_element_named(client, api, path):
    xml = path.read_text(encoding="utf-8")
    key = etree.fromstring(xml.encode()).find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("id")
    with pytest.raises(Exception):  # noqa: B017 - bare SpiffWorkflow fails in its parser, with assorted errors
        _bare(xml, key)
    refused = save_process(client, api, xml, expect=422)
    expected = {e.getparent().get("id") for e in etree.fromstring(xml.encode()).iter("{*}compensateEventDefinition")}
    assert {e["element"] for e in refused["errors"]} <= expected and refused["errors"]
    assert all(e["message"] and "<" not in e["detail"] for e in refused["errors"])
