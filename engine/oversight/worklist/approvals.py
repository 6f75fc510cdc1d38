"""Catalog approvals (准入审批): a proposed catalog item waits in the inbox of everyone holding the role
its review task's lane names (the county leaders), never in the proposer's own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...read.inbox import Filters
from ...store.admin_tables import CatalogProposal
from ...store.models import User
from ...store.paging import iso
from .base import Moment, WorkItem, WorkSource, columns, entry, has_filters

KIND = "catalog_approval"


def rows(session: Session, user: User, scope: str, filters: Filters, moment: Moment):
    roles = {a.role for a in user.roles}
    if not roles or has_filters(filters) or scope in ("due_soon", "overdue"):
        return None  # no deadline, no village, no item category
    if scope == "done":
        where = [CatalogProposal.decided_by_id == user.id]
        at = CatalogProposal.decided_at
    elif scope in ("mine", "available"):
        where = [
            CatalogProposal.status == "pending",
            CatalogProposal.lane.in_(roles),
            CatalogProposal.proposed_by_id != user.id,
        ]
        at = CatalogProposal.proposed_at
        if scope == "mine":
            return None  # nobody claims a proposal: it waits for the role
    else:
        return None
    return select(*columns(KIND, CatalogProposal.id, None, at)).where(*where)


def items(session: Session, user: User, keys: list[str], moment: Moment) -> dict[str, WorkItem]:
    proposals = session.scalars(select(CatalogProposal).where(CatalogProposal.id.in_([int(k) for k in keys])))
    found = {}
    for p in proposals:
        href = f"/admin/catalog/proposals/{p.id}"
        name = p.fields.get("name") or p.code
        data = entry(
            KIND,
            f"{KIND}-{p.id}",
            href,
            None,
            moment,
            proposal_id=p.id,
            code=p.code,
            name=p.task_name or name,
            item=name,
            role=p.lane,
            created_at=iso(p.proposed_at),
            state="ready" if p.status == "pending" else p.status,
        )
        found[str(p.id)] = WorkItem(KIND, data["id"], data["name"], href, None, "normal", data, detail=name)
    return found


SOURCE = WorkSource(KIND, rows, items)
