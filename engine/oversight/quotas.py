"""Agents' quotas and service-point stars (config/assessment.toml), computed over events and cases.

An agent handles an item when they open it (first ask) or complete one of
its steps; a quota counts distinct items per week (Monday to Sunday, the
weeks that start in the month) or per month.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.vocabulary import EventType, UnitKind
from ..store.models import Case, Event, OrgUnit, RoleAssignment, User
from .assessment import Figures, config, figures, local_bounds, month_end

HANDLED = (EventType.CASE_OPENED, EventType.TASK_COMPLETED)


def periods(per: str, first: date) -> list[tuple[date, date]]:
    """The quota periods of a month: the month itself, or each week whose Monday falls in it."""
    last = month_end(first)
    if per == "month":
        return [(first, last)]
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    weeks = []
    while monday <= last:
        weeks.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return weeks


def _handled(session: Session, agent_ids: list[int], start: date, end: date) -> dict[int, int]:
    lo, hi = local_bounds(start, end)
    query = (
        select(Event.actor_id, func.count(func.distinct(Event.case_id)))
        .join(Case, Case.id == Event.case_id)
        .where(
            Event.actor_id.in_(agent_ids),
            Event.at >= lo,
            Event.at < hi,
            Event.type.in_(HANDLED),
            Case.is_test_run.is_(False),
        )
        .group_by(Event.actor_id)
    )
    # actor_id is never NULL here: the query is by agent ids.
    return {actor_id: count for actor_id, count in session.execute(query) if actor_id is not None}


def quotas(session: Session, unit: OrgUnit, first: date, now: datetime) -> list[dict]:
    """Every agent in the unit's subtree with their items per period and whether they met the quota."""
    rules = config()["quotas"]
    agents = session.execute(
        select(User, RoleAssignment.role, OrgUnit)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(RoleAssignment.role.in_(list(rules)), OrgUnit.path.startswith(unit.path), User.active.is_(True))
        .order_by(OrgUnit.path, User.username)
    ).all()
    counts: dict[tuple[str, date], dict[int, int]] = {}
    for per in {r["per"] for r in rules.values()}:
        for start, end in periods(per, first):
            counts[(per, start)] = _handled(session, [u.id for u, _, _ in agents], start, end)
    rows = []
    for user, role, where in agents:
        rule = rules[role]
        spans = []
        handled = 0
        for start, end in periods(rule["per"], first):
            items = counts[(rule["per"], start)].get(user.id, 0)
            handled += items
            ended = local_bounds(start, end)[1] <= now
            met = items >= rule["min_items"]
            spans.append(
                {
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "handled": items,
                    "status": "met" if met else ("missed" if ended else "pending"),
                }
            )
        statuses = {s["status"] for s in spans}
        status = "missed" if "missed" in statuses else ("pending" if "pending" in statuses else "met")
        rows.append(
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": role,
                "unit": where.code,
                "unit_name": where.name,
                "per": rule["per"],
                "min_items": rule["min_items"],
                "handled": handled,
                "periods": spans,
                "status": status,
            }
        )
    return rows


def stars_for(row: Figures, rules: dict | None = None) -> int:
    """Stars earned: satisfaction at least the minimum and completion at least the n-th threshold."""
    rules = rules or config()["stars"]
    if not row.opened or not row.rated:
        return 0
    if Fraction(row.satisfied, row.rated) < Fraction(str(rules["min_satisfaction"])):
        return 0
    completion = Fraction(row.closed, row.opened)
    return sum(1 for threshold in rules["completion"] if completion >= Fraction(str(threshold)))


def service_point_stars(session: Session, unit: OrgUnit, first: date) -> list[dict]:
    """Every village service point (村代办站) in the subtree with its month's figures and stars."""
    found = {f.key: f for f in figures(session, unit, first, month_end(first), "village")}
    villages = session.scalars(
        select(OrgUnit)
        .where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.path.startswith(unit.path), OrgUnit.active.is_(True))
        .order_by(OrgUnit.path)
    ).all()
    rows = []
    for village in villages:
        row = found.get(village.code) or Figures(village.code, village.name, 0, 0, 0, 0, 0, label_en=village.name_en)
        rows.append({**row.to_dict(), "stars": stars_for(row)})
    return rows
