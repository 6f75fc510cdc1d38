"""Read side of supervision: each page and API endpoint asks one of these (scoped to the actor)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Forbidden, Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import COMPLAINT_ROLES, UnitKind
from ..read.rectifications import overdue_rectifications
from ..read.shapes import mask_phone
from ..store.calendar import TZ
from ..store.models import OrgUnit, User
from ..store.oversight_tables import CallBack, Complaint, Review
from ..store.paging import Page, iso
from .assessment import SUPERVISION_ROLES, figures, parse_month, parse_period, scoped_unit
from .callbacks import records, visible_record
from .monthly import monthly_report
from .overdue import LISTS, late_items, late_rows
from .quotas import quotas, service_point_stars

KINDS = {"callbacks": CallBack, "reviews": Review, "complaints": Complaint}
STATUSES = {"callbacks": ("pending", "done"), "reviews": ("open", "closed"), "complaints": ("open", "closed")}
PHONE_ROLES = {"callbacks": SUPERVISION_ROLES, "complaints": COMPLAINT_ROLES}


def _today(now: datetime):
    return now.astimezone(TZ).date()


def units_in_scope(session: Session, actor: User) -> list[OrgUnit]:
    """The units a supervisor may pick: their own and every county, township and village below."""
    paths = [a.org_unit.path for a in actor.roles if a.role in SUPERVISION_ROLES]
    if not paths:
        raise Forbidden(N_("you may not see reports"))
    return list(
        session.scalars(
            select(OrgUnit)
            .where(
                OrgUnit.kind.in_((UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.VILLAGE)),
                OrgUnit.active.is_(True),
                or_(*[OrgUnit.path.startswith(p) for p in paths]),
            )
            .order_by(OrgUnit.path)
        )
    )


def dashboard(
    session: Session, actor: User, unit_code, date_from=None, date_to=None, by=None, now: datetime | None = None
) -> dict:
    now = now or utcnow()
    start, end = parse_period(date_from, date_to, _today(now))
    unit = scoped_unit(session, actor, unit_code)
    by = by or {"county": "township", "township": "village"}.get(unit.kind, "agent")
    return {
        "unit": unit.code,
        "unit_name": unit.name,
        "unit_name_en": unit.name_en,
        "unit_kind": unit.kind,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "by": by,
        "total": figures(session, unit, start, end)[0].to_dict(),
        "rows": [f.to_dict() for f in figures(session, unit, start, end, by)],
        # 整改 of 差评 past their 15 working days, in the unit's subtree (whatever the period)
        "rectifications_overdue": overdue_rectifications(session, unit, now),
    }


def late_list(
    session: Session, actor: User, unit_code, which="overdue", page=1, per_page=20, now: datetime | None = None
) -> Page:
    now = now or utcnow()
    if which not in LISTS:
        raise Invalid(N_("bad list"), {"which": N_("overdue, due_soon or materials_late")})
    result = late_items(session, scoped_unit(session, actor, unit_code), which, now, page, per_page)
    result.items = late_rows(session, result.items, now)
    return result


def assessment(session: Session, actor: User, unit_code, month=None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    first = parse_month(month, _today(now))
    unit = scoped_unit(session, actor, unit_code)
    return {
        "unit": unit.code,
        "unit_name": unit.name,
        "unit_name_en": unit.name_en,
        "month": first.strftime("%Y-%m"),
        "quotas": quotas(session, unit, first, now),
        "stars": service_point_stars(session, unit, first),
    }


def monthly(session: Session, actor: User, unit_code, month=None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    first = parse_month(month, _today(now))
    return monthly_report(session, scoped_unit(session, actor, unit_code), first, now)


def oversight(session: Session, actor: User, kind: str, unit_code, status=None, page=1, per_page=20) -> Page:
    """Call-backs, reviews or complaints of the actor's subtree (complaints: the discipline committee's)."""
    if kind not in KINDS:
        raise NotFound(N_("no such list"))
    if status not in (None, "") and status not in STATUSES[kind]:
        raise Invalid(N_("bad list"), {"status": N_("unknown status")})
    unit = scoped_unit(session, actor, unit_code)
    result = records(session, KINDS[kind], unit, status or None, page, per_page)
    result.items = [record_dict(kind, r) for r in result.items]
    return result


def record_dict(kind: str, record, actor: User | None = None) -> dict:
    """A call-back, review or complaint; the phone in full only for a role that must call back."""
    full = actor is not None and any(a.role in PHONE_ROLES.get(kind, ()) for a in actor.roles)
    case = record.case
    out = {
        "id": record.id,
        "status": record.status,
        "township": record.township.code,
        "township_name": record.township.name,
        "case_id": case.id if case else None,
        "receipt_code": case.receipt_code if case else None,
    }
    if kind == "callbacks":
        out.update(
            month=record.month,
            seed=record.seed,
            drawn_at=iso(record.drawn_at),
            outcome=record.outcome,
            note=record.note,
            called_at=iso(record.called_at),
            resident_name=case.resident_name,
            catalog_name=case.catalog_item.name,
            owner=case.owner.username,
            phone=case.resident_phone if full else mask_phone(case.resident_phone),
        )
    elif kind == "reviews":
        out.update(
            reason=record.reason,
            opened_at=iso(record.opened_at),
            resolution=record.resolution,
            closed_at=iso(record.closed_at),
            owner=case.owner.username,
        )
    else:
        phone = record.phone or ""
        out.update(
            text=record.text,
            filed_at=iso(record.filed_at),
            name=record.name,
            phone=(phone if full else mask_phone(phone)) if phone else None,
            resolution=record.resolution,
            closed_at=iso(record.closed_at),
        )
    return out


def one_record(session: Session, actor: User, kind: str, record_id) -> dict:
    if kind not in KINDS:
        raise NotFound(N_("no such record"))
    return record_dict(kind, visible_record(session, actor, KINDS[kind], record_id), actor)
