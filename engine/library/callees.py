"""Call activities across the library: which processes a diagram calls from other files, and the
versions it pins for them.

A diagram version pins the BPMN of the processes it calls, as it pins its decision tables, so a
running case keeps the callee it started with. A saved draft (what test runs run) pins each
callee's newest draft if it has one, else its live version; deploying pins the live versions.
Calls are followed through the callees' own files (nested calls).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.i18n import N_
from ..kernel.xml import parse_xml
from ..store.models import ProcessVersion
from .processes import BPMN_NS

MISSING = N_("the called process is not in the library")


def defined(root) -> set[str]:
    return {p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process")}


def calls(root) -> list[tuple[str, str]]:
    """(call activity id, called process id) of each call activity, in document order."""
    return [
        (call.get("id") or "", (call.get("calledElement") or "").strip())
        for call in root.iter(f"{{{BPMN_NS}}}callActivity")
    ]


def _callee_version(session: Session, key: str, prefer_draft: bool) -> ProcessVersion | None:
    versions = session.scalars(
        select(ProcessVersion)
        .where(ProcessVersion.key == key, ProcessVersion.type == "bpmn", ProcessVersion.status != "retired")
        .order_by(ProcessVersion.version.desc())
    ).all()
    live = next((v for v in versions if v.status == "live"), None)
    if prefer_draft and versions and versions[0].status == "draft":
        return versions[0]  # newer than the live one: the draft being worked on
    return live


def resolve(session: Session, root, prefer_draft: bool) -> tuple[dict[str, str], list[dict]]:
    """The callees' XML by process id for `root`'s calls to other files, and a problem per call
    activity whose callee (or a callee of its callee) is not in the library."""
    pinned: dict[str, str] = {}
    problems: list[dict] = []
    known = defined(root)
    # Each pending call remembers the call activity of `root` it is reached from: the element to name.
    pending = [(element, callee, element) for element, callee in calls(root)]
    while pending:
        element, callee, origin = pending.pop(0)
        if callee in known:
            continue
        version = _callee_version(session, callee, prefer_draft) if callee else None
        if version is None:
            detail = callee if origin == element else f"{callee} ({element})"
            problems.append({"element": origin, "message": MISSING, "detail": detail})
            known.add(callee)  # named once
            continue
        callee_root = parse_xml(version.xml)
        pinned[callee] = version.xml
        known |= defined(callee_root)
        pending += [(inner, called, origin) for inner, called in calls(callee_root)]
    return pinned, problems
