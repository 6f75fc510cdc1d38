"""Administering the org tree: create, rename, move and retire units (history is never deleted)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import Session

from ..kernel.errors import Conflict, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import CASE_FINISHED, EventType, TaskState, UnitKind
from ..store.db import rowcount
from ..store.models import Case, OrgUnit, TaskRow, User
from ..store.paging import Page, clamp_page
from ..store.unit_of_work import Work, execute
from .admin_scope import clean_text, require_admin, scope_condition, unit_in_scope
from .org import KINDS

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# Where each kind of unit may hang in the tree (a county is set up by the operator, not here).
PARENT_KINDS: dict[str, tuple[str, ...]] = {
    UnitKind.COUNTY: (),
    UnitKind.TOWNSHIP: (UnitKind.COUNTY,),
    UnitKind.VILLAGE: (UnitKind.TOWNSHIP,),
    UnitKind.GROUP: (UnitKind.VILLAGE,),
    UnitKind.DEPARTMENT: (UnitKind.COUNTY,),
    UnitKind.STATION: (UnitKind.TOWNSHIP,),
    UnitKind.WINDOW: (UnitKind.COUNTY,),
}


def unit_dict(unit: OrgUnit, parents: dict[int, str] | None = None) -> dict:
    parent = (parents or {}).get(unit.parent_id) if unit.parent_id else None
    if parent is None and unit.parent is not None:
        parent = unit.parent.code
    return {
        "code": unit.code,
        "name": unit.name,
        "name_en": unit.name_en,
        "kind": unit.kind,
        "function": unit.function,
        "parent": parent,
        "path": unit.path,
        "active": unit.active,
        "depth": unit.path.count("/") - 2,
    }


def list_units(session: Session, actor: User, page=1, per_page=100, include_retired: bool = True) -> Page:
    paths = require_admin(actor)
    page, per_page = clamp_page(page, per_page, default=100)
    query = select(OrgUnit).where(scope_condition(paths))
    if not include_retired:
        query = query.where(OrgUnit.active.is_(True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(session.scalars(query.order_by(OrgUnit.path).limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def _names(body: dict, errors: dict) -> tuple[str | None, str | None]:
    name = clean_text(body.get("name"), 200)
    if name is None:
        errors["name"] = N_("required, at most 200 characters")
    name_en = body.get("name_en") or None
    if name_en is not None and clean_text(name_en, 200) is None:
        errors["name_en"] = N_("at most 200 characters")
    return name, clean_text(name_en, 200)


def _check_parent(kind: str, parent: OrgUnit, errors: dict) -> None:
    if parent.kind not in PARENT_KINDS.get(kind, ()):
        errors["parent"] = N_("this kind of unit cannot be placed under that unit")
    elif not parent.active:
        errors["parent"] = N_("the unit is retired")


def create_unit(session: Session, actor: User, body: dict, now: datetime | None = None) -> OrgUnit:
    def act(work: Work) -> OrgUnit:
        paths = require_admin(actor)
        errors: dict[str, str] = {}
        raw_code = body.get("code")
        code = raw_code.strip().lower() if isinstance(raw_code, str) else None
        if not code or not CODE.match(code):
            errors["code"] = N_("lower-case letters, digits and dashes")
        elif session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)) is not None:
            errors["code"] = N_("already taken")
        kind = body.get("kind")
        if kind not in KINDS:
            errors["kind"] = N_("not one of the allowed values")
        name, name_en = _names(body, errors)
        function = body.get("function") or None
        if function is not None and (not isinstance(function, str) or not CODE.match(function.replace("_", "-"))):
            errors["function"] = N_("lower-case letters, digits and underscores")
        try:
            parent = unit_in_scope(session, paths, body.get("parent"), "parent")
        except NotFound:
            parent, errors["parent"] = None, N_("unknown unit")
        if kind in KINDS and parent is not None:
            _check_parent(kind, parent, errors)
        if errors:
            raise Invalid(N_("the unit cannot be created"), errors)
        assert code is not None and parent is not None  # each one missing was reported in `errors`
        unit = OrgUnit(
            code=code,
            name=name,
            name_en=name_en,
            kind=kind,
            function=function,
            parent=parent,
            path=parent.path + code + "/",
            active=True,
        )
        session.add(unit)
        session.flush()
        work.event(EventType.UNIT_CREATED, None, unit=code, kind=kind, parent=parent.code, name=name)
        return unit

    return execute(session, actor, act, now)


def rename_unit(session: Session, actor: User, code, body: dict, now: datetime | None = None) -> OrgUnit:
    def act(work: Work) -> OrgUnit:
        unit = unit_in_scope(session, require_admin(actor), code)
        errors: dict[str, str] = {}
        name, name_en = _names(body, errors)
        if errors:
            raise Invalid(N_("the unit cannot be renamed"), errors)
        assert name is not None  # `_names` reported it missing
        old = {"name": unit.name, "name_en": unit.name_en}
        unit.name, unit.name_en = name, name_en
        work.event(EventType.UNIT_RENAMED, None, unit=unit.code, old=old, new={"name": name, "name_en": name_en})
        return unit

    return execute(session, actor, act, now)


def move_unit(session: Session, actor: User, code, parent_code, now: datetime | None = None) -> OrgUnit:
    """Hang the unit under another parent; the whole subtree's paths change in this one transaction."""

    def act(work: Work) -> OrgUnit:
        paths = require_admin(actor)
        unit = unit_in_scope(session, paths, code)
        parent = unit_in_scope(session, paths, parent_code, "parent")
        errors: dict[str, str] = {}
        if parent.path.startswith(unit.path):
            errors["parent"] = N_("a unit cannot move into its own subtree")
        elif parent.id == unit.parent_id:
            errors["parent"] = N_("the unit is already there")
        else:
            _check_parent(unit.kind, parent, errors)
        if errors:
            raise Invalid(N_("the unit cannot be moved"), errors)
        if unit.parent is None:  # a root (the county): `_check_parent` already refuses any parent for a county
            raise Invalid(
                N_("the unit cannot be moved"), {"parent": N_("this kind of unit cannot be placed under that unit")}
            )
        old_parent, old_path, new_path = unit.parent.code, unit.path, parent.path + unit.code + "/"
        moved = rowcount(
            session.execute(
                update(OrgUnit)
                .where(OrgUnit.path.startswith(old_path))
                .values(path=literal(new_path).concat(func.substr(OrgUnit.path, len(old_path) + 1)))
                .execution_options(synchronize_session=False)
            )
        )
        session.execute(
            update(OrgUnit)
            .where(OrgUnit.id == unit.id)
            .values(parent_id=parent.id)
            .execution_options(synchronize_session=False)
        )
        if unit.kind == UnitKind.VILLAGE:
            # Cases carry their township for quick lookups; keep it true to the tree.
            session.execute(
                update(Case)
                .where(Case.village_id == unit.id)
                .values(township_id=parent.id)
                .execution_options(synchronize_session=False)
            )
        session.expire_all()
        work.event(EventType.UNIT_MOVED, None, unit=code, old_parent=old_parent, new_parent=parent.code, units=moved)
        moved_unit = session.get(OrgUnit, unit.id)
        assert moved_unit is not None  # updated in this very transaction
        return moved_unit

    return execute(session, actor, act, now)


