"""Who sees a household and who keeps its records: the staff of its village (and its groups), of its township,
and supervisors above it. Phone numbers are masked in lists."""

from __future__ import annotations

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from ..kernel.errors import Forbidden, Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import SUPERVISION_ROLES, Role, UnitKind
from ..org.org import unit_by_code
from ..store.models import OrgUnit, User

# Roles that keep the register and record visits, at the village, one of its groups or its township.
KEEPER_ROLES = frozenset(
    {Role.VILLAGE_AGENT, Role.GROUP_AGENT, Role.TOWNSHIP_AGENT, Role.TOWNSHIP_RECEPTION, Role.SUPERVISOR}
)
LOCAL_KINDS = (UnitKind.VILLAGE, UnitKind.GROUP, UnitKind.TOWNSHIP)


def _sees(assignment, village_path: str) -> bool:
    unit = assignment.org_unit
    if assignment.role in SUPERVISION_ROLES:
        return village_path.startswith(unit.path)
    if unit.kind == UnitKind.GROUP:
        return unit.path.startswith(village_path)
    return unit.kind in (UnitKind.VILLAGE, UnitKind.TOWNSHIP) and village_path.startswith(unit.path)


def may_see(user: User, village: OrgUnit) -> bool:
    return any(_sees(a, village.path) for a in user.roles)


def may_keep(user: User, village: OrgUnit) -> bool:
    """Register households and record visits for this village."""
    return any(a.role in KEEPER_ROLES and _sees(a, village.path) for a in user.roles)


def require_keeper(user: User) -> None:
    """Before a household sheet is even read: the uploader keeps records somewhere (a village or group
    agent, township staff). Each row is then checked against the villages they keep."""
    if not any(a.role in KEEPER_ROLES for a in user.roles):
        raise Forbidden(N_("you do not keep records for this village"))


def visible_villages(user: User):
    """SQL condition on OrgUnit (a village): the villages whose households the user sees."""
    conditions = []
    for a in user.roles:
        unit = a.org_unit
        if a.role in SUPERVISION_ROLES or unit.kind in (UnitKind.VILLAGE, UnitKind.TOWNSHIP):
            conditions.append(OrgUnit.path.startswith(unit.path))
        elif unit.kind == UnitKind.GROUP and unit.parent_id is not None:
            conditions.append(OrgUnit.id == unit.parent_id)
    return or_(*conditions) if conditions else false()


def village_ids(user: User):
    return select(OrgUnit.id).where(OrgUnit.kind == UnitKind.VILLAGE, visible_villages(user))


def keeping_villages(session: Session, user: User) -> list[OrgUnit]:
    """The villages this user keeps records for, for a form's choice."""
    villages = session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.active.is_(True), visible_villages(user))
    ).all()
    return sorted((v for v in villages if may_keep(user, v)), key=lambda v: v.path)


def village_for(session: Session, user: User, code, field: str = "village") -> OrgUnit:
    """The village named by `code` for a record the user keeps: 422 unknown, 403 not theirs."""
    village = unit_by_code(session, code) if isinstance(code, str) and code else None
    if village is None or village.kind != UnitKind.VILLAGE:
        raise Invalid(N_("unknown village"), {field: N_("unknown village")})
    if not may_keep(user, village):
        raise Forbidden(N_("you do not keep records for this village"))
    return village


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
