"""The vocabulary (engine/kernel/vocabulary.py) is complete: every code the code base, the diagrams and the
role file use is a member with two labels, and pages show the label of the request's language."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from engine.kernel.settings import CONFIG_DIR
from engine.kernel.vocabulary import (
    CASE_FINISHED,
    CASE_OPEN,
    VOCABULARIES,
    CaseStatus,
    EventType,
    Role,
    event_type,
    label,
    lookup,
)

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = [member for vocabulary in VOCABULARIES.values() for member in vocabulary]


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.name}")
def test_every_member_has_a_zh_and_an_english_label_that_is_not_its_code(member):
    assert member.zh and member.en
    assert member.zh != member.value and member.en != member.value
    assert member.label() == member.zh and member.label("zh_CN") == member.zh and member.label("en") == member.en


def test_open_and_finished_split_the_statuses():
    assert CASE_OPEN | CASE_FINISHED == set(CaseStatus) and not CASE_OPEN & CASE_FINISHED


def test_roles_agree_with_the_role_file():
    data = tomllib.loads((CONFIG_DIR / "roles.toml").read_text(encoding="utf-8"))
    assert list(data) == Role.codes()
    for code, entry in data.items():
        assert (Role(code).zh, Role(code).en) == (entry["name"], entry["name_en"]), code


def test_every_case_status_in_the_diagrams_is_a_case_status():
    found = {
        value
        for path in (ROOT / "bpmn").glob("*.bpmn")
        for value in re.findall(r'name="case_status"\s+value="([^"]*)"', path.read_text(encoding="utf-8"))
    }
    assert found and found <= set(CaseStatus.codes())


def _event_code(node: ast.AST) -> str | None:
    """The code a node names: a string constant, or `EventType.NAME` (an unknown NAME shows as itself)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "EventType":
        return EventType[node.attr].value if node.attr in EventType.__members__ else f"EventType.{node.attr}"
    return None


def _event_type_literals(tree: ast.AST) -> set[str]:
    """Codes given as the event type: the pipeline's `work.event(type, ...)`, record_event's fourth
    argument and Event(type=...);
    a variable given there is followed to the strings assigned to it in the same function."""
    found: set[str] = set()
    for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Module))]:
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            given = []
            if name == "record_event" and len(node.args) >= 4:
                given.append(node.args[3])
            if name == "event" and isinstance(node.func, ast.Attribute) and node.args:  # work.event(type, ...)
                given.append(node.args[0])
            if name == "Event":
                given += [k.value for k in node.keywords if k.arg == "type"]
            for expression in given:
                sources = assigned.get(expression.id, []) if isinstance(expression, ast.Name) else [expression]
                found |= {_event_code(c) for s in sources for c in ast.walk(s) if _event_code(c)}
    return found


def test_every_event_type_recorded_anywhere_is_an_event_type():
    found: set[str] = set()
    for folder in ("engine", "web", "tests", "scripts", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= _event_type_literals(ast.parse(path.read_text(encoding="utf-8")))
    assert len(found) > 35
    assert found <= set(EventType.codes()), found - set(EventType.codes())


def test_an_unknown_event_type_is_refused():
    assert event_type("task_completed") is EventType.TASK_COMPLETED
    with pytest.raises(ValueError, match="unknown event type"):
        event_type("task_complete")


def test_a_shared_code_is_found_in_the_named_vocabulary_and_an_unknown_code_shows_as_itself():
    assert label("group", vocabulary="unit_kind") == "村民小组" and label("group", "en", "level") == "Group"
    assert lookup("closed") is CaseStatus.CLOSED
    assert label("no_such_code") == "no_such_code" and label(None) == ""


def test_pages_show_zh_labels_by_default_and_english_on_request(client, login):
    public = client.get("/public/").get_data(as_text=True)
    assert "即办件" in public and "Immediate" not in public
    english = client.get("/public/?lang=en").get_data(as_text=True)
    assert "Immediate" in english and "即办件" not in english

    agent = login("village_agent@t1-v1")
    cases = agent.get("/cases").get_data(as_text=True)
    assert "待补材料" in cases and "Waiting for materials" not in cases
    cases = agent.get("/cases?lang=en").get_data(as_text=True)
    assert "Waiting for materials" in cases and "待补材料" not in cases


def test_the_openapi_document_takes_its_enums_from_the_vocabulary(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    status = schemas["Case"]["properties"]["status"]
    assert status["enum"] == CaseStatus.codes() and status["x-enum-labels"]["zh-CN"][0] == CaseStatus.OPEN.zh
    assert schemas["Event"]["properties"]["type"]["enum"] == EventType.codes()
    assert schemas["Task"]["properties"]["role"]["enum"] == Role.codes()
