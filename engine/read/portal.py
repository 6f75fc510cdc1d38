"""The resident portal's open data (阳光代办) and complaints to the discipline committee."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..cases.pipeline import Work, execute
from ..kernel.errors import Invalid, NotFound
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, Role, UnitKind
from ..library.catalog import active_items, categories
from ..store.models import OrgUnit, RoleAssignment, User
from ..store.oversight_tables import Complaint
from .public import own_case

PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


def public_catalog(session: Session) -> list[dict]:
    """Every active item by category: materials, time limit, fee (free unless statutory)."""
    names = categories()
    groups: dict[str, dict] = {}
    for item in active_items(session):
        group = groups.setdefault(
            item.category, {"code": item.category, "items": [], **names.get(item.category, {"name": item.category})}
        )
        group["items"].append(
            {
                "code": item.code,
                "name": item.name,
                "name_en": item.name_en,
                "kind": item.kind,
                "level": item.level,
                "time_limit_days": item.time_limit_days,
                "materials": item.materials,
                "fee": item.fee,
                "fee_note": item.fee_note,
            }
        )
    return list(groups.values())


def responsible_agents(session: Session) -> list[dict]:
    """Each village with its township and the village agents responsible for it (names only)."""
    villages = session.scalars(
        select(OrgUnit).where(OrgUnit.kind == UnitKind.VILLAGE, OrgUnit.active.is_(True)).order_by(OrgUnit.path)
    ).all()
    # Looked up by each village's parent_id, an optional column (a village always hangs under its township).
    parents: dict[int | None, OrgUnit] = {
        u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_({v.parent_id for v in villages})))
    }
    agents: dict[int, list[str]] = {}
    for unit_id, name in session.execute(
        select(RoleAssignment.org_unit_id, User.display_name)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role == Role.VILLAGE_AGENT, User.active.is_(True))
        .order_by(User.display_name)
    ):
        agents.setdefault(unit_id, []).append(name)
    return [
        {
            "code": v.code,
            "name": v.name,
            "name_en": v.name_en,
            "township": parents[v.parent_id].name,
            "township_en": parents[v.parent_id].name_en,
            "agents": agents.get(v.id, []),
        }
        for v in villages
    ]


def townships(session: Session) -> list[OrgUnit]:
    return list(
        session.scalars(
            select(OrgUnit).where(OrgUnit.kind == UnitKind.TOWNSHIP, OrgUnit.active.is_(True)).order_by(OrgUnit.path)
        )
    )


def file_complaint(
    session: Session,
    township_code,
    text,
    name=None,
    phone=None,
    receipt_code=None,
    phone_last4=None,
    now: datetime | None = None,
) -> Complaint:
    """A resident's complaint reaches the township's discipline committee.

    With a matching receipt code and phone suffix the complaint is linked to
    the item; a mismatch is not told apart from no receipt at all.
    """

    def act(work: Work) -> Complaint:
        errors: dict[str, str] = {}
        township = (
            session.scalar(select(OrgUnit).where(OrgUnit.code == township_code, OrgUnit.kind == UnitKind.TOWNSHIP))
            if isinstance(township_code, str)
            else None
        )
        if township is None:
            errors["township"] = N_("choose a township")
        if not isinstance(text, str) or not text.strip() or len(text) > 4000:
            errors["text"] = N_("required, at most 4000 characters")
        if name not in (None, "") and (not isinstance(name, str) or len(name) > 100):
            errors["name"] = N_("at most 100 characters")
        if phone not in (None, "") and (not isinstance(phone, str) or not PHONE.match(phone.strip())):
            errors["phone"] = N_("a phone number, or leave it empty")
        if errors:
            raise Invalid(N_("the complaint cannot be filed"), errors)
        assert township is not None  # reported in `errors` when unknown
        case = None
        if receipt_code and phone_last4:
            try:
                case = own_case(session, receipt_code, phone_last4)
            except NotFound:
                case = None
        complaint = Complaint(
            township_id=township.id,
            case_id=case.id if case else None,
            name=(name or "").strip() or None,
            phone=(phone or "").strip() or None,
            text=text.strip(),
            status="open",
            filed_at=work.now,
        )
        session.add(complaint)
        session.flush()
        work.event(EventType.COMPLAINT_FILED, case, complaint=complaint.id, township=township.code, source="public")
        return complaint

    return execute(session, None, act, now)
