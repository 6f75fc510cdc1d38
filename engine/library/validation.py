"""Validation of diagrams before they enter the library: BPMN processes and DMN decision tables.

Each rule yields errors keyed by the id of the offending element, so the
modeler can mark that element; messages are constant (translated by the web
layer) and `detail` carries the variable part (a lane name, a flow id, the
evaluator's complaint).
"""

from __future__ import annotations

import json
import re

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from ..kernel.i18n import N_
from ..kernel.settings import BPMN_DIR
from ..kernel.xml import XmlRejected, parse_xml
from ..org.roles import roles
from ..runtime import decision_tables
from ..runtime.decision_tables import runnable
from ..runtime.expressions import ExpressionError, compile_restricted
from ..runtime.task_properties import FORM, check
from .processes import BPMN_NS, SPIFF_NS, decision_files

# Elements whose text is a Python expression evaluated by the engine (timers, loops, conditions).
EXPRESSION_TAGS = (
    "conditionExpression",
    "completionCondition",
    "loopCardinality",
    "timeDuration",
    "timeDate",
    "timeCycle",
)
SCRIPT_TAGS = ((BPMN_NS, "script"), (SPIFF_NS, "preScript"), (SPIFF_NS, "postScript"))


# Daiban's deployment rules: a draft that breaks only these can still be test-run (an unknown lane
# is the analyst's, a user task without a form completes with optional JSON data); deploying it is refused.
DEPLOY_ONLY = (
    N_("the lane is not a known role"),
    N_("the user task has no form"),
    N_("the form is not in the form library"),
)


def error(element: str | None, message: str, detail: str = "") -> dict:
    return {"element": element, "message": message, "detail": detail}


def validate(
    xml: bytes | str,
    decisions: dict | None = None,
    runnable_only: bool = False,
    callees: tuple[dict, list[dict]] | None = None,
) -> tuple[list[dict], list[dict], dict]:
    """Check a .bpmn or .dmn file. Returns (processes [{key, name, type}], errors, forms it uses).

    A diagram is parsed with the decision tables it may call: `decisions` ({name: xml}),
    by default the library's files in bpmn/. `runnable_only`: leave out the deployment rules
    (DEPLOY_ONLY), for a draft that is to be test-run. `callees`: the processes its call activities
    call from the library ({process id: xml}) and the calls the library cannot answer
    (engine.library.callees.resolve); without it a call activity must call a process of the file."""
    try:
        root = parse_xml(xml)
    except XmlRejected as err:
        return [], [error(None, err.message, err.detail)], {}
    namespace = etree.QName(root).namespace or ""
    if namespace == BPMN_NS:
        return _validate_bpmn(root, decisions, runnable_only, callees)
    if "/DMN/" in namespace:
        return _validate_dmn(root)
    return [], [error(None, N_("the file is neither a BPMN diagram nor a DMN decision table"))], {}


def _owner_id(node) -> str | None:
    """The nearest enclosing element with an id: the one the modeler can mark."""
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return None if node is None else node.get("id")


def _compiles(source: str, mode: str, element: str | None, errors: list[dict]) -> None:
    try:
        compile_restricted(source, mode)
    except ExpressionError as err:
        errors.append(error(element, N_("the expression is not allowed"), str(err)))


def _validate_bpmn(
    root, decisions: dict | None = None, runnable_only: bool = False, callees: tuple[dict, list[dict]] | None = None
) -> tuple[list[dict], list[dict], dict]:
    errors: list[dict] = []
    processes = [
        {"key": p.get("id"), "name": p.get("name") or p.get("id"), "type": "bpmn"}
        for p in root.iter(f"{{{BPMN_NS}}}process")
        if p.get("isExecutable", "true") != "false"
    ]
    if not processes:
        errors.append(error(None, N_("the file has no executable process")))
    _check_lanes(root, errors)
    forms = _check_forms(root, errors)
    _check_properties(root, errors)
    _check_gateways(root, errors)
    _check_unsupported(root, errors)
    if callees is None:
        _check_callees(root, errors)
    else:
        errors += callees[1]
    for tag in EXPRESSION_TAGS:
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if (node.text or "").strip():
                _compiles(node.text.strip(), "eval", _owner_id(node.getparent()), errors)
    for namespace, tag in SCRIPT_TAGS:
        for node in root.iter(f"{{{namespace}}}{tag}"):
            _compiles(node.text or "", "exec", _owner_id(node), errors)
    if runnable_only:
        errors = [e for e in errors if e["message"] not in DEPLOY_ONLY]
    if not errors:
        _spiff_parse(root, processes, errors, decisions, callees[0] if callees else {})
    return processes, errors, forms


def _check_lanes(root, errors: list[dict]) -> None:
    known = roles()
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        if lane.get("name") not in known:
            errors.append(error(lane.get("id"), N_("the lane is not a known role"), lane.get("name") or ""))


def _check_forms(root, errors: list[dict]) -> dict:
    forms: dict[str, dict] = {}
    for task in root.iter(f"{{{BPMN_NS}}}userTask"):
        names = [p.get("value") for p in task.iter(f"{{{SPIFF_NS}}}property") if p.get("name") == FORM]
        if not names or not names[0]:
            errors.append(error(task.get("id"), N_("the user task has no form")))
            continue
        path = BPMN_DIR / "forms" / names[0]
        if "/" in names[0] or "\\" in names[0] or not path.is_file():
            errors.append(error(task.get("id"), N_("the form is not in the form library"), names[0]))
        else:
            forms[names[0]] = json.loads(path.read_text(encoding="utf-8"))
    return forms


