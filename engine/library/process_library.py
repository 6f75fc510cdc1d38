"""The process library for analysts: validate, save drafts, deploy, test-run any version."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.errors import Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import CASE_ENDED, EDITOR_ROLES, EventType, UnitKind
from ..kernel.xml import parse_xml
from ..org.access import has_role
from ..org.roles import roles
from ..runtime.task_properties import (
    CASE_DEADLINES,
    CASE_FIELDS,
    CASE_STATUSES,
    CASE_UNITS,
    DEADLINE_KINDS,
    form_library,
)
from ..store.models import Case, OrgUnit, ProcessVersion, User
from ..store.paging import parse_id
from ..store.unit_of_work import Work, execute
from . import callees, validation
from .processes import SPECS, live_decisions, live_version, version_hash


def require_editor(actor: User) -> None:
    if not any(has_role(actor, r) for r in EDITOR_ROLES):
        raise Forbidden(N_("only analysts and administrators may change the process library"))


def validate(xml: bytes | str, decisions: dict | None = None) -> tuple[list[dict], list[dict], dict]:
    """Check a .bpmn or .dmn file: (processes, errors [{element, message, detail}], forms it uses)."""
    return validation.validate(xml, decisions)


def _library_callees(session: Session, xml: bytes | str, prefer_draft: bool) -> tuple[dict, list[dict]] | None:
    """The processes a BPMN diagram calls from the library (see engine.library.callees), None for
    a file that is no BPMN (validation says what it is)."""
    try:
        root = parse_xml(xml)
    except Exception:  # validation names the broken file
        return None
    if root.tag != f"{{{validation.BPMN_NS}}}definitions":
        return None
    return callees.resolve(session, root, prefer_draft)


def check_diagram(actor: User, xml: bytes | str, session: Session | None = None) -> tuple[list[dict], list[dict], dict]:
    """The modeler's validate button: only the library's editors may have a diagram parsed. With the
    library (`session`), call activities may call its processes (drafts first, as a test run would)."""
    require_editor(actor)
    found = _library_callees(session, xml, prefer_draft=True) if session is not None else None
    return validation.validate(xml, live_decisions(session) if session is not None else None, callees=found)


def deploy_problems(session: Session, actor: User, version: ProcessVersion) -> list[dict]:
    """What deploying the version would refuse, per element (none for a decision table): shown when
    a draft is saved, which is not refused for them."""
    require_editor(actor)
    if version.type != "bpmn":
        return []
    found = _library_callees(session, version.xml, prefer_draft=False)
    return validation.validate(version.xml, version.decisions, callees=found)[1]


def save_draft(session: Session, actor: User, xml: bytes | str) -> ProcessVersion:
    def act(work: Work) -> ProcessVersion:
        require_editor(actor)
        # A diagram version pins the decision tables live when it is saved (running cases keep their routing).
        decisions = live_decisions(session)
        # A draft needs only to run (test runs); the deployment rules are checked on deploy. Its call
        # activities call the library's processes: their drafts if they have one, else the live versions.
        called = _library_callees(session, xml, prefer_draft=True)
        processes, errors, forms = validation.validate(xml, decisions, runnable_only=True, callees=called)
        if errors:
            raise Invalid(N_("the diagram is not valid"), {"diagram": errors})
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        key = processes[0]["key"]
        number = (session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.key == key)) or 0) + 1
        kind = processes[0]["type"]
        pinned = decisions if kind == "bpmn" else {}
        pinned_callees = called[0] if called and kind == "bpmn" else {}
        version = ProcessVersion(
            key=key,
            name=processes[0]["name"],
            type=kind,
            version=number,
            xml=text,
            hash=version_hash(text, forms, pinned, pinned_callees),
            forms=forms,
            decisions=pinned,
            callees=pinned_callees,
            status="draft",
            created_at=work.now,
        )
        session.add(version)
        session.flush()
        work.event(EventType.PROCESS_DRAFT_SAVED, None, key=key, version=number)
        return version

    return execute(session, actor, act)


def get_version(session: Session, key: str, number) -> ProcessVersion:
    number = parse_id(number)
    if number is None or number > 2**31 - 1:
        raise NotFound(N_("no such process version"))
    version = session.scalar(select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == number))
    if version is None:
        raise NotFound(N_("no such process version"))
    return version


def deploy(session: Session, actor: User, key: str, number) -> ProcessVersion:
    def act(work: Work) -> ProcessVersion:
        require_editor(actor)
        version = get_version(session, key, number)
        if version.type == "bpmn":
            # In production a call activity calls the callee's live version.
            called = _library_callees(session, version.xml, prefer_draft=False)
            problems = validation.validate(version.xml, version.decisions, callees=called)[1]
            if problems:  # what Daiban cannot run in production, named per element
                raise Invalid(N_("the diagram cannot be deployed"), {"diagram": problems})
            live_callees = called[0] if called else {}
            if live_callees != (version.callees or {}):  # the drafts it was tried with were not deployed as such
                version.callees = live_callees
                version.hash = version_hash(version.xml, version.forms or {}, version.decisions or {}, live_callees)
            SPECS.get(
                version.hash, version.xml, version.key, version.decisions, version.callees
            )  # parse now: a broken diagram fails here, not a case
        elif validation.validate(version.xml)[1]:
            raise Invalid(N_("the diagram is not valid"))
        live = live_version(session, key)
        if live is not None and live.id != version.id:
            live.status = "retired"
        version.status, version.deployed_at, version.deployed_by = "live", work.now, actor.username
        work.event(EventType.PROCESS_DEPLOYED, None, key=key, version=version.version, hash=version.hash)
        return version

    return execute(session, actor, act)


def editor_library(session: Session, actor: User) -> list[dict]:
    """The library as the analyst's workbench shows it (analysts and administrators only)."""
    require_editor(actor)
    return library(session)


