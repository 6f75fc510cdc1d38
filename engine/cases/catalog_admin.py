"""Changing the catalog: an item's change is a new version at once; a new item needs a leader's
approval (准入审批), run as the catalog_approval BPMN process. Open cases keep their version."""

from __future__ import annotations

import math
import re
from datetime import datetime

from SpiffWorkflow.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import CATALOG_APPROVER_ROLES, EventType, JointMode, Level, NotificationKind, UnitKind
from ..library.catalog import FIELDS, KINDS, LEVELS, categories, current_item
from ..library.processes import live_version, spec_for
from ..org.access import has_role
from ..org.admin_scope import clean_text, require_admin
from ..runtime.failures import running
from ..runtime.spiff import dump_state, find_task, load_state, new_workflow, ready_user_tasks
from ..store.admin_tables import CatalogProposal
from ..store.models import CatalogItem, OrgUnit, User
from ..store.paging import parse_id
from .forms import validate_form
from .notices import role_holders
from .pipeline import Work, execute

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
APPROVAL = "catalog_approval"


def _lines(value) -> list | None:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\n,，、;；]+", value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return [v.strip() for v in value if v.strip()]


def check_fields(session: Session, body: dict, base: dict | None = None) -> tuple[dict, dict]:
    """Item fields from `body` over `base` (the current version); returns (values, errors)."""
    values = {**(base or {}), **{f: body[f] for f in FIELDS if f in body}}
    errors: dict[str, str] = {}
    if clean_text(values.get("name"), 200) is None:
        errors["name"] = N_("required, at most 200 characters")
    if values.get("name_en") and clean_text(values.get("name_en"), 200) is None:
        errors["name_en"] = N_("at most 200 characters")
    if not isinstance(values.get("category"), str) or values["category"] not in categories():
        errors["category"] = N_("not one of the allowed values")
    if not isinstance(values.get("kind"), str) or values["kind"] not in KINDS:
        errors["kind"] = N_("not one of the allowed values")
    if not isinstance(values.get("level"), str) or values["level"] not in LEVELS:
        errors["level"] = N_("not one of the allowed values")
    departments = _lines(values.get("departments", []))
    materials = _lines(values.get("materials", []))
    if departments is None:
        errors["departments"] = N_("a list of department functions")
    elif values.get("level") in (Level.TOWNSHIP, Level.COUNTY):
        kind = UnitKind.STATION if values["level"] == Level.TOWNSHIP else UnitKind.DEPARTMENT
        known = set(session.scalars(select(OrgUnit.function).where(OrgUnit.kind == kind, OrgUnit.active.is_(True))))
        if not departments or any(d not in known for d in departments):
            errors["departments"] = N_("functions of existing departments or stations, the lead first")
    if materials is None or any(len(m) > 200 for m in materials):
        errors["materials"] = N_("a list of material names")
    raw_days = values.get("time_limit_days")
    try:
        if not isinstance(raw_days, int | str):  # int() of anything else never reads back as the same text
            raise TypeError
        days = int(raw_days)
        if not 0 <= days <= 365 or str(days) != str(raw_days).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors["time_limit_days"] = N_("whole working days, 0 to 365")
        days = None
    try:
        fee = float(values.get("fee") or 0)
        if not math.isfinite(fee) or not 0 <= fee <= 1_000_000:  # NaN passes every comparison: test it first
            raise ValueError
    except (TypeError, ValueError):
        errors["fee"] = N_("an amount of at least 0")
        fee = None
    joint_mode, vote_share = _joint_signing(values, errors)
    clean = {
        "name": clean_text(values.get("name"), 200),
        "name_en": clean_text(values.get("name_en"), 200),
        "category": values.get("category"),
        "kind": values.get("kind"),
        "level": values.get("level"),
        "departments": departments,
        "time_limit_days": days,
        "materials": materials,
        "fee": fee,
        "fee_note": clean_text(values.get("fee_note"), 300),
        "joint_mode": joint_mode,
        "vote_share": vote_share,
    }
    return clean, errors


