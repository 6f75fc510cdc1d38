"""What people see of rectifications (整改): the list and one record for the responsible unit, the
supervisors and the discipline committee above the item; the open ones a user has to see to (for the
inbox); and the overdue ones supervision counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..cases.permissions import allowed
from ..cases.rectification import find, may_see
from ..kernel.clock import utcnow
from ..kernel.errors import Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import SUPERVISION_ROLES, RectificationStatus
from ..store.models import OrgUnit, User
from ..store.oversight_tables import Rectification
from ..store.paging import Page, clamp_page, iso


def visible_to(actor: User):
    """SQL: the rectifications of the actor's units, and of townships at or below where they supervise."""
    township = aliased(OrgUnit)
    units = [a.org_unit_id for a in actor.roles]
    paths = [a.org_unit.path for a in actor.roles if a.role in SUPERVISION_ROLES]
    watched = (
        Rectification.township_id.in_(select(township.id).where(or_(*[township.path.startswith(p) for p in paths])))
        if paths
        else false()
    )
    return or_(Rectification.unit_id.in_(units) if units else false(), watched)


def _parse_status(status) -> str | None:
    if status in (None, ""):
        return None
    if status not in RectificationStatus.codes():
        raise Invalid(N_("bad list"), {"status": N_("unknown status")})
    return str(status)


def rectification_dict(record: Rectification, actor: User | None = None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    case = record.case
    out = {
        "id": record.id,
        "status": record.status,
        "case_id": case.id,
        "receipt_code": case.receipt_code,
        "catalog_name": case.catalog_item.name,
        "catalog_name_en": case.catalog_item.name_en,
        "unit": record.unit.code,
        "unit_name": record.unit.name,
        "unit_name_en": record.unit.name_en or record.unit.name,
        "township": record.township.code,
        "township_name": record.township.name,
        "township_name_en": record.township.name_en or record.township.name,
        "rating": record.rating,
        "source": record.source,
        "comment": record.comment,
        "opened_at": iso(record.opened_at),
        "due_at": iso(record.due_at),
        "overdue": record.status == RectificationStatus.OPEN and now > record.due_at,
        "callback_result": record.callback_result,
        "closed_at": iso(record.closed_at),
        "closed_by": record.closed_by.username if record.closed_by else None,
        "closed_by_name": record.closed_by.display_name if record.closed_by else None,
    }
    if actor is not None:
        out["may_close"] = record.status == RectificationStatus.OPEN and allowed(
            _session_of(record), actor, "close_rectification", case
        )
    return out


def _session_of(record: Rectification) -> Session:
    session = Session.object_session(record)
    assert session is not None
    return session


def rectifications(session: Session, actor: User, status=None, page=1, per_page=20) -> Page:
    """The rectifications the actor may see, newest first (status: open or closed)."""
    wanted = _parse_status(status)
    page, per_page = clamp_page(page, per_page)
    where = and_(visible_to(actor), *([Rectification.status == wanted] if wanted else []))
    total = session.scalar(select(func.count()).select_from(Rectification).where(where)) or 0
    rows = session.scalars(
        select(Rectification)
        .where(where)
        .order_by(Rectification.opened_at.desc(), Rectification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique()
    return Page([rectification_dict(r, actor) for r in rows], total, page, per_page)


def rectification(session: Session, actor: User, rectification_id) -> dict:
    record = find(session, rectification_id)
    if not may_see(actor, record):
        raise NotFound(N_("no such rectification"))
    return rectification_dict(record, actor)


def open_rectifications_for(session: Session, user: User, now: datetime | None = None) -> list[dict]:
    """The open rectifications the user has to see to, soonest due first, for the inbox: those of their
    own units, plus those they may close as supervisor or discipline inspector above the item.
    Each has its due date, responsible unit and item (receipt code and name)."""
    rows = session.scalars(
        select(Rectification)
        .where(visible_to(user), Rectification.status == RectificationStatus.OPEN)
        .order_by(Rectification.due_at, Rectification.id)
    ).unique()
    return [rectification_dict(r, now=now) for r in rows]


def open_rectification_count(session: Session, user: User) -> int:
    where = and_(visible_to(user), Rectification.status == RectificationStatus.OPEN)
    return session.scalar(select(func.count()).select_from(Rectification).where(where)) or 0


def overdue_rectifications(session: Session, unit: OrgUnit, now: datetime | None = None) -> int:
    """Open rectifications past their due date in the unit's subtree (its townships, or its own township)."""
    now = now or utcnow()
    township = aliased(OrgUnit)
    return (
        session.scalar(
            select(func.count())
            .select_from(Rectification)
            .join(township, township.id == Rectification.township_id)
            .where(
                Rectification.status == RectificationStatus.OPEN,
                Rectification.due_at < now,
                or_(
                    township.path.startswith(unit.path),
                    func.substr(unit.path, 1, func.length(township.path)) == township.path,
                ),
            )
        )
        or 0
    )
