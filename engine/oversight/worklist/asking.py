"""问事 work in the inbox: a resident's online request waiting for its call-back reaches the village's
agents (and, once late, the oversight above the village); a priority household due for a visit reaches its
responsible agent (and, once missed, the oversight above). Both list under "mine" and "open to my unit"
alike, as they always have in the API, and under due soon and overdue by their deadlines."""

from __future__ import annotations

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from ...asking.households import DueVisit, due_visits
from ...kernel.vocabulary import RequestStatus, Role
from ...read.asking_inbox import inquiry_entry, visit_entry
from ...read.inbox import Filters
from ...store.asking_tables import Household, ResidentRequest
from ...store.models import OrgUnit, User
from .base import (
    Moment,
    WorkItem,
    WorkSource,
    below,
    columns,
    due_condition,
    literal_rows,
    overseen_paths,
    village_filter,
)

OPEN_SCOPES = ("mine", "available", "due_soon", "overdue")


def _inquiry_rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment):
    placed = village_filter(filters, ResidentRequest.village_id)
    if placed is None:
        return None
    if scope == "done":
        where = [ResidentRequest.closed_by_id == user.id]
        return select(*columns("inquiry", ResidentRequest.id, ResidentRequest.due_at, ResidentRequest.closed_at)).where(
            *where, placed
        )
    if scope not in OPEN_SCOPES:
        return None
    villages = [a.org_unit_id for a in user.roles if a.role == Role.VILLAGE_AGENT]
    mine: ColumnElement[bool] = ResidentRequest.village_id.in_(villages) if villages else false()
    if scope == "overdue" and (paths := overseen_paths(user)):
        overseen = ResidentRequest.village_id.in_(select(OrgUnit.id).where(below(OrgUnit.path, paths)))
        mine = or_(mine, overseen)
    where = [mine, ResidentRequest.status == RequestStatus.AWAITING_CALLBACK, placed]
    due = due_condition(scope, ResidentRequest.due_at, moment)
    if due is not None:
        where.append(due)
    return select(*columns("inquiry", ResidentRequest.id, ResidentRequest.due_at, ResidentRequest.submitted_at)).where(
        *where
    )


def _inquiry_items(session: Session, user: User, keys: list[str], moment: Moment) -> dict[str, WorkItem]:
    found = {}
    for r in session.scalars(select(ResidentRequest).where(ResidentRequest.id.in_([int(k) for k in keys]))):
        href = f"/asking/requests/{r.id}"
        data = {**inquiry_entry(r, moment.now, moment.soon), "href": href}
        if r.status != RequestStatus.AWAITING_CALLBACK:
            data["state"] = r.status
        found[str(r.id)] = WorkItem(
            "inquiry", data["id"], r.name, href, r.due_at, data["due_state"], data, unit=r.village, detail=r.text
        )
    return found


def _due_visits(session: Session, user: User, moment: Moment, agent_only: bool = False) -> list[DueVisit]:
    """`due_visits` once per listing (its tabs and its page share them)."""
    key = ("due_visits", user.id, agent_only)
    if key not in moment.memo:
        moment.memo[key] = due_visits(session, user, now=moment.now, agent_only=agent_only)
    return moment.memo[key]


def _visits(session: Session, user: User, scope: str, moment: Moment) -> list[DueVisit]:
    """Visits due by the end of the next working day of the user's own households; in `overdue` also the
    missed visits below the units the user oversees. Computed in Python: the period comes from the
    household's tags (engine/asking/households.py), and one agent's due visits are few."""
    if scope not in OPEN_SCOPES:
        return []
    due = [d for d in _due_visits(session, user, moment, agent_only=True) if d.due_at <= moment.soon]
    if scope == "overdue":
        due = [d for d in due if d.overdue]
        if paths := overseen_paths(user):
            known = {d.household.id for d in due}
            due += [
                d
                for d in _due_visits(session, user, moment)
                if d.overdue
                and d.household.id not in known
                and any(d.household.village.path.startswith(p) for p in paths)
            ]
    elif scope == "due_soon":
        due = [d for d in due if not d.overdue]
    return due


def _visit_rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment):
    if village_filter(filters, Household.village_id) is None:
        return None
    due = _visits(session, user, scope, moment)
    if filters.village:
        due = [d for d in due if d.household.village.code == filters.village]
    if filters.township:
        due = [d for d in due if d.household.village.parent and d.household.village.parent.code == filters.township]
    return literal_rows("visit", ((str(d.household.id), d.due_at, d.household.created_at) for d in due))


def _visit_items(session: Session, user: User, keys: list[str], moment: Moment) -> dict[str, WorkItem]:
    found = {}
    wanted = set(keys)
    for d in _due_visits(session, user, moment):
        h = d.household
        if str(h.id) not in wanted:
            continue
        href = f"/asking/households/{h.id}"
        data = {**visit_entry(d, moment.now, moment.soon), "href": href}
        found[str(h.id)] = WorkItem(
            "visit", data["id"], h.head_name, href, d.due_at, data["due_state"], data, unit=h.village
        )
    return found


SOURCES = (
    WorkSource("inquiry", _inquiry_rows, _inquiry_items),
    WorkSource("visit", _visit_rows, _visit_items),
)