def _joint_signing(values: dict, errors: dict) -> tuple[str | None, float | None]:
    """(joint_mode, vote_share): how the departments decide; a vote needs the share that must agree
    (more than 0, at most 1, e.g. 0.5 or 2/3 as 0.67); the other modes have none."""
    mode = values.get("joint_mode") or JointMode.ALL
    if mode not in JointMode.codes():
        errors["joint_mode"] = N_("not one of the allowed values")
        return None, None
    raw = values.get("vote_share")
    if mode != JointMode.VOTE:
        return mode, None
    try:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise TypeError
        share = float(raw)
        if not math.isfinite(share) or not 0 < share <= 1:
            raise ValueError
    except (TypeError, ValueError):
        errors["vote_share"] = N_("a vote needs the share of departments that must agree: more than 0, at most 1")
        return mode, None
    return mode, share


def item_fields(item: CatalogItem) -> dict:
    return {f: getattr(item, f) for f in FIELDS}


def change_item(session: Session, actor: User, code, body: dict, now: datetime | None = None) -> CatalogItem:
    """A new version of an existing item, live for new cases at once; open cases keep theirs."""

    def act(work: Work) -> CatalogItem:
        require_admin(actor)
        current = current_item(session, code) if isinstance(code, str) else None
        if current is None:
            raise NotFound(N_("no such catalog item"))
        values, errors = check_fields(session, body, item_fields(current))
        if errors:
            raise Invalid(N_("the item cannot be changed"), errors)
        changed = {f: values[f] for f in FIELDS if values[f] != getattr(current, f)}
        if not changed:
            raise Invalid(N_("nothing was changed"), {"name": N_("nothing was changed")})
        current.active = False
        item = CatalogItem(
            code=current.code,
            version=current.version + 1,
            active=True,
            origin="admin",
            process_key=current.process_key,
            **values,
        )
        session.add(item)
        session.flush()
        work.event(EventType.CATALOG_ITEM_CHANGED, None, code=item.code, version=item.version, changed=sorted(changed))
        return item

    return execute(session, actor, act, now)


def item_versions(session: Session, actor: User, code) -> list[CatalogItem]:
    require_admin(actor)
    items = list(session.scalars(select(CatalogItem).where(CatalogItem.code == code).order_by(CatalogItem.version)))
    if not items:
        raise NotFound(N_("no such catalog item"))
    return items


def propose_item(session: Session, actor: User, body: dict, now: datetime | None = None) -> CatalogProposal:
    """Start the approval process for a new item; nothing enters the catalog until a leader approves."""

    def act(work: Work) -> CatalogProposal:
        require_admin(actor)
        code = body.get("code")
        values, errors = check_fields(session, body)
        if not isinstance(code, str) or not CODE.match(code):
            errors["code"] = N_("lower-case letters, digits and dashes")
        elif session.scalar(select(CatalogItem.id).where(CatalogItem.code == code).limit(1)) is not None:
            errors["code"] = N_("already taken")
        elif (
            session.scalar(
                select(CatalogProposal.id).where(CatalogProposal.code == code, CatalogProposal.status == "pending")
            )
            is not None
        ):
            errors["code"] = N_("already proposed and waiting for approval")
        if errors:
            raise Invalid(N_("the item cannot be proposed"), errors)
        version = live_version(session, APPROVAL)
        if version is None:
            raise Conflict(N_("no live process version; deploy the process library first"))
        workflow = new_workflow(
            spec_for(version), {"code": code, "name": values["name"], "proposed_by": actor.username}
        )
        proposal = CatalogProposal(
            code=code,
            fields=values,
            status="pending",
            process_version_id=version.id,
            process_version=version,
            proposed_by_id=actor.id,
            proposed_at=work.now,
            state="",
        )
        _advance(proposal, workflow)
        session.add(proposal)
        session.flush()
        work.event(EventType.CATALOG_ITEM_PROPOSED, None, proposal=proposal.id, code=code, name=values["name"])
        _tell_approvers(work, proposal)
        return proposal

    return execute(session, actor, act, now)


