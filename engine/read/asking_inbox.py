"""The inbox over the API with asking's work in it: a resident's online request waiting for its call-back
reaches the village's agents, and a priority household due (or overdue) for a visit reaches its responsible
agent, listed before the items' steps like any task (soonest due first) with the same due marks.

The entries are not steps of an item: `kind` says which ("inquiry", "visit"), `case_id` is null, and they are
done on their own endpoints (`/requests/{id}/answer`, `/visits`), not through `/tasks/{id}`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..asking.households import DueVisit, due_visits
from ..kernel.clock import utcnow
from ..kernel.vocabulary import OVERSIGHT_ROLES, RequestStatus, Role, TimerKind
from ..store.asking_tables import ResidentRequest
from ..store.models import OrgUnit, User
from ..store.paging import iso
from .inbox import due_soon_limit

ASKING_SCOPES = ("mine", "available", "due_soon", "overdue")


def _mark(due_at: datetime, now: datetime, soon: datetime) -> str:
    return TimerKind.OVERDUE if due_at < now else (TimerKind.DUE_SOON if due_at <= soon else "normal")


def inquiry_entry(r: ResidentRequest, now: datetime, soon: datetime) -> dict:
    return {
        "id": f"inquiry-{r.id}",
        "kind": "inquiry",
        "case_id": None,
        "request_id": r.id,
        "reference": r.reference,
        "name": r.name,
        "text": r.text,
        "task": "call_back",
        "role": Role.VILLAGE_AGENT.value,
        "org_unit": r.village.code,
        "assignee": None,
        "due_at": iso(r.due_at),
        "state": "ready",
        "created_at": iso(r.submitted_at),
        "due_state": _mark(r.due_at, now, soon),
        "special": False,
    }


def visit_entry(d: DueVisit, now: datetime, soon: datetime) -> dict:
    h = d.household
    return {
        "id": f"visit-{h.id}",
        "kind": "visit",
        "case_id": None,
        "household_id": h.id,
        "name": h.head_name,
        "task": "visit_household",
        "role": Role.VILLAGE_AGENT.value,
        "org_unit": h.village.code,
        "assignee": h.agent.username if h.agent else None,
        "due_at": iso(d.due_at),
        "state": "ready",
        "created_at": iso(h.last_visited_at or h.created_at),
        "due_state": _mark(d.due_at, now, soon),
        "special": False,
    }


def asking_entries(session: Session, user: User, scope: str, now: datetime | None = None) -> list[dict]:
    """Inquiries of the villages where the user is the village agent, and the visits of the households they
    are responsible for that are due by the end of the next working day, in the scope's sense; in `overdue`,
    supervisors and discipline inspectors also see the missed visits and late call-backs of their subtree."""
    if scope not in ASKING_SCOPES:
        return []
    now = now or utcnow()
    soon = due_soon_limit(session, now)
    villages = [a.org_unit_id for a in user.roles if a.role == Role.VILLAGE_AGENT]
    entries: list[dict] = []
    if villages:
        requests = session.scalars(
            select(ResidentRequest)
            .where(
                ResidentRequest.village_id.in_(villages),
                ResidentRequest.status == RequestStatus.AWAITING_CALLBACK,
            )
            .order_by(ResidentRequest.due_at, ResidentRequest.id)
        )
        entries += [inquiry_entry(r, now, soon) for r in requests]
    entries += [
        visit_entry(d, now, soon) for d in due_visits(session, user, now=now, agent_only=True) if d.due_at <= soon
    ]
    if scope == "overdue":
        entries = [e for e in entries if e["due_state"] == TimerKind.OVERDUE]
        if any(a.role in OVERSIGHT_ROLES for a in user.roles):
            entries = _overseen(session, user, now, soon, {e["id"] for e in entries}) + entries
    elif scope == "due_soon":
        entries = [e for e in entries if e["due_state"] == TimerKind.DUE_SOON]
    return sorted(entries, key=lambda e: (e["due_at"] or "", e["id"]))


def _overseen(session: Session, user: User, now: datetime, soon: datetime, known: set) -> list[dict]:
    """Missed visits and late call-backs below the units where the user supervises, like overdue tasks."""
    paths = [a.org_unit.path for a in user.roles if a.role in OVERSIGHT_ROLES]
    late = session.scalars(
        select(ResidentRequest)
        .join(OrgUnit, OrgUnit.id == ResidentRequest.village_id)
        .where(
            ResidentRequest.status == RequestStatus.AWAITING_CALLBACK,
            ResidentRequest.due_at < now,
            or_(*[OrgUnit.path.startswith(p) for p in paths]),
        )
    )
    entries = [inquiry_entry(r, now, soon) for r in late]
    entries += [
        visit_entry(d, now, soon)
        for d in due_visits(session, user, now=now)
        if d.overdue and any(d.household.village.path.startswith(p) for p in paths)
    ]
    return [e for e in entries if e["id"] not in known]
