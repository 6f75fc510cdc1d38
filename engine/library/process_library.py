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
from . import validation
from .processes import SPECS, live_decisions, live_version, version_hash


def require_editor(actor: User) -> None:
    if not any(has_role(actor, r) for r in EDITOR_ROLES):
        raise Forbidden(N_("only analysts and administrators may change the process library"))


def validate(xml: bytes | str, decisions: dict | None = None) -> tuple[list[dict], list[dict], dict]:
    """Check a .bpmn or .dmn file: (processes, errors [{element, message, detail}], forms it uses)."""
    return validation.validate(xml, decisions)


def check_diagram(actor: User, xml: bytes | str) -> tuple[list[dict], list[dict], dict]:
    """The modeler's validate button: only the library's editors may have a diagram parsed."""
    require_editor(actor)
    return validate(xml)


def save_draft(session: Session, actor: User, xml: bytes | str) -> ProcessVersion:
    def act(work: Work) -> ProcessVersion:
        require_editor(actor)
        # A diagram version pins the decision tables live when it is saved (running cases keep their routing).
        decisions = live_decisions(session)
        # A draft needs only to run (test runs); the deployment rules are checked on deploy.
        processes, errors, forms = validation.validate(xml, decisions, runnable_only=True)
        if errors:
            raise Invalid(N_("the diagram is not valid"), {"diagram": errors})
        text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
        key = processes[0]["key"]
        number = (session.scalar(select(func.max(ProcessVersion.version)).where(ProcessVersion.key == key)) or 0) + 1
        kind = processes[0]["type"]
        pinned = decisions if kind == "bpmn" else {}
        version = ProcessVersion(
            key=key,
            name=processes[0]["name"],
            type=kind,
            version=number,
            xml=text,
            hash=version_hash(text, forms, pinned),
            forms=forms,
            decisions=pinned,
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
            problems = validation.validate(version.xml, version.decisions)[1]
            if problems:  # what Daiban cannot run in production, named per element
                raise Invalid(N_("the diagram cannot be deployed"), {"diagram": problems})
            SPECS.get(
                version.hash, version.xml, version.key, version.decisions
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
