"""Work waiting for a person besides the tasks of items: catalog approvals (准入审批) waiting for one
of their roles, open complaints for the township discipline committee, open reviews and pending
call-backs for supervisors. The inbox shows them beside its tabs, so nobody has to know which menu
holds their work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..kernel.vocabulary import Role
from ..store.admin_tables import CatalogProposal
from ..store.models import User
from ..store.oversight_tables import CallBack, Complaint, Review
from .callbacks import records


@dataclass(frozen=True)
class Waiting:
    kind: str  # catalog_approvals complaints reviews callbacks
    count: int


def other_work(session: Session, user: User) -> list[Waiting]:
    """What else waits for `user`, with how much of it; kinds with nothing waiting are left out."""
    found: list[Waiting] = []
    roles = {a.role for a in user.roles}
    if roles:
        approvals = session.scalar(
            select(func.count()).where(
                CatalogProposal.status == "pending",
                CatalogProposal.lane.in_(roles),
                CatalogProposal.proposed_by_id != user.id,
            )
        )
        found.append(Waiting("catalog_approvals", approvals or 0))
    inspecting = [a.org_unit for a in user.roles if a.role == Role.DISCIPLINE_INSPECTOR]
    supervising = [a.org_unit for a in user.roles if a.role == Role.SUPERVISOR]
    if inspecting:
        found.append(Waiting("complaints", sum(records(session, Complaint, u, "open", 1, 1).total for u in inspecting)))
    if supervising:
        found.append(Waiting("reviews", sum(records(session, Review, u, "open", 1, 1).total for u in supervising)))
        found.append(
            Waiting("callbacks", sum(records(session, CallBack, u, "pending", 1, 1).total for u in supervising))
        )
    return [w for w in found if w.count]