def _check_properties(root, errors: list[dict]) -> None:
    """Each property the engine reads must hold a value it understands (see engine.runtime.task_properties)."""
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        problem = check(prop.get("name") or "", prop.get("value"))
        if problem:
            errors.append(error(_owner_id(prop), problem, f'{prop.get("name")}="{prop.get("value")}"'))


def _check_callees(root, errors: list[dict]) -> None:
    """Without the library at hand, a call activity calls a process of the same file."""
    here = {p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")}
    for call in root.iter(f"{{{BPMN_NS}}}callActivity"):
        callee = (call.get("calledElement") or "").strip()
        if callee not in here:
            errors.append(error(call.get("id"), N_("the called process is not in this file"), callee))


# Event definitions SpiffWorkflow 3 cannot parse (its parser fails on them with the element's raw XML).
UNSUPPORTED_EVENTS = {"compensateEventDefinition": N_("the process engine does not run compensation events")}


def _check_unsupported(root, errors: list[dict]) -> None:
    for tag, message in UNSUPPORTED_EVENTS.items():
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            errors.append(error(_owner_id(node.getparent()), message, tag))


def _check_gateways(root, errors: list[dict]) -> None:
    by_source: dict[str | None, list] = {}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):  # one pass: linear in the diagram's size
        by_source.setdefault(flow.get("sourceRef"), []).append(flow)
    for tag in ("exclusiveGateway", "inclusiveGateway"):
        for gateway in root.iter(f"{{{BPMN_NS}}}{tag}"):
            outgoing = by_source.get(gateway.get("id"), [])
            if len(outgoing) < 2:
                continue
            for flow in outgoing:
                condition = flow.find(f"{{{BPMN_NS}}}conditionExpression")
                if flow.get("id") != gateway.get("default") and (
                    condition is None or not (condition.text or "").strip()
                ):
                    errors.append(
                        error(
                            gateway.get("id"),
                            N_("a flow out of the gateway has no condition and is not the default"),
                            flow.get("name") or flow.get("id"),
                        )
                    )


def _spiff_parse(
    root, processes: list[dict], errors: list[dict], decisions: dict | None = None, callees: dict | None = None
) -> None:
    try:
        parser = SpiffBpmnParser()
        parser.add_bpmn_xml(root, filename="upload.bpmn")
        for key, callee in sorted((callees or {}).items()):
            parser.add_bpmn_xml(parse_xml(callee), filename=f"{key}.bpmn")
        for name, dmn in sorted((decision_files() if decisions is None else decisions).items()):
            parser.add_dmn_xml(runnable(parse_xml(dmn)), filename=f"{name}.dmn")
        for process in processes:
            parser.get_spec(process["key"])
            parser.get_subprocess_specs(process["key"])  # what a case parses: its subprocesses and callees
    except ValidationException as err:
        errors.append(
            error(
                getattr(err, "id", None) or None,
                N_("the process engine cannot run the diagram"),
                str(err).splitlines()[0],
            )
        )
    except Exception as err:  # SpiffWorkflow raises assorted errors for broken models
        errors.append(error(None, N_("the process engine cannot run the diagram"), f"{type(err).__name__}: {err}"))


def _validate_dmn(root) -> tuple[list[dict], list[dict], dict]:
    errors: list[dict] = []
    ns = {"dmn": etree.QName(root).namespace}
    decisions = root.findall("dmn:decision", ns)
    processes = [{"key": d.get("id"), "name": d.get("name") or d.get("id"), "type": "dmn"} for d in decisions]
    if not decisions:
        return [], [error(None, N_("the file has no decision"))], {}
    errors += [error(element, message, detail) for element, message, detail in decision_tables.problems(root)]
    named = {e["element"] for e in errors}
    root = runnable(root)  # cells checked as the engine will run them (FEEL ranges and sets rewritten)
    for table in root.iterfind(".//dmn:decisionTable", ns):
        inputs = []
        for column in table.findall("dmn:input", ns):
            text = column.findtext("dmn:inputExpression/dmn:text", default="", namespaces=ns).strip()
            if not text:
                errors.append(error(column.get("id"), N_("the input column has no expression")))
            else:
                _compiles(text, "eval", column.get("id"), errors)
            inputs.append(text or "None")
        for rule in table.findall("dmn:rule", ns):
            for column, entry in zip(inputs, rule.findall("dmn:inputEntry", ns), strict=False):
                _compiles(
                    _unary_test(column, entry.findtext("dmn:text", "", ns).strip()), "eval", entry.get("id"), errors
                )
            for entry in rule.findall("dmn:outputEntry", ns):
                text = entry.findtext("dmn:text", "", ns).strip()
                if text and entry.get("id") not in named:  # a cell named already is not named twice
                    _compiles(text, "eval", entry.get("id"), errors)
    if not errors:
        try:
            parser = SpiffBpmnParser()
            parser.add_dmn_xml(root, filename="upload.dmn")
            for found in parser.dmn_parsers.values():
                found.parse()
        except Exception as err:  # ValidationException or assorted parser errors
            errors.append(
                error(
                    getattr(err, "id", None) or None,
                    N_("the process engine cannot run the decision table"),
                    str(err).splitlines()[0],
                )
            )
    return processes, errors, {}


def _unary_test(column: str, entry: str) -> str:
    """The expression SpiffWorkflow's DMN engine builds from a cell: `?` is the input, else equality
    or a comparison appended to the input (`< 5`)."""
    if entry in ("", "-"):
        return "True"
    if re.search(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", entry):
        return re.sub(r"\?(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)", "dmninputexpr", entry)
    try:
        compile(entry, "<cell>", "eval")
        return f"({column}) == ({entry})"
    except SyntaxError:
        return f"{column} {entry}"
