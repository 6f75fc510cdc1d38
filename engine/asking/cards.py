"""The contact card (联系卡/便民卡) handed to every household: the responsible agent's name and phone, the
catalog's items, the township's office days, and QR codes of the public request form and progress lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import EventType, Role, UnitKind
from ..library.catalog import active_items
from ..org.org import enclosing_unit, office_days
from ..store.asking_tables import ContactCard, Household
from ..store.models import CatalogItem, OrgUnit, RoleAssignment, User
from ..store.unit_of_work import Work, execute
from .households import PHONE


@dataclass
class CardAgent:
    name: str
    phone: str | None


@dataclass
class Card:
    village: OrgUnit
    township: OrgUnit
    agents: list[CardAgent]
    items: list[CatalogItem]
    office_days: list[int]  # Monday = 0
    household: Household | None = None


def card_phone(session: Session, user: User) -> str | None:
    card = session.get(ContactCard, user.id)
    return card.phone if card else None


def set_card_phone(session: Session, actor: User, phone, now: datetime | None = None) -> ContactCard | None:
    """The agent's own phone as printed on their cards."""
    if not isinstance(phone, str) or not PHONE.match(phone.strip()):
        raise Invalid(N_("the phone cannot be saved"), {"phone": N_("a phone number is required")})

    def act(work: Work) -> ContactCard | None:
        card = work.session.get(ContactCard, actor.id)
        if card is not None and card.phone == phone.strip():
            return card  # nothing changes: no event
        if card is None:
            card = ContactCard(user_id=actor.id, phone=phone.strip(), updated_at=work.now)
            work.session.add(card)
        else:
            card.phone, card.updated_at = phone.strip(), work.now
        work.event(EventType.CONTACT_CARD_CHANGED, phone=card.phone)
        return card

    return execute(session, actor, act, now)


def village_agents(session: Session, village: OrgUnit) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == Role.VILLAGE_AGENT,
                RoleAssignment.org_unit_id == village.id,
                User.active.is_(True),
            )
            .order_by(User.username)
        ).unique()
    )


def contact_card(session: Session, village: OrgUnit, household: Household | None = None) -> Card:
    """A household's card names its responsible agent; a village's card its village agents."""
    people = [household.agent] if household is not None and household.agent else village_agents(session, village)
    township = enclosing_unit(session, village, UnitKind.TOWNSHIP)
    return Card(
        village=village,
        township=township,
        agents=[CardAgent(u.display_name, card_phone(session, u)) for u in people],
        items=list(active_items(session)),
        office_days=office_days(session, township),
        household=household,
    )
