"""What the API and pages show of households, visits and requests; where an item came from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.asking_tables import Household, Need, ResidentRequest, Visit
from ..store.paging import iso
from .households import DueVisit
from .scope import mask_phone
from .tags import visit_period


def household_dict(h: Household, full: bool = False) -> dict:
    """A household; in lists the phone is masked (`full` for the household's own page)."""
    return {
        "id": h.id,
        "village": h.village.code,
        "village_name": h.village.name,
        "group": h.group.code if h.group else None,
        "head_name": h.head_name,
        "phone": h.phone if full else mask_phone(h.phone),
        "members": list(h.members or []),
        "address": h.address,
        "tags": list(h.tags or []),
        "visit_period_days": visit_period(h.tags or []),
        "agent": h.agent.username if h.agent else None,
        "last_visited_at": iso(h.last_visited_at),
        "created_at": iso(h.created_at),
    }


def need_dict(n: Need) -> dict:
    return {
        "id": n.id,
        "text": n.text,
        "outcome": n.outcome,
        "answer": n.answer,
        "catalog_code": n.catalog_code,
        "reason": n.reason,
        "case_id": n.case_id,
    }


def visit_dict(v: Visit) -> dict:
    return {
        "id": v.id,
        "household_id": v.household_id,
        "head_name": v.household.head_name,
        "village": v.household.village.code,
        "channel": v.channel,
        "at": iso(v.at),
        "note": v.note,
        "recorded_by": v.recorded_by.username,
        "recorded_at": iso(v.recorded_at),
        "needs": [need_dict(n) for n in v.needs],
    }


def due_dict(d: DueVisit) -> dict:
    return {
        "household": household_dict(d.household),
        "due_at": iso(d.due_at),
        "overdue": d.overdue,
        "period_days": d.period_days,
    }


def request_dict(r: ResidentRequest) -> dict:
    return {
        "id": r.id,
        "reference": r.reference,
        "name": r.name,
        "phone": r.phone,
        "village": r.village.code,
        "village_name": r.village.name,
        "text": r.text,
        "status": r.status,
        "submitted_at": iso(r.submitted_at),
        "due_at": iso(r.due_at),
        "contacted_at": iso(r.contacted_at),
        "outcome": r.outcome,
        "answer": r.answer,
        "catalog_code": r.catalog_code,
        "reason": r.reason,
        "case_id": r.case_id,
        "closed_by": r.closed_by.username if r.closed_by else None,
    }


def case_origin(session: Session, case_id: int) -> dict | None:
    """Where an item came from: the need of a visit (with its household) or a resident's online request."""
    need = session.scalar(select(Need).where(Need.case_id == case_id))
    if need is not None:
        visit = session.get(Visit, need.visit_id)
        assert visit is not None
        return {
            "source": "visit",
            "visit_id": visit.id,
            "channel": visit.channel,
            "at": iso(visit.at),
            "need": need.text,
            "household_id": visit.household_id,
            "head_name": visit.household.head_name,
        }
    request = session.scalar(select(ResidentRequest).where(ResidentRequest.case_id == case_id))
    if request is not None:
        return {"source": "request", "request_id": request.id, "reference": request.reference, "text": request.text}
    return None
