"""Commands that open an item and complete its tasks: each supplies its act step to the one
pipeline (engine/cases/pipeline.py), which locks the case, derives the case's facts from its
workflow, records the one event and commits, or answers Conflict with nothing applied."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Conflict, Forbidden, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import EDITOR_ROLES, CaseStatus, EventType, JointMode, Level, UnitKind
from ..library.catalog import current_item
from ..library.process_library import test_village
from ..library.processes import live_version, spec_for
from ..org.access import has_role, may_open_for
from ..org.org import child_with_function, enclosing_unit, unit_by_code
from ..runtime.failures import DiagramFailed
from ..runtime.spiff import new_workflow
from ..runtime.task_properties import CASE_FIELDS
from ..store.calendar import TZ, default_calendar
from ..store.models import Case, OrgUnit, ProcessVersion, User
from . import materials
from .claims import claim_task, unclaim_task  # noqa: F401  (commands live together for callers)
from .forms import task_form, validate_form
from .pipeline import Work, execute
from .rectification import record_agent_rating
from .steps import ready_task
from .test_runs import run_steps
from .visibility import check_open

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def _receipt_code(now: datetime) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
    return "DB" + now.astimezone(TZ).strftime("%y%m%d") + "".join(secrets.choice(alphabet) for _ in range(6))


def _routing_data(session: Session, item, village: OrgUnit, materials_provided: list) -> dict:
    """The case's catalog facts for the routing table, with department functions resolved to
    this case's own units (the county's departments, the township's station)."""
    county = enclosing_unit(session, village, UnitKind.COUNTY)
    township = enclosing_unit(session, village, UnitKind.TOWNSHIP)
    departments = [child_with_function(session, county, (UnitKind.DEPARTMENT,), f) for f in item.departments]
    station = (
        child_with_function(session, township, (UnitKind.STATION,), item.departments[0]) if item.departments else None
    )
    if item.level == Level.COUNTY and (not departments or None in departments):
        raise Invalid(N_("the county has no department for this item"), {"catalog_code": N_("no handling department")})
    if item.level == Level.TOWNSHIP and station is None:
        raise Invalid(N_("the township has no station for this item"), {"catalog_code": N_("no handling station")})
    return {
        "catalog_code": item.code,
        "catalog_kind": item.kind,
        "catalog_level": item.level,
        "catalog_time_limit_days": item.time_limit_days,
        "county_departments": [u.code for u in departments if u is not None],
        "township_station": station.code if station else None,
        # How the joint handling's departments decide (the diagram's completion condition and gateway).
        "joint_mode": item.joint_mode or JointMode.ALL,
        "vote_share": item.vote_share,
        "required_materials": list(item.materials),
        "materials_provided": list(materials_provided),
        # What the process reads before the routing table has run.
        "kind": item.kind,
        "level": item.level,
        "urgent": False,
    }


def _validate_opening(session: Session, actor: User, catalog_code, resident, summary, materials):
    errors: dict[str, str] = {}
    item = current_item(session, catalog_code) if isinstance(catalog_code, str) else None
    if item is None:
        errors["catalog_code"] = N_("unknown catalog item")
    resident = resident if isinstance(resident, dict) else {}
    name = resident.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        errors["resident.name"] = N_("required, at most 100 characters")
    phone = resident.get("phone")
    if not isinstance(phone, str) or not PHONE.match(phone.strip()):
        errors["resident.phone"] = N_("a phone number is required")
    code = resident.get("village")
    village = unit_by_code(session, code) if isinstance(code, str) else None
    if village is None or village.kind != UnitKind.VILLAGE:
        errors["resident.village"] = N_("unknown village")
    if not isinstance(summary, str) or not summary.strip() or len(summary) > 2000:
        errors["summary"] = N_("required, at most 2000 characters")
    if not isinstance(materials, list) or not all(isinstance(m, str) and len(m) <= 200 for m in materials):
        errors["materials_provided"] = N_("a list of material names")
    if errors:
        raise Invalid(N_("the item cannot be opened"), errors)
    assert village is not None  # reported in `errors` when unknown
    if not may_open_for(actor, village):
        raise Forbidden(N_("you may not open items for this village"))
    return item, village, name.strip(), phone.strip()


def open_case(
    session: Session, actor: User, catalog_code, resident, summary, materials_provided=(), now: datetime | None = None
) -> Case:
    now = now or utcnow()
    materials_provided = (
        list(materials_provided) if isinstance(materials_provided, (list, tuple)) else materials_provided
    )
    item, village, name, phone = _validate_opening(session, actor, catalog_code, resident, summary, materials_provided)
    version = live_version(session, item.process_key)
    if version is None:
        raise Conflict(N_("no live process version; deploy the process library first"))
    return _start(
        session,
        actor,
        item,
        village,
        version,
        now,
        {},
        resident_name=name,
        resident_phone=phone,
        summary=summary.strip(),
        materials_provided=materials_provided,
    )


def start_test_run(session: Session, actor: User, version: ProcessVersion, data, now: datetime | None = None) -> Case:
    """An analyst's run of any version (drafts too); never counted in reports, tasks go to the analyst."""
    now = now or utcnow()
    if not any(has_role(actor, r) for r in EDITOR_ROLES):
        raise Forbidden(N_("only analysts and administrators may test-run processes"))
    if not isinstance(data, dict):
        raise Invalid(N_("the test data must be an object"), {"data": N_("must be an object")})
    if version.type != "bpmn":
        raise Invalid(
            N_("only process diagrams can be test-run"), {"version": N_("a decision table runs inside a process")}
        )
    code = data.get("catalog_code", "house-building")
    item = current_item(session, code) if isinstance(code, str) else None
    if item is None:
        raise Invalid(N_("the item cannot be opened"), {"data.catalog_code": N_("unknown catalog item")})
    village = test_village(session, actor, data.get("village"))
    overrides = {k: v for k, v in data.items() if k not in ("catalog_code", "village")}
    return _start(
        session,
        actor,
        item,
        village,
        version,
        now,
        overrides,
        resident_name="测试",
        is_test_run=True,
        resident_phone="00000000000",
        summary="test run",
        materials_provided=[],
    )


