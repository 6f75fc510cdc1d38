"""Township records that wait for oversight: a resident's open complaint for the discipline inspectors of
its township (乡纪委); open reviews and call-backs still to make for its inspectors and the county supervisors.
Nobody claims them (each is one person's job by role) and none has a deadline; they list like open tasks of
the unit and, once closed by the user, under done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ...kernel.vocabulary import Role
from ...read.inbox import Filters
from ...store.models import OrgUnit, User
from ...store.oversight_tables import CallBack, Complaint, Review
from ...store.paging import iso
from ..callbacks import township_condition
from .base import Moment, WorkItem, WorkSource, case_filter, columns, entry

# Reviews and call-backs are done by the county supervisors and the township discipline inspectors alike.
OVERSEERS = (Role.SUPERVISOR, Role.DISCIPLINE_INSPECTOR)


@dataclass(frozen=True)
class Record:
    kind: str
    model: Any  # a township record's mapped class
    roles: tuple[Role, ...]  # who does it, at or above the record's township
    open_status: str
    opened: str  # the column of when it started waiting
    closed: str  # the column of when the user finished it
    closer: str  # the column of who finished it
    path: str  # the page where it is done, with {id}


RECORDS = {
    r.kind: r
    for r in (
        Record(
            "complaint",
            Complaint,
            (Role.DISCIPLINE_INSPECTOR,),
            "open",
            "filed_at",
            "closed_at",
            "closed_by_id",
            "/supervision/complaints/{id}",
        ),
        Record(
            "review",
            Review,
            OVERSEERS,
            "open",
            "opened_at",
            "closed_at",
            "closed_by_id",
            "/supervision/reviews?status=open",
        ),
        Record(
            "callback",
            CallBack,
            OVERSEERS,
            "pending",
            "drawn_at",
            "called_at",
            "called_by_id",
            "/supervision/callbacks/{id}",
        ),
    )
}


def _rows(record: Record):
    model = record.model

    def rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment):
        if scope == "done":
            where = [getattr(model, record.closer) == user.id]
            at = getattr(model, record.closed)
        elif scope == "available":
            units = [a.org_unit for a in user.roles if a.role in record.roles]
            if not units:
                return None
            where = [model.status == record.open_status, or_(*[township_condition(model, u) for u in units])]
            at = getattr(model, record.opened)
        else:
            return None  # nobody claims them and they have no deadline
        if filters.township:
            where.append(model.township_id == select_unit(filters.township))
        if filters.category or filters.kind or filters.village:
            where.append(case_filter(Filters(filters.category, filters.kind, None, filters.village), model.case_id))
        return select(*columns(record.kind, model.id, None, at)).where(*where)

    return rows


def select_unit(code: str):
    return select(OrgUnit.id).where(OrgUnit.code == code).scalar_subquery()


def _items(record: Record):
    model = record.model

    def items(session: Session, user: User, keys: list[str], moment: Moment) -> dict[str, WorkItem]:
        found = {}
        for r in session.scalars(select(model).where(model.id.in_([int(k) for k in keys]))).unique():
            href = record.path.format(id=r.id)
            case = r.case
            name = case.catalog_item.name if case else f"#{r.id}"
            detail = getattr(r, "text", None) or getattr(r, "reason", None)
            data = entry(
                record.kind,
                f"{record.kind}-{r.id}",
                href,
                None,
                moment,
                record_id=r.id,
                case_id=case.id if case else None,
                receipt_code=case.receipt_code if case else None,
                name=name,
                role=str(record.roles[0]),
                org_unit=r.township.code,
                created_at=iso(getattr(r, record.opened)),
                state="ready" if r.status == record.open_status else r.status,
            )
            found[str(r.id)] = WorkItem(
                record.kind, data["id"], name, href, None, "normal", data, case, r.township, detail=detail
            )
        return found

    return items


SOURCES = tuple(WorkSource(kind, _rows(r), _items(r)) for kind, r in RECORDS.items())
