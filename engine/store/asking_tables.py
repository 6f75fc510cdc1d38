"""Tables of asking (问事): the household register, visits with the needs raised, residents' online requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, BigId, JsonDoc, OrgUnit, User, UtcDateTime


class Household(Base):
    """A household of the register (农户台账): who heads it, where it lives, its priority tags, its agent."""

    __tablename__ = "households"
    __table_args__ = (Index("ix_households_village_head", "village_id", "head_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    head_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    members: Mapped[list] = mapped_column(JsonDoc, default=list)  # [{"name", "relation"}]
    address: Mapped[str] = mapped_column(String(300), default="")
    tags: Mapped[list] = mapped_column(JsonDoc, default=list)  # codes of config/households.toml
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # responsible agent (责任区)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The latest contact, kept by each visit so the due list is one indexed query.
    last_visited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    village: Mapped[OrgUnit] = relationship(foreign_keys=[village_id], lazy="joined")
    group: Mapped[OrgUnit | None] = relationship(foreign_keys=[group_id], lazy="joined")
    agent: Mapped[User | None] = relationship(foreign_keys=[agent_id], lazy="joined")


class Visit(Base):
    """One contact with a household (home visit, phone, walk-in, online): a page of the needs diary."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("recorded_by_id", "idempotency_key"),
        Index("ix_visits_village_at", "village_id", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    channel: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The client's Idempotency-Key and a hash of its body: a retried POST replays, a reused key is refused.
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    household: Mapped[Household] = relationship(lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")
    needs: Mapped[list[Need]] = relationship(lazy="selectin", order_by="Need.id")


class Need(Base):
    """A need raised in a visit and what became of it: answered, opened as an item, referred or declined."""

    __tablename__ = "visit_needs"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(Text)
    catalog_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"), index=True)


class ResidentRequest(Base):
    """A resident's online request (群众张嘴): the village agent calls back within a working day and records
    what became of it, as for a need."""

    __tablename__ = "resident_requests"
    __table_args__ = (Index("ix_resident_requests_village_status", "village_id", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    village_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    contacted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    answer: Mapped[str | None] = mapped_column(Text)
    catalog_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    village: Mapped[OrgUnit] = relationship(foreign_keys=[village_id], lazy="joined")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id], lazy="joined")


class ContactCard(Base):
    """What an agent prints on the contact cards (联系卡/便民卡) handed to households: the phone residents call."""

    __tablename__ = "contact_cards"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