def open_items(session: Session, unit: OrgUnit) -> list[Case]:
    """Open cases of the unit's subtree, or held there by an open task: they must move before it retires."""
    subtree = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path)).scalar_subquery()
    held = select(TaskRow.case_id).where(TaskRow.state == TaskState.READY, TaskRow.org_unit_id.in_(subtree))
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.status.not_in(CASE_FINISHED),
                Case.is_test_run.is_(False),
                or_(Case.village_id.in_(subtree), Case.org_unit_id.in_(subtree), Case.id.in_(held)),
            )
            .order_by(Case.opened_at)
            .limit(200)
        )
    )


def retire_unit(session: Session, actor: User, code, now: datetime | None = None) -> OrgUnit:
    def act(work: Work) -> OrgUnit:
        unit = unit_in_scope(session, require_admin(actor), code)
        if not unit.active:
            raise Conflict(N_("the unit is retired"))
        if unit.parent_id is None:
            raise Invalid(
                N_("the county itself cannot be retired"), {"unit": N_("the county itself cannot be retired")}
            )
        children = list(
            session.scalars(select(OrgUnit.code).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True)))
        )
        items = [c.receipt_code for c in open_items(session, unit)]
        if children or items:
            errors = {}
            if items:
                errors["open_items"] = items
            if children:
                errors["units"] = children
            raise Conflict(N_("move its open items and units elsewhere first"), errors)
        unit.active = False
        work.event(EventType.UNIT_RETIRED, None, unit=unit.code)
        return unit

    return execute(session, actor, act, now)


def active_units(session: Session, actor: User, kinds: tuple[str, ...] | None = None) -> list[OrgUnit]:
    """Every unit in service that the administrator manages (for choosing a parent or a role's unit)."""
    query = select(OrgUnit).where(scope_condition(require_admin(actor)), OrgUnit.active.is_(True))
    if kinds:
        query = query.where(OrgUnit.kind.in_(kinds))
    return list(session.scalars(query.order_by(OrgUnit.path)))
