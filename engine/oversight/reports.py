"""Figures for supervision, computed in SQL over cases (test runs never count)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import REPORT_ROLES, CaseStatus
from ..store.calendar import TZ
from ..store.models import Case, OrgUnit, User
from .assessment import OUT_OF_RANGE, SATISFIED, in_range, rating_that_counts, scoped_unit
from .assessment import rate as _rate
from .overdue import overdue as is_overdue


def _day(value, field: str, errors: dict) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        errors[field] = N_("a date like 2026-11-01")
        return None
    if not in_range(day):
        errors[field] = OUT_OF_RANGE
        return None
    return day


def summary(
    session: Session, actor: User, unit_code: str | None, date_from=None, date_to=None, now: datetime | None = None
) -> dict:
    now = now or utcnow()
    errors: dict[str, str] = {}
    start, end = _day(date_from, "from", errors), _day(date_to, "to", errors)
    if errors:
        raise Invalid(N_("bad report period"), errors)
    unit = scoped_unit(session, actor, unit_code, REPORT_ROLES)
    lo = datetime.combine(start, time.min, TZ) if start else datetime(2000, 1, 1, tzinfo=TZ)
    hi = datetime.combine(end + timedelta(days=1), time.min, TZ) if end else now + timedelta(days=1)
    village = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path)).scalar_subquery()
    scope = and_(Case.village_id.in_(village), Case.is_test_run.is_(False))
    # A refused (不予受理) or withdrawn item ends as returned: it counts as refused, never as done or on time.
    ended_in = and_(Case.closed_at.is_not(None), Case.closed_at >= lo, Case.closed_at < hi)
    closed_in = and_(ended_in, Case.status != CaseStatus.RETURNED)
    opened_in = and_(Case.opened_at >= lo, Case.opened_at < hi)
    row = session.execute(
        select(
            func.count().filter(opened_in),
            func.count().filter(and_(opened_in, Case.status == CaseStatus.RETURNED)),
            func.count().filter(and_(opened_in, Case.closed_at.is_not(None), Case.status != CaseStatus.RETURNED)),
            func.count().filter(closed_in),
            func.count().filter(and_(closed_in, Case.closed_at <= Case.due_at)),
            func.count().filter(and_(closed_in, rating_that_counts().is_not(None))),
            func.count().filter(and_(closed_in, rating_that_counts().in_(SATISFIED))),
            func.count().filter(is_overdue(now)),
            func.count().filter(and_(ended_in, Case.status == CaseStatus.RETURNED)),
        ).where(scope)
    ).one()
    opened, opened_refused, opened_closed, closed, on_time, rated, satisfied, overdue, refused = row
    return {
        "unit": unit.code,
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
        "opened": opened,
        "closed": closed,
        "refused": refused,
        "completion_rate": _rate(opened_closed, opened - opened_refused),
        "on_time_rate": _rate(on_time, closed),
        "satisfaction_rate": _rate(satisfied, rated),
        "overdue_open": overdue,
    }
