"""Validation before deploy: one test per rule, each naming the element the modeler marks."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import pytest

from engine.kernel.settings import BPMN_DIR
from engine.kernel.xml import MAX_XML_BYTES
from engine.library.validation import validate

XML = (BPMN_DIR / "proxy_case.bpmn").read_text(encoding="utf-8")
DMN = (BPMN_DIR / "time_limit.dmn").read_text(encoding="utf-8")


def _errors(xml: str) -> list[tuple]:
    return [(e["element"], e["message"]) for e in validate(xml)[1]]


def test_the_library_diagram_and_decision_table_are_valid():
    processes, errors, forms = validate(XML)
    assert errors == [] and processes[0]["key"] == "proxy_case" and "accept_item.json" in forms
    processes, errors, _ = validate(DMN)
    assert errors == [] and processes == [{"key": "time_limit", "name": processes[0]["name"], "type": "dmn"}]


def test_spiffworkflow_must_be_able_to_parse_the_diagram():
    broken = XML.replace(
        '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="accept_item" />',
        '<bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="nowhere" />',
    )
    assert [m for _, m in _errors(broken)] == ["the process engine cannot run the diagram"]


def test_lanes_must_be_known_roles():
    assert _errors(XML.replace('name="county_window"', 'name="janitor"', 1)) == [
        ("lane_window", "the lane is not a known role")
    ]
    # Lanes inside a sub-process (a department's part of the joint handling) are checked too.
    inner = XML.replace(
        '<bpmn:lane id="lane_joint_window" name="county_window">', '<bpmn:lane id="lane_joint_window" name="janitor">'
    )
    assert _errors(inner) == [("lane_joint_window", "the lane is not a known role")]


def test_a_return_flag_must_name_a_variable():
    broken = XML.replace('name="return_flag" value="part_returned"', 'name="return_flag" value="part returned!"')
    assert _errors(broken) == [("handle_in_department", "not a variable name")]


def test_every_user_task_needs_a_form_from_the_form_library():
    no_form = XML.replace('<spiffworkflow:property name="formJsonSchemaFilename" value="accept_item.json" />', "")
    assert _errors(no_form) == [("accept_item", "the user task has no form")]
    unknown = XML.replace('value="accept_item.json"', 'value="../../etc/passwd"')
    assert _errors(unknown) == [("accept_item", "the form is not in the form library")]


def test_every_exclusive_gateway_needs_conditions_or_a_default():
    no_default = XML.replace(
        '<bpmn:exclusiveGateway id="gw_level" name="办理层级?" default="f_to_township">',
        '<bpmn:exclusiveGateway id="gw_level" name="办理层级?">',
    )
    assert _errors(no_default) == [("gw_level", "a flow out of the gateway has no condition and is not the default")]


def test_conditions_scripts_and_timers_must_compile_in_the_restricted_evaluator():
    condition = XML.replace('level == "village"', "__import__('os').system('id')")
    assert _errors(condition) == [("f_village_done", "the expression is not allowed")]
    script = XML.replace(
        '<bpmn:userTask id="accept_item" name="受理登记">',
        '<bpmn:scriptTask id="s1"><bpmn:script>open("/etc/passwd")</bpmn:script></bpmn:scriptTask>'
        '<bpmn:userTask id="accept_item" name="受理登记">',
    )
    assert ("s1", "the expression is not allowed") in _errors(script)
    timer = XML.replace(
        '<bpmn:startEvent id="start" name="群众委托">',
        '<bpmn:intermediateCatchEvent id="t1"><bpmn:timerEventDefinition id="t1_def">'
        "<bpmn:timeDuration>().__class__</bpmn:timeDuration></bpmn:timerEventDefinition>"
        '</bpmn:intermediateCatchEvent><bpmn:startEvent id="start" name="群众委托">',
    )
    assert ("t1_def", "the expression is not allowed") in _errors(timer)


def test_decision_tables_are_checked_cell_by_cell():
    assert _errors(DMN.replace("<text>kind</text>", "<text>kind.__class__</text>"))[0] == (
        "in_kind",
        "the expression is not allowed",
    )
    assert _errors(DMN.replace("<text>15</text>", "<text>getattr(kind, 'x')</text>")) == [
        ("rule_joint_days", "the expression is not allowed")
    ]
    assert _errors(DMN.replace('<text>"county"</text>', "<text>lambda: 1</text>")) == [
        ("rule_county_level", "the expression is not allowed")
    ]
    no_decision = DMN.split("<decision ")[0] + "</definitions>"
    assert _errors(no_decision) == [(None, "the file has no decision")]


@pytest.mark.parametrize(
    "hostile, message",
    [
        (
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
            "DOCTYPE and ENTITY declarations are not allowed",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
            '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>',
            "DOCTYPE and ENTITY declarations are not allowed",
        ),
        ("<definitions>" + " " * MAX_XML_BYTES + "</definitions>", "the file is too large"),
        ("<definitions><unclosed></definitions>", "the file is not well-formed XML"),
        ("<html><body/></html>", "the file is neither a BPMN diagram nor a DMN decision table"),
    ],
)
def test_hostile_or_foreign_files_are_rejected_with_a_message(hostile, message):
    assert _errors(hostile) == [(None, message)]


@pytest.mark.parametrize(
    "name, good, bad, message",
    [
        (
            "time_limit_days",
            '1 if kind == "special" else 2',
            "-1",
            "the time limit is not a whole number of working days",
        ),
        ("time_limit_days", "0", "2.5", "the time limit is not a whole number of working days"),
        ("time_limit_days", "10", "open('x')", "the time limit is not a whole number of working days"),
        ("case_status", "closed", "finished", "the case status is not a known status"),
        ("deadline_kind", "resubmission", "soon", "the deadline kind is not known"),
        ("case_deadline", "restart", "extend", "the case deadline can only restart"),
        ("case_fields", "rating, materials_provided", "rating,status", "a case field cannot be set from a form"),
        ("notice", "missing_materials,reason", "missing materials", "not a list of variable names"),
        ("result_variable", "answer", "answer.x", "not a variable name"),
        ("unit", "case.window", "case.moon", "the unit is neither case.<unit> nor data.<variable>"),
        ("alongside", "true", "yes", "alongside is true or false"),
        ("unit", "data.station", "station", "the unit is neither case.<unit> nor data.<variable>"),
    ],
)
def test_task_properties_must_hold_values_the_engine_understands(name, good, bad, message):
    """The property on site_survey is what the modeler's Daiban fields write; the bad value is marked there."""

    def with_property(value):
        return XML.replace(
            '<spiffworkflow:property name="unit" value="data.station" />\n'
            '          <spiffworkflow:property name="time_limit_days" value="2" />',
            f'<spiffworkflow:property name="{name}" value={quoteattr(value)} />',
            1,
        )

    assert with_property(good) != XML
    assert _errors(with_property(good)) == []
    assert _errors(with_property(bad)) == [("site_survey", message)]
    assert validate(with_property(bad))[1][0]["detail"] == f'{name}="{bad}"'
