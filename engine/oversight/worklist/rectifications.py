"""Rectifications (整改) a poor rating opened: in the inbox of the responsible unit and of the supervisors
and discipline inspectors above the item, with their 15-working-day deadline (due soon and overdue by the
clock); closed ones under done for whoever closed them after the call-back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...kernel.vocabulary import RectificationStatus
from ...read.inbox import Filters
from ...read.rectifications import visible_to
from ...store.models import OrgUnit, User
from ...store.oversight_tables import Rectification
from ...store.paging import iso
from .base import Moment, WorkItem, WorkSource, case_filter, columns, due_condition, entry

KIND = "rectification"


def rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment):
    if scope == "done":
        where = [Rectification.closed_by_id == user.id]
        at = Rectification.closed_at
    else:
        where = [visible_to(user), Rectification.status == RectificationStatus.OPEN]
        at = Rectification.opened_at
        if scope == "mine":
            return None  # nobody claims a rectification: the unit sees to it
        due = due_condition(scope, Rectification.due_at, moment)
        if due is not None:
            where.append(due)
    if filters.township:
        where.append(
            Rectification.township_id == select(OrgUnit.id).where(OrgUnit.code == filters.township).scalar_subquery()
        )
    if filters.category or filters.kind or filters.village:
        where.append(case_filter(Filters(filters.category, filters.kind, None, filters.village), Rectification.case_id))
    return select(*columns(KIND, Rectification.id, Rectification.due_at, at)).where(*where)


def items(session: Session, user: User, keys: list[str], moment: Moment) -> dict[str, WorkItem]:
    found = {}
    for r in session.scalars(select(Rectification).where(Rectification.id.in_([int(k) for k in keys]))).unique():
        href = f"/rectifications/{r.id}"
        case = r.case
        name = case.catalog_item.name
        data = entry(
            KIND,
            f"{KIND}-{r.id}",
            href,
            r.due_at,
            moment,
            record_id=r.id,
            case_id=case.id,
            receipt_code=case.receipt_code,
            name=name,
            org_unit=r.unit.code,
            created_at=iso(r.opened_at),
            state="ready" if r.status == RectificationStatus.OPEN else r.status,
        )
        found[str(r.id)] = WorkItem(
            KIND, data["id"], name, href, r.due_at, moment.mark(r.due_at), data, case, r.unit, detail=r.comment
        )
    return found


SOURCE = WorkSource(KIND, rows, items)