def _advance(proposal: CatalogProposal, workflow) -> None:
    """Store the workflow and note its open task (the leader's review), if any."""
    proposal.state = dump_state(workflow)
    ready = ready_user_tasks(workflow)
    task = ready[0] if ready else None
    proposal.task_id = task.id if task else None
    proposal.task_name = task.name if task else None
    proposal.lane = task.lane if task else None
    proposal.form = task.properties.get("formJsonSchemaFilename") if task else None


def get_proposal(session: Session, actor: User, proposal_id) -> CatalogProposal:
    if not any(has_role(actor, r) for r in CATALOG_APPROVER_ROLES):
        raise Forbidden(N_("only administrators and leaders see catalog proposals"))
    number = parse_id(proposal_id)  # a number beyond BIGINT is no id, not an overflow
    proposal = session.get(CatalogProposal, number) if number else None
    if proposal is None:
        raise NotFound(N_("no such proposal"))
    return proposal


def list_proposals(session: Session, actor: User, status: str | None = None) -> list[CatalogProposal]:
    if not any(has_role(actor, r) for r in CATALOG_APPROVER_ROLES):
        raise Forbidden(N_("only administrators and leaders see catalog proposals"))
    query = select(CatalogProposal).order_by(CatalogProposal.proposed_at.desc(), CatalogProposal.id.desc())
    if status:
        query = query.where(CatalogProposal.status == status)
    return list(session.scalars(query.limit(200)))


def decide(session: Session, actor: User, proposal_id, data, now: datetime | None = None) -> CatalogProposal:
    """Complete the proposal's open task; when the process ends at `item_approved`, the item goes live.

    The proposal's own SpiffWorkflow (not a case's) runs inside the act step, so the task's
    completion, the new catalog version and the event commit together or not at all."""

    def act(work: Work) -> CatalogProposal:
        proposal = get_proposal(session, actor, proposal_id)
        if proposal.status != "pending" or proposal.task_id is None:
            raise Conflict(N_("this proposal has already been decided"))
        if proposal.lane is None or not has_role(actor, proposal.lane):
            raise Forbidden(N_("this task belongs to another role or unit"))
        if proposal.proposed_by_id == actor.id:
            raise Forbidden(N_("a proposal is approved by someone other than its proposer"))
        version = proposal.process_version
        answers = validate_form((version.forms or {}).get(proposal.form), data)
        workflow = load_state(proposal.state, spec_for(version))
        task = find_task(workflow, proposal.task_id)
        if task is None or task.state != TaskState.READY:
            raise Conflict(N_("this task is no longer open"))
        task.data.update(answers)
        with running():  # an analyst's broken approval diagram is a 422 naming its element, not a 500
            task.run()
            workflow.do_engine_steps()
        _advance(proposal, workflow)
        event = EventType.CATALOG_PROPOSAL_REVIEWED
        if workflow.is_completed():
            approved = any(
                t.task_spec.bpmn_id == "item_approved" for t in workflow.get_tasks(state=TaskState.COMPLETED)
            )
            proposal.status = "approved" if approved else "rejected"
            proposal.decided_by_id, proposal.decided_at = actor.id, work.now
            proposal.opinion = answers.get("opinion")
            if approved:
                number = session.scalar(select(func.max(CatalogItem.version)).where(CatalogItem.code == proposal.code))
                item = CatalogItem(
                    code=proposal.code, version=(number or 0) + 1, active=True, origin="admin", **proposal.fields
                )
                session.add(item)
                session.flush()
                proposal.catalog_item_id = item.id
            event = EventType.CATALOG_ITEM_APPROVED if approved else EventType.CATALOG_ITEM_REJECTED
        work.event(event, None, proposal=proposal.id, code=proposal.code, opinion=answers.get("opinion"))
        if proposal.status == "pending":
            _tell_approvers(work, proposal)
        return proposal

    return execute(session, actor, act, now)


def _tell_approvers(work: Work, proposal: CatalogProposal) -> None:
    """An approval is waiting: everyone holding the role of the proposal's open review is told."""
    work.notify(
        role_holders(work.session, proposal.lane),
        NotificationKind.APPROVAL_WAITING,
        name=proposal.task_name,
        item=proposal.fields.get("name"),
        proposal=proposal.id,
    )
