"""Supervision of asking (问事): visits per agent per month against the quota, priority coverage (the share of
priority households visited within their period), needs by outcome, and how soon residents' online requests
were called back. Scoped to the supervisor's subtree."""

from __future__ import annotations

import statistics
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..asking.tags import visit_period
from ..kernel.clock import utcnow
from ..kernel.vocabulary import NeedOutcome, Role, UnitKind
from ..store.asking_tables import Household, Need, ResidentRequest, Visit
from ..store.calendar import TZ
from ..store.models import OrgUnit, RoleAssignment, User
from ..store.paging import iso
from .assessment import config, month_end, parse_month, scoped_unit

AGENT_ROLES = (Role.VILLAGE_AGENT, Role.GROUP_AGENT)


def _quotas() -> dict:
    return config().get("visits", {})


def asking_report(session: Session, actor: User, unit_code=None, month=None, now: datetime | None = None) -> dict:
    now = now or utcnow()
    first = parse_month(month, now.astimezone(TZ).date())
    start = datetime.combine(first, time.min, TZ)
    end = min(datetime.combine(month_end(first) + timedelta(days=1), time.min, TZ), now)
    unit = scoped_unit(session, actor, unit_code)
    villages = select(OrgUnit.id).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.path.startswith(unit.path))
    quotas = _quotas()

    visits_by = dict(
        session.execute(
            select(Visit.recorded_by_id, func.count())
            .where(Visit.village_id.in_(villages), Visit.at >= start, Visit.at < end)
            .group_by(Visit.recorded_by_id)
        ).all()
    )
    agents = session.execute(
        select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(RoleAssignment.role.in_(AGENT_ROLES), OrgUnit.path.startswith(unit.path), User.active.is_(True))
        .order_by(User.username)
    ).all()
    per_agent, seen = [], set()
    for user, role in agents:
        if user.id in seen:
            continue
        seen.add(user.id)
        quota = int(quotas.get(role, 0))
        count = visits_by.get(user.id, 0)
        per_agent.append(
            {
                "agent": user.username,
                "name": user.display_name,
                "role": role,
                "visits": count,
                "quota": quota,
                "met": count >= quota,
            }
        )

    outcomes = dict.fromkeys(NeedOutcome.codes(), 0)
    for outcome, count in session.execute(
        select(Need.outcome, func.count())
        .join(Visit, Visit.id == Need.visit_id)
        .where(Visit.village_id.in_(villages), Visit.at >= start, Visit.at < end)
        .group_by(Need.outcome)
    ):
        outcomes[outcome] = count
    for answered, count in session.execute(
        select(ResidentRequest.outcome, func.count())
        .where(
            ResidentRequest.village_id.in_(villages),
            ResidentRequest.contacted_at >= start,
            ResidentRequest.contacted_at < end,
            ResidentRequest.outcome.is_not(None),
        )
        .group_by(ResidentRequest.outcome)
    ):
        if answered is not None:
            outcomes[answered] = outcomes.get(answered, 0) + count

    return {
        "unit": unit.code,
        "month": first.isoformat()[:7],
        "visits_per_agent": per_agent,
        "visits": sum(visits_by.values()),
        "priority": _coverage(session, villages, end, float(quotas.get("min_priority_coverage", 0))),
        "needs_by_outcome": outcomes,
        "requests": _requests(session, villages, start, end, now),
    }


def _coverage(session: Session, villages, moment: datetime, minimum: float) -> dict:
    """Of the priority households that should have been visited by `moment` (registered at least one period
    before it), how many were visited within the period before it."""
    latest = dict(
        session.execute(
            select(Visit.household_id, func.max(Visit.at))
            .where(Visit.village_id.in_(villages), Visit.at <= moment)
            .group_by(Visit.household_id)
        ).all()
    )
    due = covered = 0
    for household in session.scalars(select(Household).where(Household.village_id.in_(villages))):
        period = visit_period(household.tags or [])
        if period is None or household.created_at > moment - timedelta(days=period):
            continue
        due += 1
        visited = latest.get(household.id)
        if visited is not None and visited >= moment - timedelta(days=period):
            covered += 1
    share = covered / due if due else None
    return {
        "households_due": due,
        "visited_in_period": covered,
        "coverage": share,
        "min_coverage": minimum,
        "met": share is None or share >= minimum,
        "as_of": iso(moment),
    }


def _requests(session: Session, villages, start: datetime, end: datetime, now: datetime) -> dict:
    rows = session.scalars(
        select(ResidentRequest).where(
            ResidentRequest.village_id.in_(villages),
            ResidentRequest.submitted_at >= start,
            ResidentRequest.submitted_at < end,
        )
    ).all()
    hours = [(r.contacted_at - r.submitted_at).total_seconds() / 3600 for r in rows if r.contacted_at is not None]
    late = sum(1 for r in rows if (r.contacted_at or now) > r.due_at)
    return {
        "received": len(rows),
        "called_back": len(hours),
        "waiting": len(rows) - len(hours),
        "late": late,
        "median_hours_to_contact": round(statistics.median(hours), 1) if hours else None,
        "mean_hours_to_contact": round(statistics.fmean(hours), 1) if hours else None,
    }
