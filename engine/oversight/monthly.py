"""The monthly supervision report of a township (or any unit): every figure of the month in one document."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..store.models import Case, OrgUnit
from ..store.oversight_tables import CallBack, Complaint, Review
from .assessment import figures, in_unit, local_bounds, month_end
from .callbacks import township_condition
from .overdue import overdue
from .quotas import quotas, service_point_stars


def monthly_report(session: Session, unit: OrgUnit, first: date, now: datetime) -> dict:
    last = month_end(first)
    lo, hi = local_bounds(first, last)
    month = first.strftime("%Y-%m")
    outcomes = dict(
        session.execute(
            select(CallBack.outcome, func.count())
            .where(township_condition(CallBack, unit), CallBack.month == month)
            .group_by(CallBack.outcome)
        ).all()
    )
    return {
        "unit": unit.code,
        "unit_name": unit.name,
        "unit_name_en": unit.name_en,
        "month": month,
        "total": figures(session, unit, first, last)[0].to_dict(),
        "villages": [f.to_dict() for f in figures(session, unit, first, last, "village")],
        "categories": [f.to_dict() for f in figures(session, unit, first, last, "category")],
        "agents": [f.to_dict() for f in figures(session, unit, first, last, "agent")],
        "quotas": quotas(session, unit, first, now),
        "stars": service_point_stars(session, unit, first),
        "overdue_open": session.scalar(
            select(func.count()).select_from(Case).where(in_unit(session, unit), overdue(now))
        )
        or 0,
        "callbacks": {
            "drawn": sum(outcomes.values()),
            "pending": outcomes.get(None, 0),
            **{k: v for k, v in outcomes.items() if k},
        },
        "reviews_opened": session.scalar(
            select(func.count())
            .select_from(Review)
            .where(township_condition(Review, unit), Review.opened_at >= lo, Review.opened_at < hi)
        )
        or 0,
        "complaints_filed": session.scalar(
            select(func.count())
            .select_from(Complaint)
            .where(township_condition(Complaint, unit), and_(Complaint.filed_at >= lo, Complaint.filed_at < hi))
        )
        or 0,
    }
