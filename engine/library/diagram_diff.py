"""What changed between two versions of a diagram: elements added, removed and changed, by id.

An element is anything in the model with an `id` (tasks, gateways, flows,
lanes, DMN rules and cells); its content is its attributes plus the id-less
children it holds (conditions, scripts, form properties, lane members), so a
changed condition or form shows up on the flow or task that owns it. Layout
(BPMN/DMN DI) is not a change of the process.
"""

from __future__ import annotations

from lxml import etree
from sqlalchemy.orm import Session

from ..kernel.xml import parse_xml
from ..store.models import User
from .process_library import editor_version

LAYOUT_NAMESPACES = ("/DI/", "/DD/", "/DMNDI/", "/DC/")


def _is_layout(node) -> bool:
    namespace = etree.QName(node).namespace or ""
    return any(part in namespace for part in LAYOUT_NAMESPACES)


def _content(node, facts: dict[str, list[str]], prefix: str = "") -> None:
    for child in node:
        if not isinstance(child.tag, str) or child.get("id") is not None or _is_layout(child):
            continue
        key = prefix + etree.QName(child).localname
        if child.get("name") and child.get("value") is not None:  # spiffworkflow:property name="..." value="..."
            key += ":" + child.get("name")
        value = " ".join(f"{k}={v}" for k, v in sorted(child.attrib.items()))
        text = (child.text or "").strip()
        facts.setdefault(key, []).append((value + " " + text).strip())
        _content(child, facts, key + "/")


def elements(xml: str) -> dict[str, dict]:
    """id -> {type, name, facts} for every model element of a diagram."""
    root = parse_xml(xml)
    found = {}
    for node in root.iter():
        if node is root or not isinstance(node.tag, str) or node.get("id") is None or _is_layout(node):
            continue
        facts = {f"@{k}": [v] for k, v in node.attrib.items() if k not in ("id",)}
        _content(node, facts)
        found[node.get("id")] = {
            "type": etree.QName(node).localname,
            "name": node.get("name") or node.get("label"),
            "facts": {k: sorted(v) for k, v in facts.items()},
        }
    return found


def diff_xml(old: str, new: str) -> dict:
    before, after = elements(old), elements(new)

    def brief(element_id: str, element: dict) -> dict:
        return {"id": element_id, "type": element["type"], "name": element["name"]}

    changed = []
    for element_id in sorted(before.keys() & after.keys()):
        a, b = before[element_id]["facts"], after[element_id]["facts"]
        fields = sorted(k.lstrip("@") for k in a.keys() | b.keys() if a.get(k) != b.get(k))
        if fields:
            changed.append(
                {**brief(element_id, after[element_id]), "old_name": before[element_id]["name"], "fields": fields}
            )
    return {
        "added": [brief(i, after[i]) for i in sorted(after.keys() - before.keys())],
        "removed": [brief(i, before[i]) for i in sorted(before.keys() - after.keys())],
        "changed": changed,
    }


def diff_versions(session: Session, actor: User, key: str, old, new) -> dict:
    """The diff between two versions of one process or decision table (analysts and administrators)."""
    first = editor_version(session, actor, key, old)
    second = editor_version(session, actor, key, new)
    return {"key": key, "from": first.version, "to": second.version, **diff_xml(first.xml, second.xml)}
