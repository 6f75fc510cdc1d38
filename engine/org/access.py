"""Who may see a case and act on a task: scoped by role assignments and the org tree."""

from __future__ import annotations

from sqlalchemy import and_, exists, false, or_, select
from sqlalchemy.orm import Session, aliased

from ..kernel.vocabulary import EDITOR_ROLES, OPENING_ROLES, Role, UnitKind
from ..store.models import Case, OrgUnit, RoleAssignment, TaskRow, User
from ..store.notice_tables import CaseReader


def assignments(user: User) -> list[RoleAssignment]:
    return list(user.roles)


def has_role(user: User, role: str, unit_id: int | None = None) -> bool:
    return any(a.role == role and (unit_id is None or a.org_unit_id == unit_id) for a in user.roles)


def may_act(user: User, task: TaskRow) -> bool:
    """A task belongs to the holders of its role at its org unit (a test run's to its analyst)."""
    if task.case.is_test_run:
        return task.case.owner_id == user.id
    return has_role(user, task.role, task.org_unit_id)


def case_scope(user: User):
    """SQL condition: the cases `user` may see.

    A case is visible to the first-ask owner, to anyone assigned at the case's
    village or an ancestor of it (township staff, county supervisors), and to
    units that hold or held one of its tasks (stations, window, departments), and to the
    people it was copied to (抄送: read only, engine/cases/copies.py).
    """
    unit_ids = [a.org_unit_id for a in user.roles]
    copied = exists(select(CaseReader.case_id).where(CaseReader.case_id == Case.id, CaseReader.user_id == user.id))
    if not unit_ids:
        return or_(Case.owner_id == user.id, copied)
    paths = [a.org_unit.path for a in user.roles]
    village = aliased(OrgUnit)
    in_subtree = exists(
        select(village.id).where(village.id == Case.village_id, or_(*[village.path.startswith(p) for p in paths]))
    )
    held_task = exists(select(TaskRow.id).where(TaskRow.case_id == Case.id, TaskRow.org_unit_id.in_(unit_ids)))
    staff = or_(in_subtree, held_task)
    if not sees_test_runs(user):  # an analyst's test run is no business of the village it pretends to be from
        staff = and_(Case.is_test_run.is_(False), staff)
    return or_(Case.owner_id == user.id, staff, copied) if unit_ids else false()


def sees_test_runs(user: User) -> bool:
    """Analysts and administrators, who test-run the process library, see test runs in their part of the tree."""
    return any(a.role in EDITOR_ROLES for a in user.roles)


def can_see_case(session: Session, user: User, case: Case) -> bool:
    if case.owner_id == user.id:
        return True
    if case.is_test_run and not sees_test_runs(user):
        return False
    if any(case.village.path.startswith(a.org_unit.path) for a in user.roles):
        return True
    unit_ids = [a.org_unit_id for a in user.roles]
    if unit_ids and session.scalar(
        select(exists().where(TaskRow.case_id == case.id, TaskRow.org_unit_id.in_(unit_ids)))
    ):
        return True
    return is_reader(session, user, case)


def is_reader(session: Session, user: User, case: Case) -> bool:
    """The case was copied to `user` (抄送): they may read it, never act on it."""
    return session.get(CaseReader, (case.id, user.id)) is not None


def may_open_for(user: User, village: OrgUnit) -> bool:
    """Agents open items for their own village (group agents for the village of their group);
    township reception and the county window for any village below them."""
    for a in user.roles:
        if a.role not in OPENING_ROLES:
            continue
        if village.path.startswith(a.org_unit.path):
            return True
        if a.role == Role.GROUP_AGENT and a.org_unit.path.startswith(village.path):
            return True
    return False


def opening_villages(session: Session, user: User) -> list[OrgUnit]:
    villages = session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.active.is_(True)).order_by(OrgUnit.path)
    ).all()
    return [v for v in villages if may_open_for(user, v)]