def editor_version(session: Session, actor: User, key: str, number) -> ProcessVersion:
    require_editor(actor)
    return get_version(session, key, number)


def modeler_choices(session: Session, actor: User) -> dict:
    """What the modeler offers for the properties the engine reads: the form library, the live decision
    tables (what a saved draft pins), the roles lanes stand for and the values validation accepts."""
    require_editor(actor)
    decisions = []
    for xml in live_decisions(session).values():
        for node in parse_xml(xml).iter("{*}decision"):
            decisions.append({"id": node.get("id"), "name": node.get("name") or node.get("id")})
    return {
        "forms": form_library(),
        "decisions": sorted(decisions, key=lambda d: d["id"]),
        "roles": [{"code": r.code, "name": r.name, "name_en": r.name_en} for r in roles().values()],
        "statuses": list(CASE_STATUSES),
        "case_fields": list(CASE_FIELDS),
        "case_units": list(CASE_UNITS),
        "deadline_kinds": list(DEADLINE_KINDS),
        "case_deadlines": list(CASE_DEADLINES),
    }


def library(session: Session) -> list[dict]:
    running = dict(
        session.execute(
            select(Case.process_version_id, func.count())
            .where(Case.status.not_in(CASE_ENDED), Case.is_test_run.is_(False))
            .group_by(Case.process_version_id)
        ).all()
    )
    result: dict[str, dict] = {}
    for v in session.scalars(select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version)):
        entry = result.setdefault(
            v.key, {"key": v.key, "name": v.name, "type": v.type, "live_version": None, "versions": []}
        )
        if v.status == "live":
            entry["live_version"], entry["name"] = v.version, v.name
        entry["versions"].append(
            {
                "version": v.version,
                "hash": v.hash,
                "status": v.status,
                "deployed_at": v.deployed_at,
                "deployed_by": v.deployed_by,
                "running_cases": running.get(v.id, 0),
            }
        )
    return list(result.values())


def test_village(session: Session, actor: User, code: str | None) -> OrgUnit:
    """The village a test run pretends to come from: the one asked for, else the first of the county."""
    if code is not None and not isinstance(code, str):
        raise Invalid(N_("no village for the test run"), {"data.village": N_("a village code")})
    query = select(OrgUnit).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.active.is_(True))
    if code:
        query = query.where(OrgUnit.code == code)
    paths = [a.org_unit.path for a in actor.roles]
    for village in session.scalars(query.order_by(OrgUnit.path)):
        if any(village.path.startswith(p) for p in paths):
            return village
    raise Invalid(N_("no village for the test run"), {"data.village": N_("unknown village")})
