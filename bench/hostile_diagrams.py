"""Hostile diagrams for the process library (issue #19: no request to /api/v1/processes* answers 5xx).

Broken and random BPMN and DMN, derived deterministically (a seed) from the team's construct corpus
(tests/data/constructs) and the library's own files (bpmn/): attributes dropped or set to hostile
values (empty, huge, another element's id, control characters), elements deleted, duplicated, moved
or renamed to another BPMN tag, expressions replaced by broken or runaway ones, call activities that
call themselves, DMN hit policies and aggregations of every kind (and none), output entries giving
sets and ranges, and files cut off mid-way.

Each diagram goes through validate and save; a saved one through a test run (and its waits driven),
deploy, a test run of the deployed version, the version diff, the migration dry run and the file
download. Any 5xx is a finding. `run(send, token, seed, count)` takes the same transport as
bench/hostile.py, so it runs in the test suite (tests/test_hostile_diagrams.py) and over HTTP.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from .hostile import Finding, Send

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    [
        *(ROOT / "tests" / "data" / "constructs").rglob("*.bpmn"),
        *(ROOT / "bpmn").glob("*.bpmn"),
        *(ROOT / "bpmn").glob("*.dmn"),
    ]
)
BPMN_TAGS = (
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "transaction",
    "startEvent",
    "endEvent",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
    "sequenceFlow",
    "lane",
    "laneSet",
    "timerEventDefinition",
    "messageEventDefinition",
    "signalEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "cancelEventDefinition",
    "terminateEventDefinition",
    "conditionalEventDefinition",
    "linkEventDefinition",
    "compensateEventDefinition",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "ioSpecification",
    "dataInput",
    "dataOutput",
    "dataObject",
    "process",
)
EXPRESSIONS = (
    "",
    "(",
    "1/0",
    "[1..5]",
    "not a python expression",
    "__import__('os').system('true')",
    "().__class__",
    "x" * 5000,
    "'%0300000000d' % 1",
    "[0] * 10**9",
    "None",
    "'2099-13-45T99:00:00'",
    '"R-1/PT1H"',
    '"P"',
    '"PT0S"',
    '"R2/PT1S"',
    "1e999",
    "float('nan')",
    "{1, 2, 3}",
    "range(5)",
    "lambda: 1",
    "+".join(["1"] * 3000),
)
VALUES = (
    "",
    " ",
    "x" * 3000,
    "NaN",
    "nul\x00byte".replace("\x00", ""),
    "rlo\u202eexe",
    "0",
    "-1",
    "true",
    "false",
    "COLLECT",
    "RULE ORDER",
    "SUM",
    "[1..5]",
    "http://x",
    "../../etc/passwd",
)
HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER", "bogus", "")
AGGREGATIONS = (None, "SUM", "COUNT", "MIN", "MAX", "bogus")


def _elements(root) -> list:
    return [e for e in root.iter() if isinstance(e.tag, str) and e is not root]


def _mutate(rng: random.Random, root) -> str:
    """One random change to the tree; returns what it did."""
    elements = _elements(root)
    if not elements:
        return "nothing to change"
    node = rng.choice(elements)
    local = etree.QName(node).localname
    ids = [e.get("id") for e in elements if e.get("id")]
    choice = rng.randrange(10)
    if choice == 0 and node.attrib:
        name = rng.choice(list(node.attrib))
        del node.attrib[name]
        return f"{local}: dropped {name}"
    if choice == 1 and node.attrib:
        name = rng.choice(list(node.attrib))
        node.set(name, rng.choice((*VALUES, *(ids or ["x"]))))
        return f"{local}: {name} set"
    if choice == 2 and node.getparent() is not None:
        node.getparent().remove(node)
        return f"{local}: deleted"
    if choice == 3 and node.getparent() is not None:
        node.getparent().append(etree.fromstring(etree.tostring(node)))
        return f"{local}: duplicated (same ids)"
    if choice == 4:
        target = rng.choice(elements)
        if node not in target.iterancestors() and node is not target:
            target.append(node)
            return f"{local}: moved under {etree.QName(target).localname}"
    if choice == 5 and etree.QName(node).namespace:
        node.tag = f"{{{etree.QName(node).namespace}}}{rng.choice(BPMN_TAGS)}"
        return f"{local}: renamed to {etree.QName(node).localname}"
    if choice == 6:
        texts = [e for e in elements if (e.text or "").strip()]
        if texts:
            target = rng.choice(texts)
            target.text = rng.choice(EXPRESSIONS)
            return f"{etree.QName(target).localname}: expression replaced"
    if choice == 7:
        calls = [e for e in elements if etree.QName(e).localname == "callActivity"]
        processes = [e.get("id") for e in elements if etree.QName(e).localname == "process"]
        if calls and processes:
            rng.choice(calls).set("calledElement", rng.choice(processes))  # itself or a sibling: a cycle
            return "callActivity calls a process of the file (maybe itself)"
    if choice == 8:
        tables = [e for e in elements if etree.QName(e).localname == "decisionTable"]
        if tables:
            table = rng.choice(tables)
            table.set("hitPolicy", rng.choice(HIT_POLICIES))
            aggregation = rng.choice(AGGREGATIONS)
            if aggregation:
                table.set("aggregation", aggregation)
            for entry in table.iter("{*}outputEntry"):
                text = entry.find("{*}text")
                if text is not None and rng.random() < 0.5:
                    text.text = rng.choice(("[1..5]", "{1, 2}", "range(3)", "'a'", "1", "(1..5]"))
            return f"decision table: {table.get('hitPolicy')} {aggregation or ''}"
    node.set("id", rng.choice(ids or ["dup"]))  # fall-through: a duplicate id
    return f"{local}: id duplicated"


def diagrams(seed: int = 19, count: int = 200) -> Iterator[tuple[str, bytes]]:
    """(what, file bytes) for `count` hostile diagrams, the same ones for the same seed."""
    rng = random.Random(seed)
    for number in range(count):
        source = rng.choice(SOURCES)
        root = etree.fromstring(source.read_bytes())
        changes = [_mutate(rng, root) for _ in range(rng.randint(1, 4))]
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        if number % 13 == 0:
            data = data[: rng.randrange(len(data))]  # cut off mid-way
            changes.append("truncated")
        yield f"{source.name}: {'; '.join(changes)}", data


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def run(send: Send, token: str, seed: int = 19, count: int = 200) -> tuple[int, list[Finding]]:
    """Every hostile diagram through the library's operations as an analyst; (calls made, 5xx answers)."""
    headers = {"Authorization": f"Bearer {token}"}
    calls, findings = 0, []

    def call(method: str, path: str, what: str, body: bytes | None = None, content_type: str | None = None) -> dict:
        nonlocal calls
        status, text = send(method, path, headers, body, content_type)
        calls += 1
        if status >= 500:
            findings.append(Finding("analyst", method, path[:120], what, status, text[-3000:]))
        return _json(text) if status < 300 else {}

    empty = json.dumps({}).encode()
    for what, data in diagrams(seed, count):
        call("POST", "/api/v1/processes/validate", what, data, "application/xml")
        saved = call("POST", "/api/v1/processes", what, data, "application/xml")
        if not saved.get("key"):
            continue
        base = f"/api/v1/processes/{saved['key']}"
        version = f"{base}/versions/{saved['version']}"
        run_ = call("POST", f"{version}/test-runs", what, empty, "application/json")
        if run_.get("id"):
            state = call("GET", f"/api/v1/test-runs/{run_['id']}", what)
            for wait in (state.get("waits") or [])[:3]:
                body = {"kind": wait.get("kind"), "task_id": wait.get("task_id"), "name": wait.get("name") or ""}
                call(
                    "POST",
                    f"/api/v1/test-runs/{run_['id']}/events",
                    what,
                    json.dumps(body).encode(),
                    "application/json",
                )
        deployed = call("POST", f"{version}/deploy", what, empty, "application/json")
        if deployed.get("status") == "live":
            call("POST", f"{version}/test-runs", what, empty, "application/json")
        call("GET", f"{base}/diff?from=1&to={saved['version']}", what)
        call("POST", f"{version}/migration-dry-run", what, empty, "application/json")
        call("GET", f"{version}/file", what)
    return calls, findings
