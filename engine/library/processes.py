"""The process library: versions of the diagrams in bpmn/, deployed into the database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.settings import BPMN_DIR
from ..kernel.vocabulary import EventType
from ..kernel.xml import parse_xml
from ..runtime.spiff import ProcessSpec, SpecCache, content_hash
from ..store.models import Event, ProcessVersion

SPECS = SpecCache()
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def forms_of(xml: str, forms_dir: Path) -> dict[str, dict]:
    """The JSON Schema forms the diagram's user tasks name, stored with the version."""
    root = parse_xml(xml)
    names = {p.get("value") for p in root.iter(f"{{{SPIFF_NS}}}property") if p.get("name") == "formJsonSchemaFilename"}
    return {n: json.loads((forms_dir / n).read_text(encoding="utf-8")) for n in sorted(names)}


def process_name(xml: str, key: str) -> str:
    for node in parse_xml(xml).iter(f"{{{BPMN_NS}}}process"):
        if node.get("id") == key:
            return node.get("name") or key
    raise ValueError(f"no process {key} in diagram")


def decision_files(bpmn_dir: Path = BPMN_DIR) -> dict[str, str]:
    """The decision tables (DMN) of the library by name: routing.dmn -> {"routing": xml}."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(bpmn_dir.glob("*.dmn"))}


def version_hash(xml: str, forms: dict, decisions: dict, callees: dict | None = None) -> str:
    pinned = json.dumps(callees, sort_keys=True) if callees else ""  # a version calling nothing keeps its hash
    return content_hash(xml + json.dumps(forms, sort_keys=True) + json.dumps(decisions, sort_keys=True) + pinned)


def decision_name(xml: str, key: str) -> str:
    root = parse_xml(xml)
    return root.get("name") or key


def deploy_from_files(session: Session, actor: str = "system", bpmn_dir: Path = BPMN_DIR) -> list[ProcessVersion]:
    """Make each decision table and diagram in bpmn/ live unless its exact content already is.

    A diagram's version pins the decision tables it was deployed with, so a
    running case keeps the routing it started on when analysts edit a table.
    """
    deployed = []
    decisions = decision_files(bpmn_dir)
    for key, xml in decisions.items():
        deployed += _deploy(session, actor, key, "dmn", decision_name(xml, key), xml, {}, {})
    for path in sorted(bpmn_dir.glob("*.bpmn")):
        key = path.stem
        xml = path.read_text(encoding="utf-8")
        forms = forms_of(xml, bpmn_dir / "forms")
        deployed += _deploy(session, actor, key, "bpmn", None, xml, forms, decisions)
    session.flush()
    return deployed


def _deploy(
    session: Session, actor: str, key: str, type_: str, name: str | None, xml: str, forms: dict, decisions: dict
) -> list[ProcessVersion]:
    digest = version_hash(xml, forms, decisions)
    live = live_version(session, key)
    if live is not None and live.hash == digest:
        return []
    if type_ == "bpmn":
        SPECS.get(digest, xml, key, decisions)  # parse now: a broken file fails the deploy, not a case
    number = (session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.key == key)) or 0) + 1
    now = utcnow()
    if live is not None:
        live.status = "retired"
    version = ProcessVersion(
        key=key,
        name=name or process_name(xml, key),
        type=type_,
        version=number,
        xml=xml,
        hash=digest,
        forms=forms,
        decisions=decisions,
        status="live",
        created_at=now,
        deployed_at=now,
        deployed_by=actor,
    )
    session.add(version)
    session.add(
        Event(
            at=now, actor=actor, type=EventType.PROCESS_DEPLOYED, detail={"key": key, "version": number, "hash": digest}
        )
    )
    return [version]


def live_version(session: Session, key: str) -> ProcessVersion | None:
    return session.scalar(select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.status == "live"))


def live_decisions(session: Session) -> dict[str, str]:
    """The live decision tables by name: what a newly saved diagram version pins."""
    rows = session.scalars(select(ProcessVersion).where(ProcessVersion.type == "dmn", ProcessVersion.status == "live"))
    return {v.key: v.xml for v in rows}


def spec_for(version: ProcessVersion) -> ProcessSpec:
    found = SPECS.cached(version.hash)  # the version's content is only loaded to parse it once
    return found or SPECS.get(version.hash, version.xml, version.key, version.decisions, version.callees)


_FORMS: dict[str, dict] = {}


def forms_for(version: ProcessVersion) -> dict:
    """The version's task forms, read once per process (a version's content never changes)."""
    forms = _FORMS.get(version.hash)
    if forms is None:
        forms = _FORMS[version.hash] = version.forms or {}
    return forms