def _start(
    session: Session,
    actor: User,
    item,
    village: OrgUnit,
    version: ProcessVersion,
    now: datetime,
    overrides: dict,
    **fields,
) -> Case:
    def act(work: Work) -> Case:
        routing = {**_routing_data(session, item, village, fields["materials_provided"]), **overrides}
        township = enclosing_unit(session, village, UnitKind.TOWNSHIP)
        case = Case(
            receipt_code=_receipt_code(now),
            catalog_item_id=item.id,
            catalog_code=item.code,
            catalog_item=item,
            kind=item.kind,
            status=CaseStatus.OPEN,
            level=Level.VILLAGE,
            village_id=village.id,
            village=village,
            township_id=township.id,
            owner_id=actor.id,
            opened_at=now,
            due_from=now,
            due_days=item.time_limit_days,
            due_at=default_calendar(session).deadline(now, item.time_limit_days),
            process_version_id=version.id,
            process_version=version,
            state="",
            **fields,
        )
        # A test run starts its workflow here, so a failing first script ends the run as failed.
        workflow = new_workflow(spec_for(version), routing, start=not case.is_test_run)
        session.add(case)
        session.flush()  # the case's id, for its rows and its event
        failure = run_steps(work, case, workflow, workflow.do_engine_steps) if case.is_test_run else None
        if failure is None:
            work.settle(case, workflow)
        else:
            failures.append(failure)
        outcome: dict[str, Any] = {"status": case.status, "failed": failure.as_dict()} if failure else {}
        work.event(
            EventType.TEST_RUN_STARTED if case.is_test_run else EventType.CASE_OPENED,
            case,
            catalog_code=item.code,
            receipt_code=case.receipt_code,
            process=version.key,
            version=version.version,
            **outcome,
        )
        return case

    failures: list[DiagramFailed] = []
    case = execute(session, actor, act, now)
    if failures:  # the test run is recorded as failed; the analyst is told which element failed
        raise failures[0]
    return case


def complete_task(session: Session, actor: User, task_id: str, data, now: datetime | None = None) -> Case:
    def act(work: Work) -> Case:
        row = check_open(session, actor, work.task(task_id))
        work.may("complete", row=row)
        if row.assignee_id is not None and row.assignee_id != actor.id:
            raise Conflict(N_("this task is claimed by someone else"))
        case = row.case
        valid = validate_form(task_form(row), data)
        workflow = work.workflow(case)
        task = ready_task(workflow, row)
        props = task.task_spec.extensions.get("properties", {})
        stamped = {**valid, "by": actor.username, "unit": row.org_unit.code, "at": work.now.isoformat()}
        if props.get("result_variable"):
            task.data[props["result_variable"]] = stamped
        else:
            task.data.update(valid)
        if props.get("materials_check"):
            materials.check_acceptance(case, props["materials_check"].strip(), valid, work.now)
        if props.get("supplies_materials"):
            materials.supply(case, props["supplies_materials"].strip(), valid, task.data)
        if props.get("return_flag"):  # done, not returned (the flag may be left from an earlier return)
            task.data[props["return_flag"]] = False

        def steps() -> None:
            task.run()
            workflow.do_engine_steps()

        # A failing script or condition is the diagram's fault: 422 naming the element, nothing
        # changed (a test run ends as failed, the failure recorded with its step).
        failure = run_steps(work, case, workflow, steps)
        if failure is not None:
            failures.append(failure)
            work.event(
                EventType.TASK_COMPLETED,
                case,
                task_id=row.id,
                task=row.spec_name,
                name=row.name,
                unit=row.org_unit.code,
                data=valid,
                status=case.status,
                failed=failure.as_dict(),
            )
            return case
        rectification = None
        for name in (f.strip() for f in (props.get("case_fields") or "").split(",")):
            if name in CASE_FIELDS and name in valid:
                if name == "rating":
                    rectification = record_agent_rating(work, case, valid)
                else:
                    setattr(case, name, valid[name])
        facts = work.settle(case, workflow, completed=(row.id, actor.id), open_rows=work.open_rows[case.id])
        extra: dict[str, Any] = {"status": case.status} if facts.status_changed else {}
        if facts.notice:
            extra["notice"] = facts.notice
        if facts.cancelled_rows:  # 或签: the first answer withdrew the other departments' parts
            extra["withdrawn"] = [
                {"task_id": r.id, "name": r.name, "unit": r.org_unit.code} for r in facts.cancelled_rows
            ]
        if rectification is not None:
            extra["rectification"] = rectification.id
        work.event(
            EventType.TASK_COMPLETED,
            case,
            task_id=row.id,
            task=row.spec_name,
            name=row.name,
            unit=row.org_unit.code,
            data=valid,
            next=[r.name for r in facts.new_rows],
            due={r.spec_name: r.due_at.isoformat() for r in facts.new_rows if r.due_at},
            **extra,
        )
        return case

    failures: list[DiagramFailed] = []
    case = execute(session, actor, act, now)
    if failures:
        raise failures[0]
    return case
