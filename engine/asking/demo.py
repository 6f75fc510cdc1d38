"""The demo county's household register: in each demo village one household for every priority tag and one
without, in its villager groups, with the village agent responsible. Part of `flask daiban load-demo`'s one
setup transaction (its event is the demo county's); a village that already has households is left alone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..kernel.clock import utcnow
from ..kernel.vocabulary import Role, UnitKind
from ..store.asking_tables import Household
from ..store.models import OrgUnit, RoleAssignment, User
from .tags import tags

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["德顺", "秀英", "桂兰", "建国", "玉珍", "永福", "春生", "凤英", "长林", "金花"]
RELATIONS = ["配偶", "儿子", "女儿", "孙子"]


def load_demo_households(session: Session, now: datetime | None = None) -> int:
    """Adds the demo households (flushes, never commits); returns how many."""
    now = now or utcnow()
    admin = session.scalar(select(User).where(User.username == "admin"))
    villages = session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.active.is_(True)).order_by(OrgUnit.path)
    ).all()
    codes = [*tags(), None]
    added = 0
    for v_index, village in enumerate(villages):
        if session.scalar(select(exists().where(Household.village_id == village.id))):
            continue
        agent = session.scalar(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == Role.VILLAGE_AGENT, RoleAssignment.org_unit_id == village.id)
            .order_by(User.id)
        )
        groups = session.scalars(
            select(OrgUnit)
            .where(OrgUnit.parent_id == village.id, OrgUnit.kind == UnitKind.GROUP)
            .order_by(OrgUnit.code)
        ).all()
        creator = agent or admin
        if creator is None:
            continue
        for t_index, code in enumerate(codes):
            n = v_index * len(codes) + t_index
            head = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
            spouse = SURNAMES[(n + 7) % len(SURNAMES)] + GIVEN[(n + 3) % len(GIVEN)]
            group = groups[t_index % len(groups)] if groups else None
            session.add(
                Household(
                    village_id=village.id,
                    group_id=group.id if group else None,
                    head_name=head,
                    phone=f"139{v_index:04d}{t_index:04d}",
                    members=[{"name": spouse, "relation": RELATIONS[n % len(RELATIONS)]}],
                    address=f"{village.name}{t_index + 1}号",
                    tags=[code] if code else [],
                    agent_id=agent.id if agent else None,
                    created_at=now,
                    created_by_id=creator.id,
                )
            )
            added += 1
    session.flush()
    return added
