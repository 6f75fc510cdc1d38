"""Overdue and due-soon items for supervisors, with their owner and why they are late."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..cases.materials import missing
from ..kernel.vocabulary import CASE_OPEN, CaseStatus, TaskState, TimerKind
from ..store.calendar import default_calendar
from ..store.models import Case, Event, OrgUnit, TaskRow
from ..store.paging import Page, clamp_page, iso
from .assessment import in_unit

# Items whose deadline is not staff's to meet: finished, or waiting for the resident's materials (一次性告知).
FINISHED = (CaseStatus.ARCHIVED, CaseStatus.RETURNED, CaseStatus.WAITING_MATERIALS)
MATERIALS_LATE = "materials_late"  # 容缺受理 whose promised date passed with the materials still missing
LISTS = (TimerKind.OVERDUE, TimerKind.DUE_SOON, MATERIALS_LATE)


def still_open():
    return and_(Case.closed_at.is_(None), Case.status.not_in(FINISHED))


def overdue(now: datetime):
    """Open with a deadline already past."""
    return and_(still_open(), Case.due_at < now)


def due_soon(session: Session, now: datetime):
    """Open and due by the end of the next working day."""
    return and_(still_open(), Case.due_at >= now, Case.due_at <= default_calendar(session).deadline(now, 1))


def late_items(session: Session, unit: OrgUnit, which: str, now: datetime, page=1, per_page=20) -> Page:
    page, per_page = clamp_page(page, per_page)
    if which == MATERIALS_LATE:
        condition = and_(Case.materials_promise_broken_at.is_not(None), Case.status.in_(CASE_OPEN))
    else:
        condition = overdue(now) if which == TimerKind.OVERDUE else due_soon(session, now)
    query = select(Case).where(in_unit(session, unit), condition)
    total = session.scalar(select(func.count()).select_from(Case).where(in_unit(session, unit), condition))
    items = list(
        session.scalars(query.order_by(Case.due_at, Case.id).limit(per_page).offset((page - 1) * per_page)).unique()
    )
    return Page(items, total or 0, page, per_page)


def late_rows(session: Session, cases: list[Case], now: datetime) -> list[dict]:
    """Each item with its owner, where it is stuck, and the latest reason given for the delay."""
    ids = [c.id for c in cases]
    steps: dict[int, list[TaskRow]] = {}
    for task in session.scalars(select(TaskRow).where(TaskRow.case_id.in_(ids), TaskRow.state == TaskState.READY)):
        steps.setdefault(task.case_id, []).append(task)
    reasons: dict[int, str] = {}
    for event in session.scalars(select(Event).where(Event.case_id.in_(ids)).order_by(Event.at, Event.id)):
        reason = (event.detail or {}).get("reason") or ((event.detail or {}).get("data") or {}).get("reason")
        if isinstance(reason, str) and reason and event.case_id is not None:  # always: the query is by case
            reasons[event.case_id] = reason
    rows = []
    for case in cases:
        held = steps.get(case.id, [])
        rows.append(
            {
                "id": case.id,
                "receipt_code": case.receipt_code,
                "catalog_code": case.catalog_code,
                "catalog_name": case.catalog_item.name,
                "status": case.status,
                "village": case.village.code,
                "owner": case.owner.username,
                "owner_name": case.owner.display_name,
                "due_at": iso(case.due_at),
                "days_late": max(0, (now - case.due_at).days),
                "steps": [
                    {
                        "name": t.name,
                        "org_unit": t.org_unit.code,
                        "unit_name": t.org_unit.name,
                        "assignee": t.assignee.username if t.assignee else None,
                        "due_at": iso(t.due_at),
                    }
                    for t in held
                ],
                "reason": reasons.get(case.id),
                "materials_promised_by": (
                    case.materials_promised_by.isoformat() if case.materials_promised_by else None
                ),
                "materials_missing": missing(case) if case.materials_promise_broken_at else [],
            }
        )
    return rows
